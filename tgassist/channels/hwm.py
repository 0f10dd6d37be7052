"""High-water marks: the last message id saved per channel, in Redis and mirrored in `channels.hwm`.

The DB copy is written in the batch's own transaction; Redis is set after the commit. Reading
takes the larger of the two, so a crash between commit and the Redis write loses nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tgassist.app import App

# Raise only: a slow parser finishing late must never move the mark back.
_RAISE = """
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local new = tonumber(ARGV[1])
if new > cur then redis.call('SET', KEYS[1], ARGV[1]) return new end
return cur
"""


def hwm_key(channel_id: int) -> str:
    return f"parser:hwm:{channel_id}"


async def get_hwm(app: App, channel_id: int, db_hwm: int) -> int:
    raw = await app.redis.get(hwm_key(channel_id))
    return max(int(raw or 0), int(db_hwm or 0))


async def raise_hwm(app: App, channel_id: int, value: int) -> int:
    """Set the Redis HWM to `value` unless it is already higher; returns the HWM now."""
    return int(await app.redis.eval(_RAISE, 1, hwm_key(channel_id), str(int(value))))

"""Redis keys of the bot role (the core's own keys are in `tgassist.core.keys`)."""

from __future__ import annotations

FSM_PREFIX = "fsm"  # aiogram RedisStorage: fsm:<bot>:<chat>:<user>:state|data


def throttle_bucket(telegram_id: int) -> str:
    """TokenBucket name (the bucket adds its `ratelimit:` prefix)."""
    return f"bot:user:{telegram_id}"


def throttle_notice(telegram_id: int) -> str:
    """Set while a throttled user has been told to slow down (one notice per burst)."""
    return f"bot:throttled:{telegram_id}"


UPDATES_STREAM = "bot.updates"  # shared long polling: what the polling copy fetched
UPDATES_GROUP = "bot"  # every `tgassist bot` copy reads the stream in this group
POLLER_LOCK = "bot:poller"  # held by the one copy that calls getUpdates

"""Per-user follows: references, follow (idempotent), my channels with status, unfollow."""

from __future__ import annotations

from typing import Any

import pytest

from tgassist.channels import follows
from tgassist.core.errors import LocalizedError
from tgassist.core.users import ensure_user


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("@Durov", "durov"),
        ("durov_news", "durov_news"),
        ("t.me/durov", "durov"),
        ("https://t.me/durov/123", "durov"),
        ("https://t.me/s/durov", "durov"),
        ("https://telegram.me/durov?single", "durov"),
    ],
)
def test_channel_references(text: str, name: str) -> None:
    assert follows.parse_channel_ref(text) == name


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "channels.follow.empty"),
        ("https://t.me/+AbCd", "channels.follow.private_link"),
        ("https://t.me/joinchat/AbCd", "channels.follow.private_link"),
        ("@abc", "channels.follow.bad_ref"),
        ("😀😀😀😀😀", "channels.follow.bad_ref"),
        ("1channel", "channels.follow.bad_ref"),
        ("x" * 10_000, "channels.follow.bad_ref"),
    ],
)
def test_bad_references(text: str, key: str) -> None:
    with pytest.raises(LocalizedError) as err:
        follows.parse_channel_ref(text)
    assert err.value.key == key


async def test_follow_list_unfollow(app: Any) -> None:
    ann = await ensure_user(app.db, telegram_id=81)
    bob = await ensure_user(app.db, telegram_id=82)
    first = await follows.follow(app, ann.id, username="@news_channel")
    assert first.created and first.channel.username == "news_channel"
    assert first.channel.status == "new" and first.channel.posts == 0
    again = await follows.follow(app, ann.id, username="https://t.me/news_channel")
    assert not again.created and again.channel.id == first.channel.id
    fwd = await follows.follow(app, ann.id, telegram_id=-1001, username=None, title="Hidden")
    assert fwd.channel.title == "Hidden"
    await follows.follow(app, bob.id, username="news_channel")
    page = await follows.my_channels(app, ann.id)
    assert page.total == 2 and {c.label for c in page.items} == {"Hidden", "@news_channel"}
    with pytest.raises(LocalizedError) as err:
        await follows.unfollow(app, ann.id, 999_999)
    assert err.value.key == "channels.follow.not_followed"
    await follows.unfollow(app, ann.id, first.channel.id)
    assert (await follows.my_channels(app, ann.id)).total == 1
    assert (await follows.my_channels(app, bob.id)).total == 1  # Bob still follows it

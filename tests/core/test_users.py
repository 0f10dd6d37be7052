"""core/users: the one place that maps Telegram accounts to users."""

from __future__ import annotations

import asyncio

import pytest

from tgassist.app import App
from tgassist.core import users
from tgassist.core.errors import LocalizedError


async def test_ensure_user_creates_once_and_refreshes(app: App) -> None:
    first = await users.ensure_user(
        app.db, telegram_id=100, username="anna", first_name="Анна", language_code="en-GB"
    )
    assert (first.language, first.is_active, first.is_blocked) == ("en", True, False)
    again = await users.ensure_user(app.db, telegram_id=100, username="anna_k", language_code="ru")
    assert again.id == first.id and again.username == "anna_k"
    assert again.language == "en"  # the user's language is kept once set
    assert again.first_name == "Анна"  # not erased by a refresh without it
    many = await asyncio.gather(*(users.ensure_user(app.db, telegram_id=200) for _ in range(5)))
    assert len({u.id for u in many}) == 1
    assert (await users.get_by_telegram_id(app.db, 100)) == await users.get_user(app.db, first.id)
    assert await users.get_user(app.db, 99999) is None


async def test_block_limits_language_and_bot_blocked(app: App) -> None:
    u = await users.ensure_user(app.db, telegram_id=1, first_name="Ivan")
    other = await users.ensure_user(app.db, telegram_id=2, username="petr")
    assert (await users.set_blocked(app.db, u.id, True)).is_blocked
    assert (await users.set_language(app.db, u.id, "en")).language == "en"
    with pytest.raises(LocalizedError) as err:
        await users.set_language(app.db, u.id, "de")
    assert err.value.key == "core.user.language_unknown"
    assert (await users.set_limits(app.db, u.id, {"campaigns": "5"})).limits == {"campaigns": 5}
    for bad in ({"campaign": 5}, {"campaigns": -1}, {"campaigns": "five"}, {"campaigns": 1.5}):
        with pytest.raises(LocalizedError):
            await users.set_limits(app.db, u.id, bad)
    assert (await users.get_user(app.db, u.id)).limits == {"campaigns": 5}  # type: ignore[union-attr]
    assert (await users.set_limits(app.db, u.id, {"campaigns": None})).limits == {}
    with pytest.raises(users.UserNotFound):
        await users.set_blocked(app.db, 12345, True)
    assert await users.mark_bot_blocked(app.db, 2) is True
    assert await users.list_recipient_ids(app.db) == []  # one blocked by admin, one blocked the bot
    await users.ensure_user(app.db, telegram_id=2)  # writes again: active again
    assert await users.list_recipient_ids(app.db, active_days=7) == [2]
    assert [x.id for x in await users.find_users(app.db, "@PET")] == [other.id]
    assert [x.id for x in await users.find_users(app.db, "1")][:1] == [u.id]
    stats = await users.user_stats(app.db)
    assert (stats.total, stats.active_7d, stats.new_today) == (2, 2, 2)


async def test_concurrent_refreshes_are_written_together_and_keep_what_is_not_given(
    app: App,
) -> None:
    admin = await users.ensure_user(app.db, telegram_id=300, first_name="Ада", is_admin=True)
    calls = [users.ensure_user(app.db, telegram_id=400 + i, username=f"u{i}") for i in range(60)]
    calls += [users.ensure_user(app.db, telegram_id=300) for _ in range(3)]  # no names, no flag
    calls += [users.ensure_user(app.db, telegram_id=301, language_code="en", is_admin=False)]
    views = await asyncio.gather(*calls)
    assert [v.username for v in views[:60]] == [f"u{i}" for i in range(60)]
    assert {v.id for v in views[60:63]} == {admin.id}
    again = await users.get_by_telegram_id(app.db, 300)
    assert again is not None and again.is_admin and again.first_name == "Ада"
    assert (views[63].language, views[63].is_admin) == ("en", False)
    assert len({v.id for v in views}) == 62

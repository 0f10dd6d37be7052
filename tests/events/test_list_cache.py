"""A city's day list is read once per `events_list_cache_sec` in a process; an ingest in the
process drops it (new events show at once); 0 turns the cache off."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, update

from tests.events.conftest import MakeApp
from tests.events.world import BALIFORUM_ITEMS, NOW, baliforum_server, world_settings
from tgassist.app import App
from tgassist.core.db import utcnow
from tgassist.events.ingest import ingest
from tgassist.events.models import Event
from tgassist.events.service import events_by_city


def _count_selects(app: App) -> list[str]:
    seen: list[str] = []

    def before(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "FROM events" in statement:
            seen.append(statement)

    event.listen(app.db.engine.sync_engine, "before_cursor_execute", before)
    return seen


async def _move_all_to_today(app: App) -> None:
    async with app.db.session() as s:
        now = utcnow()
        await s.execute(update(Event).values(starts_at=now, ends_at=now + timedelta(hours=2)))


async def test_city_list_read_once_then_cached_until_ingest(
    make_app: MakeApp, tmp_path: Path
) -> None:
    with baliforum_server(BALIFORUM_ITEMS) as server:
        app = await make_app(**world_settings(server, tmp_path), events_list_cache_sec=60)
        await ingest(app, ["baliforum"], now=NOW)
        await _move_all_to_today(app)
        selects = _count_selects(app)
        first = await events_by_city(app, "bali", "today", lang="en")
        assert first and len(selects) == 1
        again = await events_by_city(app, "bali", "today", lang="en")
        assert [c.id for c in again] == [c.id for c in first] and len(selects) == 1
        await events_by_city(app, "bali", "today", lang="ru")  # another language: its own list
        assert len(selects) == 2
        async with app.db.session() as s:  # a change the cache does not see yet…
            await s.execute(update(Event).values(status="cancelled"))
        assert await events_by_city(app, "bali", "today", lang="en") == again
        await ingest(app, ["ics"], now=NOW)  # …until an ingest in this process drops the lists
        assert await events_by_city(app, "bali", "today", lang="en") != again


async def test_zero_turns_the_cache_off(make_app: MakeApp, tmp_path: Path) -> None:
    with baliforum_server(BALIFORUM_ITEMS) as server:
        app = await make_app(**world_settings(server, tmp_path), events_list_cache_sec=0)
        await ingest(app, ["baliforum"], now=NOW)
    await _move_all_to_today(app)
    selects = _count_selects(app)
    await events_by_city(app, "bali", "today")
    await events_by_city(app, "bali", "today")
    assert len(selects) == 2

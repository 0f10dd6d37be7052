"""ChannelParser: modes, HWM, FloodWait, faults, concurrency, locking, albums across batches."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from telethon.errors import (
    AuthKeyUnregisteredError,
    ChannelPrivateError,
    UsernameNotOccupiedError,
)

from tests.channels.fake_telegram import BASE_DATE, FakeTelegram, flood_wait, message, photo
from tests.util import run_pipeline
from tgassist.app import App
from tgassist.channels.events import ALBUMS_PARSED, POSTS_PARSED, PostParsed
from tgassist.channels.hwm import hwm_key
from tgassist.channels.models import Channel, MediaGroup, MediaGroupItem, ParserRun, Post
from tgassist.channels.parse_errors import reason_of
from tgassist.channels.parser import ChannelParser, parser_health, parser_tick
from tgassist.channels.service import ensure_channel
from tgassist.channels.sources.base import ChannelInfo
from tgassist.core.db import utcnow
from tgassist.core.i18n import LANGUAGES, Msg, catalogues, t
from tgassist.core.models import OutboxRow
from tgassist.core.product import Stage


class Sleeps:
    """Records the waits the parser asks for (FloodWait, back-off) instead of sleeping them."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


async def add_channel(app: App, username: str = "news") -> Channel:
    return await ensure_channel(
        app, ChannelInfo(telegram_id=None, username=username, title=None), source="telegram"
    )


async def get(app: App, channel_id: int) -> Channel:
    async with app.db.session() as s:
        row = await s.get(Channel, channel_id)
        assert row is not None
        return row


async def message_ids(app: App, channel_id: int) -> list[int]:
    async with app.db.session() as s:
        return list(
            (
                await s.execute(
                    select(Post.message_id)
                    .where(Post.channel_id == channel_id)
                    .order_by(Post.message_id)
                )
            ).scalars()
        )


def fill(tg: FakeTelegram, n: int, username: str = "news", telegram_id: int = 1001) -> None:
    ch = tg.channel(username, telegram_id)
    ch.add(*[message(i, f"post {i}") for i in range(1, n + 1)])


async def test_historical_then_incremental(app: App) -> None:
    app.settings.parser_historical_depth = 20
    app.settings.parser_batch_size = 7
    tg = FakeTelegram()
    fill(tg, 30)
    tg.channels["news"].messages[12] = message(12, "too old", date=BASE_DATE - timedelta(days=90))
    channel = await add_channel(app)
    parser = ChannelParser(app, tg, sleep=Sleeps())

    first = await parser.parse_channel(channel)
    assert (first.mode, first.status, first.new, first.hwm) == ("historical", "ok", 19, 30)
    assert await message_ids(app, channel.id) == [i for i in range(11, 31) if i != 12]
    row = await get(app, channel.id)
    assert row.historical_done and row.hwm == 30 and row.telegram_id == 1001 and row.status == "ok"
    assert await app.redis.get(hwm_key(channel.id)) == "30"

    tg.channels["news"].add(*[message(i, f"post {i}") for i in range(31, 36)])
    second = await parser.parse_channel(row)
    assert (second.mode, second.new, second.hwm) == ("incremental", 5, 35)
    assert tg.calls[-1] == {"channel": "news", "min_id": 30, "reverse": True, "limit": 5000}
    assert await app.outbox.drain() == 24

    third = await parser.parse_channel(await get(app, channel.id))  # nothing new: nothing published
    assert third.new == 0 and await app.outbox.drain() == 0


async def test_mode_override_and_feature_flag(app: App) -> None:
    tg = FakeTelegram()
    fill(tg, 5)
    channel = await add_channel(app)
    parser = ChannelParser(app, tg, sleep=Sleeps())
    await parser.parse_channel(channel)
    tg.channels["news"].messages[2] = message(
        2, "edited text", edit_date=BASE_DATE + timedelta(hours=1)
    )

    app.settings.feature_incremental_parsing_enabled = (
        False  # every run re-scans: the edit is found
    )
    report = await parser.parse_channel(await get(app, channel.id))
    assert (report.mode, report.new, report.edited) == ("historical", 0, 1)
    app.settings.feature_incremental_parsing_enabled = True
    app.settings.parser_mode_override = "incremental"
    report = await parser.parse_channel(await get(app, channel.id), mode="auto")
    assert report.mode == "incremental"
    assert (
        await parser.parse_channel(await get(app, channel.id), mode="historical")
    ).mode == "historical"
    await app.outbox.drain()
    edits = [json.loads(f["data"]) for _, f in await app.redis.xrange(POSTS_PARSED)]
    assert [e["message_id"] for e in edits if e["trigger"] == "edit"] == [2]


async def test_short_flood_wait_is_slept_through(app: App) -> None:
    tg = FakeTelegram()
    fill(tg, 10)
    tg.fail_before[("news", 6)] = [flood_wait(5)]
    channel = await add_channel(app)
    sleeps = Sleeps()
    report = await ChannelParser(app, tg, sleep=sleeps).parse_channel(channel)
    assert (report.status, report.new, report.flood_waits, report.hwm) == ("ok", 10, 1, 10)
    assert sleeps.calls == [5]
    assert [c["min_id"] for c in tg.calls if c["limit"] != 1] == [
        0,
        5,
    ]  # resumed after the committed part
    assert await message_ids(app, channel.id) == list(range(1, 11))


async def test_long_flood_wait_backs_off_then_succeeds(app: App) -> None:
    app.settings.parser_backoff_base_sec = 0.01
    tg = FakeTelegram()
    fill(tg, 10)
    tg.fail_before[("news", 4)] = [flood_wait(5000), flood_wait(5000)]
    channel = await add_channel(app)
    sleeps = Sleeps()
    report = await ChannelParser(app, tg, sleep=sleeps).parse_channel(channel)
    assert (report.status, report.new, report.flood_waits) == ("ok", 10, 2)
    assert sleeps.calls == [0.01, 0.02]  # exponential back-off, not 5000 s
    row = await get(app, channel.id)
    assert row.status == "ok" and row.status_until is None


async def test_long_flood_wait_exhausts_retries_and_marks_channel(app: App) -> None:
    app.settings.parser_backoff_base_sec = 0.01
    tg = FakeTelegram()
    fill(tg, 10)
    tg.fail_before[("news", 4)] = [flood_wait(5000) for _ in range(10)]
    channel = await add_channel(app)
    sleeps = Sleeps()
    parser = ChannelParser(app, tg, sleep=sleeps)
    report = await parser.parse_channel(channel)
    assert (
        report.status == "flood_wait" and report.flood_waits == 4
    )  # first try + PARSER_RETRY_MAX (3)
    assert sleeps.calls == [0.01, 0.02, 0.04]
    row = await get(app, channel.id)
    assert row.status == "flood_wait" and row.hwm == 3
    assert row.status_until is not None and row.status_until > utcnow() + timedelta(seconds=4900)
    assert await message_ids(app, channel.id) == [1, 2, 3]
    assert await parser.parse_all() == []  # skipped until the wait is over
    async with app.db.session() as s:
        run = (await s.execute(select(ParserRun).order_by(ParserRun.id.desc()))).scalars().first()
    assert run is not None and run.status == "flood_wait" and run.flood_waits == 4
    # the reason is a key with the time reading resumes; Telegram's English stays for operators
    until = row.status_until.strftime("%Y-%m-%d %H:%M UTC")
    assert (row.error_key, row.error_params) == ("channels.error.flood_wait", {"until": until})
    assert row.last_error == "FloodWait 5000s; retries exhausted"
    assert run.errors[0]["key"] == "channels.error.flood_wait"
    assert "retries exhausted" in run.errors[0]["error"]


async def test_network_error_mid_batch_keeps_committed_and_resumes(app: App) -> None:
    app.settings.parser_batch_size = 10
    tg = FakeTelegram()
    fill(tg, 12)
    tg.fail_before[("news", 6)] = [ConnectionError("Connection reset by peer")]
    channel = await add_channel(app)
    parser = ChannelParser(app, tg, sleep=Sleeps())
    report = await parser.parse_channel(channel)
    assert report.status == "error" and "ConnectionError" in (report.error or "")
    assert await message_ids(app, channel.id) == [1, 2, 3, 4, 5]
    row = await get(app, channel.id)
    assert (row.status, row.hwm, row.historical_done) == ("error", 5, False)
    assert (row.error_key, row.error_params) == ("channels.error.network", {})
    assert (
        t(row.error_key, "ru")
        == "Не удалось связаться с Telegram; следующий проход попробует снова."
    )

    app.settings.parser_mode_override = "incremental"
    report = await parser.parse_channel(row)
    assert (report.status, report.new, report.hwm) == ("ok", 7, 12)
    row = await get(app, channel.id)
    assert (row.status, row.error_key, row.error_params, row.last_error) == ("ok", None, None, None)
    assert await message_ids(app, channel.id) == list(range(1, 13))
    assert await app.outbox.drain() == 12  # one event per post, none twice


async def test_hwm_never_passes_a_failed_message(app: App) -> None:
    app.settings.parser_mode_override = "incremental"
    tg = FakeTelegram()
    ch = tg.channel("news", 1001)
    ch.add(
        *[message(i, f"p{i}") for i in range(1, 6)],
        message(6, media=photo(60)),
        message(7, "after"),
    )
    tg.fail_download[6] = 10
    channel = await add_channel(app)
    parser = ChannelParser(app, tg, sleep=Sleeps())
    for _ in range(3):
        report = await parser.parse_channel(await get(app, channel.id))
        assert report.status == "error" and report.hwm == 5 and "Message 6" in (report.error or "")
        row = await get(app, channel.id)
        assert (row.error_key, row.error_params) == ("channels.error.media_failed", {"id": 6})
    assert await message_ids(app, channel.id) == [1, 2, 3, 4, 5]
    # after PARSER_RETRY_MAX failures the message is kept without its media, and the channel moves on
    report = await parser.parse_channel(await get(app, channel.id))
    assert (report.status, report.hwm, report.missing_media) == ("ok", 7, 1)
    async with app.db.session() as s:
        missing = await s.scalar(select(Post.media_missing).where(Post.message_id == 6))
    assert missing[0]["reason"] == "download_failed"


async def test_crash_after_commit_before_publish(app: App) -> None:
    """Committed batches wait in the outbox: a restart publishes them once; HWM is the DB's."""
    tg = FakeTelegram()
    fill(tg, 8)
    channel = await add_channel(app)
    await ChannelParser(app, tg, sleep=Sleeps()).parse_channel(channel)
    await app.redis.delete(hwm_key(channel.id))  # the process died before the Redis HWM write
    assert not await app.redis.exists(POSTS_PARSED)  # committed, not yet published
    app.settings.parser_mode_override = "incremental"
    report = await ChannelParser(app, tg, sleep=Sleeps()).parse_channel(await get(app, channel.id))
    assert (report.new, report.hwm) == (0, 8) and tg.calls[-1]["min_id"] == 8
    assert await app.outbox.drain() == 8
    assert await app.outbox.drain() == 0
    assert await app.redis.xlen(POSTS_PARSED) == 8
    # the relay died after XADD, before marking: the same events go out again …
    async with app.db.session() as s:
        await s.execute(update(OutboxRow).values(published_at=None))
    assert await app.outbox.drain() == 8 and await app.redis.xlen(POSTS_PARSED) == 16
    # … and a consumer processes each post once
    seen: list[int] = []

    async def handle(event: PostParsed, ctx: object) -> None:
        seen.append(event.post_id)

    await run_pipeline(app, [Stage("count_posts", POSTS_PARSED, PostParsed, handle)])
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 8


async def test_concurrency_is_bounded(app: App) -> None:
    app.settings.parser_max_concurrency = 2
    tg = FakeTelegram(delay=0.01)
    for i in range(6):
        fill(tg, 3, username=f"ch{i}", telegram_id=2000 + i)
        await add_channel(app, f"ch{i}")
    reports = await ChannelParser(app, tg, sleep=Sleeps()).parse_all()
    assert [r.status for r in reports] == ["ok"] * 6
    assert tg.max_active == 2


async def test_two_parsers_never_parse_the_same_channel(app: App) -> None:
    tg = FakeTelegram(delay=0.02)
    fill(tg, 10)
    channel = await add_channel(app)
    a, b = ChannelParser(app, tg, sleep=Sleeps()), ChannelParser(app, tg, sleep=Sleeps())
    ra, rb = await asyncio.gather(a.parse_channel(channel), b.parse_channel(channel))
    assert sorted([ra.status, rb.status]) == ["locked", "ok"]
    assert await message_ids(app, channel.id) == list(range(1, 11))
    assert len([c for c in tg.calls if c["limit"] != 1]) == 1


async def test_album_split_across_batches_is_one_album(app: App) -> None:
    app.settings.parser_batch_size = 3
    tg = FakeTelegram()
    ch = tg.channel("news", 1001)
    ch.add(
        message(1, "intro"),
        message(2, "album caption", grouped_id=777, media=photo(20)),
        message(3, grouped_id=777, media=photo(30)),
        message(4, grouped_id=777, media=photo(40)),
        message(5, grouped_id=777, media=photo(20)),
        message(6, "after"),
    )
    channel = await add_channel(app)
    report = await ChannelParser(app, tg, sleep=Sleeps()).parse_channel(channel)
    assert report.new == 6
    async with app.db.session() as s:
        albums = (await s.execute(select(MediaGroup))).scalars().all()
        items = (
            await s.execute(
                select(MediaGroupItem.position, Post.message_id)
                .join(Post)
                .order_by(MediaGroupItem.position)
            )
        ).all()
        same_photo = await s.scalar(
            select(func.count()).select_from(Post).where(Post.media_kind == "photo")
        )
    assert len(albums) == 1 and albums[0].items_count == 4 and albums[0].caption == "album caption"
    assert [tuple(r) for r in items] == [(0, 2), (1, 3), (2, 4), (3, 5)]
    assert same_photo == 4
    assert await app.redis.get(f"album_seen:{channel.id}:777") == str(albums[0].id)
    await app.outbox.drain()
    events = [json.loads(f["data"]) for _, f in await app.redis.xrange(ALBUMS_PARSED)]
    assert [e["items_count"] for e in events] == [2, 4]  # announced, then updated with the rest
    async with app.db.session() as s:
        ids = list(
            (
                await s.execute(
                    select(Post.id).where(Post.grouped_id == 777).order_by(Post.message_id)
                )
            ).scalars()
        )
    assert events[-1]["post_ids"] == ids and events[0]["post_ids"] == ids[:2]


async def test_tick_runs_once_per_interval_and_health_reports(app: App) -> None:
    tg = FakeTelegram()
    fill(tg, 3)
    await add_channel(app)
    health = await parser_health(app)
    assert health["initialized"] is False and health["channels"] == {"new": 1}
    reports = await parser_tick(app, client=tg)
    assert [r.new for r in reports] == [3]
    assert await parser_tick(app, client=tg) == []  # same interval: skipped
    health = await parser_health(app)
    assert health["initialized"] is True and health["version"] == "1" and health["last_tick"]
    assert health["channels"] == {"ok": 1}


async def test_tick_without_telegram_config_is_a_noop_with_a_note(app: App) -> None:
    await parser_tick(app)
    health = await parser_health(app)
    assert "API id/hash not set" in health["note"]


async def test_live_channel_that_was_imported_is_merged(app: App, fixtures_dir: object) -> None:
    from pathlib import Path

    from tgassist.channels.ingest import import_export
    from tgassist.channels.service import list_channels

    imported = await import_export(app, Path(str(fixtures_dir)) / "telegram-desktop" / "trantor")
    tg = FakeTelegram()
    ch = tg.channel("trantor", 1878264527)
    ch.add(*[message(i, f"live {i}") for i in range(77, 80)])
    live = await add_channel(app, "trantor")
    parser = ChannelParser(app, tg, sleep=Sleeps())
    report = await parser.parse_channel(live)
    assert report.status == "merged" and f"#{imported.channel_id}" in (report.error or "")
    assert report.reason == Msg("channels.error.merged", {"into": imported.channel_id})
    [only] = await list_channels(app)
    assert (only.id, only.username, only.source, only.posts) == (
        imported.channel_id,
        "trantor",
        "telegram",
        53,
    )
    reports = await parser.parse_all()
    assert [(r.status, r.new) for r in reports] == [("ok", 3)]


async def test_historical_run_of_only_old_messages_moves_the_hwm(app: App) -> None:
    tg = FakeTelegram()
    ch = tg.channel("news", 1001)
    ch.add(
        *[
            message(i, f"old {i}", date=BASE_DATE - timedelta(days=60, minutes=-i))
            for i in range(1, 6)
        ]
    )
    channel = await add_channel(app)
    parser = ChannelParser(app, tg, sleep=Sleeps())
    report = await parser.parse_channel(channel)
    assert (report.mode, report.new, report.skipped, report.hwm) == ("historical", 0, 5, 5)
    ch.add(message(6, "fresh"))
    report = await parser.parse_channel(await get(app, channel.id))
    assert (report.mode, report.new, report.hwm) == ("incremental", 1, 6)
    assert await message_ids(app, channel.id) == [6] and tg.calls[-1]["min_id"] == 5


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        (ChannelPrivateError(request=None), "channels.error.private"),
        (UsernameNotOccupiedError(request=None), "channels.error.not_found"),
        (AuthKeyUnregisteredError(request=None), "channels.error.signed_out"),
        (TimeoutError("read timed out"), "channels.error.network"),
        (
            RuntimeError("struct.error: unpack requires a buffer of 4 bytes"),
            "channels.error.unknown",
        ),
    ],
)
async def test_a_failed_parse_stores_a_reason_a_reader_understands(
    app: App, fault: Exception, key: str
) -> None:
    tg = FakeTelegram()
    fill(tg, 3)
    tg.fail_before[("news", 1)] = [fault]
    channel = await add_channel(app)
    report = await ChannelParser(app, tg, sleep=Sleeps()).parse_channel(channel)
    row = await get(app, channel.id)
    assert (report.status, row.status, row.error_key) == ("error", "error", key)
    assert type(fault).__name__ in (row.last_error or "")  # the detail, for operators
    for lang in LANGUAGES:
        text = t(key, lang)
        assert text != key and type(fault).__name__ not in text and str(fault)[:20] not in text


async def test_a_channel_nobody_has_is_not_found(app: App) -> None:
    tg = FakeTelegram()  # get_entity raises Telethon's ValueError for an unknown name
    channel = await add_channel(app, "no_such_channel")
    await ChannelParser(app, tg, sleep=Sleeps()).parse_channel(channel)
    row = await get(app, channel.id)
    assert row.error_key == "channels.error.not_found"
    assert "Cannot find any entity" in (row.last_error or "")


def test_every_reason_is_in_both_catalogues_with_the_same_placeholders() -> None:
    from tgassist.channels import parse_errors
    from tgassist.core.i18n import placeholders

    keys = [v for k, v in vars(parse_errors).items() if k.isupper() and isinstance(v, str)]
    assert len(keys) >= 10
    for key in keys:
        texts = [catalogues()[lang].get(key) for lang in LANGUAGES]
        assert all(texts), key
        assert len({frozenset(placeholders(x or "")) for x in texts}) == 1, key
    assert reason_of(ValueError("bad literal")) == Msg("channels.error.unknown")

"""Interests, recommendations, storage usage and the reader's scheduled jobs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.channels.read_util import NOW, add_posts, index_posts, make_channel
from tgassist.app import App
from tgassist.channels.ingest import import_export
from tgassist.channels.interests import load_profile, record_feedback, set_topics, sync_user
from tgassist.channels.media import store_media
from tgassist.channels.read_errors import ReadError
from tgassist.channels.recommend import more_like_this, you_may_have_missed
from tgassist.channels.service import subscribe
from tgassist.channels.sources.base import RawMedia, RawMessage
from tgassist.channels.storage import measure, media_download_paused
from tgassist.channels.store import save_batch
from tgassist.core.models import User
from tgassist.core.scheduler import Scheduler
from tgassist.products import all_jobs

FOOTBALL = [
    "Сборная Аргентины выиграла финал чемпионата мира по футболу.",
    "Футбольный клуб «Зенит» подписал нового нападающего из Бразилии.",
]
OTHER = [
    "Центробанк повысил ключевую ставку до 21 процента.",
    "Курс биткоина впервые превысил сто тысяч долларов.",
]


async def _user(app: App, tg: int = 9001) -> int:
    async with app.db.session() as session:
        u = User(telegram_id=tg)
        session.add(u)
        await session.flush()
        return u.id


async def test_profile_from_topics_follows_and_feedback(app: App) -> None:
    ch = await make_channel(app, "mix", "Mix")
    ids = await add_posts(app, ch, FOOTBALL + OTHER, start=NOW - timedelta(hours=6))
    await index_posts(app, ids)
    uid = await _user(app)
    await subscribe(app, uid, ch)
    profile = await set_topics(app, uid, ["футбол"])
    assert profile.topics == ("футбол",) and profile.relevance({"футбол"}) > 0
    with pytest.raises(ReadError):
        await set_topics(app, uid, ["x"])
    await record_feedback(app, uid, ids[2], -1)  # 👎 on the key rate
    with pytest.raises(ReadError):
        await record_feedback(app, uid, ids[2], 5)
    profile = await load_profile(app, uid)
    assert profile.weights.get("ставк", 0) < 0
    assert await sync_user(app, uid, now=NOW) > 0
    missed = await you_may_have_missed(app, uid, now=NOW)
    assert missed and ids[2] not in {h.post_id for h in missed}
    assert missed[0].post_id in ids[:2]


async def test_more_like_this_skips_the_post_its_album_and_reposts(app: App) -> None:
    ch = await make_channel(app, "likes", "Likes")
    ids = await add_posts(app, ch, FOOTBALL + OTHER + [FOOTBALL[0]], start=NOW - timedelta(hours=6))
    await index_posts(app, ids)
    similar = await more_like_this(app, ids[0], limit=3)
    found = [h.post_id for h in similar]
    assert ids[0] not in found and ids[4] not in found  # itself and its repost
    assert found[0] == ids[1]
    with pytest.raises(ReadError):
        await more_like_this(app, 10**9)


async def test_storage_usage_and_media_quota(make_app: Any, fixtures_dir: Path) -> None:
    app = await make_app(channels_media_quota_bytes=1000)
    await import_export(app, fixtures_dir / "telegram-desktop" / "trantor")
    usage = await measure(app)
    assert usage.media_bytes > 1000 and usage.db_bytes > 0
    assert usage.channels[0]["posts"] > 0 and usage.channels[0]["media_files"] > 0
    assert usage.media_paused and await media_download_paused(app)
    # while paused, posts are saved and their media recorded as missing (reason: quota)
    ch = await make_channel(app, "quota", "Quota")
    msg = RawMessage(
        message_id=1,
        date=NOW,
        text="Фото",
        media=[RawMedia(kind="photo", mime="image/png", content=b"png" * 100, size=300)],
    )
    assert await store_media(app, [msg]) == 0 and msg.media[0].missing == "quota"
    saved = await save_batch(app, ch, [msg])
    assert saved.post_ids
    from tgassist.core.health import details

    report = await details(app)
    assert report["storage"]["status"] == "media paused (quota)"
    assert report["storage"]["media_bytes"] == usage.media_bytes
    roomy = await make_app(channels_media_quota_bytes=10**12)
    assert not (await measure(roomy)).media_paused
    assert not await media_download_paused(roomy)


async def test_scheduler_shows_the_reader_jobs(app: App) -> None:
    names = {j.name for j in all_jobs()}
    assert {
        "channels_digests",
        "channels_trends",
        "channels_interest_sync",
        "channels_storage_usage",
    } <= names
    sched = Scheduler(app, all_jobs())
    await sched.start()
    try:
        jobs = {j.id: j for j in sched.aps.get_jobs()}
        assert jobs["channels_trends"].next_run_time.hour == 0
        assert jobs["channels_trends"].next_run_time.minute == 0
        assert "interval[0:15:00]" in str(jobs["channels_digests"].trigger)
        assert "interval[6:00:00]" in str(jobs["channels_storage_usage"].trigger)
    finally:
        sched.shutdown()

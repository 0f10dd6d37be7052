"""Channel bookkeeping: subscriptions, removal, metrics."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import REGISTRY
from sqlalchemy import func, select

from tgassist.app import App
from tgassist.channels.ingest import import_export
from tgassist.channels.models import MediaGroup, Post, Subscription
from tgassist.channels.service import get_channel, remove_channel, subscribe
from tgassist.core.models import User


async def test_subscribe_is_idempotent_and_remove_forgets_everything(
    app: App, fixtures_dir: Path
) -> None:
    result = await import_export(app, fixtures_dir / "telegram-desktop" / "trantor")
    async with app.db.session() as s:
        user = User(telegram_id=42, username="reader")
        s.add(user)
        await s.flush()
        user_id = user.id
    await subscribe(app, user_id, result.channel_id)
    await subscribe(app, user_id, result.channel_id)
    async with app.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Subscription)) == 1
    assert await app.redis.exists(f"album_seen:{result.channel_id}:-53")

    removed = await remove_channel(app, "1878264527")
    assert removed.id == result.channel_id
    async with app.db.session() as s:
        for model in (Post, MediaGroup, Subscription):
            assert await s.scalar(select(func.count()).select_from(model)) == 0
    assert not await app.redis.exists(f"album_seen:{result.channel_id}:-53")
    again = await import_export(
        app, fixtures_dir / "telegram-desktop" / "trantor"
    )  # a clean re-import
    assert again.posts_new == 53 and again.albums == 5
    assert (await get_channel(app, again.channel_id)).title == "川陀大学图书馆"


async def test_import_counts_in_prometheus(app: App, fixtures_dir: Path) -> None:
    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    posts, albums = (
        value("tgassist_parser_posts_total", trigger="new"),
        value("tgassist_parser_albums_total"),
    )
    await import_export(app, fixtures_dir / "telegram-desktop" / "pachum")
    assert value("tgassist_parser_posts_total", trigger="new") - posts == 6
    assert value("tgassist_parser_albums_total") - albums == 1

"""Admin routes of channel ingestion, through the real FastAPI app."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import update

from tgassist.api.app import create_api
from tgassist.app import App
from tgassist.channels.ingest import import_export
from tgassist.channels.models import Channel

AUTH = {"Authorization": "Bearer test-admin-token"}


async def test_channels_and_runs(app: App, fixtures_dir: Path) -> None:
    await import_export(app, fixtures_dir / "telegram-desktop" / "trantor")
    transport = httpx.ASGITransport(app=create_api(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/admin/channels")).status_code == 401
        channels = (await client.get("/admin/channels", headers=AUTH)).json()
        assert [(c["telegram_id"], c["posts"], c["albums"], c["source"]) for c in channels] == [
            (1878264527, 53, 5, "export")
        ]
        runs = (await client.get("/admin/channels/1878264527/runs", headers=AUTH)).json()
        assert (
            runs[0]["mode"] == "import"
            and runs[0]["posts_new"] == 53
            and runs[0]["missing_media"] == 12
        )
        missing = await client.get("/admin/channels/@nobody/runs", headers=AUTH)
        detail = missing.json()["detail"]
        assert missing.status_code == 404 and detail["key"] == "channels.not_found"
        assert "@nobody" in detail["message"]


async def test_run_reasons_and_the_dashboard_speak_the_readers_language(
    app: App, fixtures_dir: Path
) -> None:
    """A run left "running" by a dead process, and an older run whose note is English text only:
    the API gives each a reason in the requested language beside the stored notes, and the
    dashboard's channel row shows the reason (the detail only in its tooltip)."""
    from tgassist.channels.models import ParserRun
    from tgassist.channels.service import close_orphaned_runs

    result = await import_export(app, fixtures_dir / "telegram-desktop" / "trantor")
    async with app.db.session() as s:
        s.add(ParserRun(channel_id=result.channel_id, source="telegram", mode="x", errors=[]))
        s.add(
            ParserRun(
                channel_id=result.channel_id,
                source="telegram",
                mode="y",
                status="error",
                errors=["ConnectionError: reset by peer"],
            )
        )
        await s.execute(
            update(Channel).where(Channel.id == result.channel_id).values(status="parsing")
        )
    assert await close_orphaned_runs(app) == 1
    transport = httpx.ASGITransport(app=create_api(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        runs = (await client.get("/admin/channels/1878264527/runs?lang=ru", headers=AUTH)).json()
        by_mode = {r["mode"]: r for r in runs}
        assert by_mode["x"]["reasons"] == [
            "Чтение прервалось (сервис остановился); оно продолжится при следующем проходе, "
            "ничего не потеряно."
        ]
        assert by_mode["x"]["errors"][0]["key"] == "channels.error.interrupted"
        assert by_mode["y"]["reasons"] == [
            "При чтении канала что-то пошло не так; следующий проход попробует снова."
        ]
        assert by_mode["import"]["reasons"] == []
        page = await client.get("/dashboard/channels?lang=en", headers=AUTH)
        assert page.status_code == 200, page.text
        assert "Reading was interrupted (the service stopped)" in page.text
        assert 'title="interrupted: the process running it stopped' in page.text

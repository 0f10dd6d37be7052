"""Admin routes of channel ingestion, through the real FastAPI app."""

from __future__ import annotations

from pathlib import Path

import httpx

from tgassist.api.app import create_api
from tgassist.app import App
from tgassist.channels.ingest import import_export

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

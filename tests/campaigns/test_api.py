from __future__ import annotations

from typing import Any

import httpx

from tests.campaigns.helpers import build
from tgassist.api.app import create_api
from tgassist.app import App

AUTH = {"Authorization": "Bearer test-admin-token"}


async def test_admin_campaign_routes(app: App, brief_data: dict[str, Any]) -> None:
    transport = httpx.ASGITransport(app=create_api(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/admin/campaigns")).status_code == 401
        bad = await client.post(
            "/admin/campaigns", json={**brief_data, "url": "htp://x"}, headers=AUTH
        )
        assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "url"
        created = (await client.post("/admin/campaigns", json=brief_data, headers=AUTH)).json()
        cancel = await client.post(
            f"/admin/campaigns/{created['campaign_id']}/cancel", headers=AUTH
        )
        assert cancel.json()["cancel_requested"] is True
        await build(app)
        shown = (
            await client.get(f"/admin/campaigns/{created['campaign_id']}", headers=AUTH)
        ).json()
        assert shown["status"] == "cancelled" and shown["task"]["status"] == "cancelled"
        assert [c["id"] for c in (await client.get("/admin/campaigns", headers=AUTH)).json()] == [
            created["campaign_id"]
        ]
        assert (await client.get("/admin/campaigns/999", headers=AUTH)).status_code == 404

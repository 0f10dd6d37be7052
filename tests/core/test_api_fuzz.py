"""Fuzzing every admin route (seeded, bounded): malformed ids, limits, names and bodies get a 4xx
with a message, never a 5xx (issue 12, item 14). Routes are read from the app itself, so a new
route is fuzzed without touching this file."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from tgassist.api.app import create_api
from tgassist.app import App

AUTH = {"Authorization": "Bearer test-admin-token"}
# Real event-source and region names would start an ingest over the network: never sent.
REAL_NAMES = {"all", "kudago", "baliforum", "jsonld", "ics", "ai", "ru", "bali", "msk", "spb"}

texts = st.text(max_size=40).filter(lambda s: s.strip().lower() not in REAL_NAMES)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30]),
)
params = st.one_of(
    numbers.map(str),
    texts,
    st.sampled_from(
        ["", " ", "nan", "inf", "1e999", "0x10", "1.5", "../../etc/passwd", "%00", "１２"]
    ),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, st.floats(allow_nan=False), texts),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=8,
)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    query: tuple[str, ...]
    body: bool


def admin_routes(api: Any) -> list[Route]:
    """Every admin operation, from the app's own OpenAPI schema."""
    out = []
    for path, ops in api.openapi()["paths"].items():
        if not path.startswith("/admin"):
            continue
        for method, op in sorted(ops.items()):
            query = tuple(p["name"] for p in op.get("parameters", []) if p["in"] == "query")
            out.append(Route(method.upper(), path, query, "requestBody" in op))
    return out


@st.composite
def requests(draw: st.DrawFn, routes: list[Route]) -> dict[str, Any]:
    route = draw(st.sampled_from(routes))
    method, path = route.method, route.path
    url = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: quote(draw(params), safe="") or "x", path)
    query = {name: draw(params) for name in route.query if draw(st.booleans())}
    query.update(
        draw(
            st.dictionaries(
                st.sampled_from(["limit", "telegram_id", "group", "zz"]), params, max_size=2
            )
        )
    )
    body: Any = None
    if route.body:
        body = draw(json_values)
        if path == "/admin/ingest/run" and isinstance(body, dict):
            body.setdefault("source", draw(texts) or "nope")  # the default would be "all"
            if not isinstance(body["source"], str | list) or body["source"] in REAL_NAMES:
                body["source"] = "nope"
    return {"method": method, "url": url, "params": query, "body": body, "route": path}


async def send(client: httpx.AsyncClient, req: dict[str, Any]) -> httpx.Response:
    kwargs: dict[str, Any] = {"params": req["params"], "headers": AUTH}
    if req["body"] is not None:
        kwargs["content"] = json.dumps(req["body"])
        kwargs["headers"] = {**AUTH, "Content-Type": "application/json"}
    return await client.request(req["method"], req["url"], **kwargs)


_APIS: dict[int, tuple[Any, list[Route]]] = {}


def assert_clear(resp: httpx.Response, req: dict[str, Any]) -> None:
    assert resp.status_code < 500, (req, resp.status_code, resp.text[:500])
    if resp.status_code >= 400:
        assert resp.json().get("detail"), (req, resp.text[:300])  # a message, not an empty 4xx


async def test_the_issue_s_cases_are_4xx_with_a_message(app: App) -> None:
    transport = httpx.ASGITransport(app=create_api(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for method, url in [
            ("GET", f"/admin/campaigns/{2**64}"),
            ("GET", "/admin/campaigns/-5"),
            ("POST", f"/admin/campaigns/{10**30}/cancel"),
            ("GET", "/admin/campaigns?limit=0"),
            ("GET", "/admin/campaigns?limit=-1"),
            ("GET", "/admin/dlq/x?limit=0"),
            ("GET", "/admin/events/runs?limit=-3"),
            ("GET", "/admin/channels/@x/runs?limit=0"),
            ("POST", f"/admin/campaigns?telegram_id={2**64}"),
        ]:
            resp = await client.request(method, url, headers=AUTH, json={})
            assert 400 <= resp.status_code < 500, (url, resp.status_code, resp.text)
            assert resp.json()["detail"], url
        # an id beyond 64 bits where the route accepts any reference: not found, not a crash
        resp = await client.get(f"/admin/channels/{2**70}/runs", headers=AUTH)
        assert resp.status_code == 404


@seed(15)
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_every_admin_route_answers_malformed_input_without_a_5xx(
    app: App, data: st.DataObject
) -> None:
    if id(app) not in _APIS:  # one API (and one schema walk) per app, not per example
        _APIS.clear()
        api = create_api(app)
        _APIS[id(app)] = (api, admin_routes(api))
    api, routes = _APIS[id(app)]
    assert len(routes) >= 12  # every admin route of every product is in the draw
    req = data.draw(requests(routes))
    transport = httpx.ASGITransport(app=api, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert_clear(await send(client, req), req)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"

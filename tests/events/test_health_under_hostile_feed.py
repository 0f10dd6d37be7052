"""Acceptance fault test of issue 12: a FREQ=SECONDLY feed (and a rule that never ends) → the ingest
ends within its budget and /health of the real API app, served on the same event loop as in
`tgassist run`, keeps answering."""

from __future__ import annotations

import asyncio
import resource
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.events.conftest import MakeApp
from tests.events.test_ics import cal_text, vevent
from tgassist.api.app import create_api
from tgassist.core.i18n import render_stored
from tgassist.events.ingest import ingest
from tgassist.events.tasks import start_parsers
from tgassist.runtime import _Server

NOW = datetime(2030, 1, 1, tzinfo=UTC)
BUDGET = 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow  # ~6-12 s: it starts the parse forkserver and waits out a 2 s budget
async def test_secondly_feed_ends_within_budget_and_health_stays_up(
    make_app: MakeApp, tmp_path: Path
) -> None:
    import uvicorn

    secondly = tmp_path / "secondly.ics"
    secondly.write_bytes(
        cal_text(vevent("sec", "Every second", ":20300102T000000Z", "RRULE:FREQ=SECONDLY"))
    )
    never = tmp_path / "never.ics"  # dateutil searches until year 9999: only the budget stops it
    never.write_bytes(
        cal_text(
            vevent("n", "Never", ":20300102T000000Z", "RRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30")
        )
    )
    app = await make_app(
        events_ics_feeds=[{"url": str(secondly)}, {"url": str(never)}],
        events_parse_timeout_sec=BUDGET,
    )
    await start_parsers(app)  # the scheduler's start-up hook: the forkserver is up before the run
    port = free_port()
    server = _Server(
        uvicorn.Config(
            create_api(app), host="127.0.0.1", port=port, log_config=None, lifespan="off"
        )
    )
    serving = asyncio.create_task(server.serve())
    latencies: list[float] = []
    statuses: list[int] = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            for _ in range(100):  # until the server listens
                try:
                    await client.get("/health")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            run = asyncio.create_task(ingest(app, "ics", now=NOW))
            while not run.done():
                t0 = time.perf_counter()
                try:
                    statuses.append((await client.get("/health")).status_code)
                except httpx.TransportError:
                    statuses.append(0)
                latencies.append(time.perf_counter() - t0)
                await asyncio.sleep(0.1)
            report = await run
            took = time.perf_counter() - started
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    finally:
        server.should_exit = True
        await serving

    st = report.sources["ics"]
    # Two feeds: one capped at once, one stopped at its 2 s budget (plus a loaded CI machine).
    assert took < 2 * BUDGET + 2
    assert (st.saved, st.capped, st.status) == (1000, 1, "partial")
    assert "feed never.ics: parsing ran past its budget of 2 s" in render_stored(st.errors[0], "en")
    assert len(statuses) >= 10 and set(statuses) == {200}
    assert max(latencies) < 1.0  # the loop was never blocked (it was for 90 s before)
    assert rss_after - rss_before < 200 * 1024  # KB: the expansion's memory is the child's

"""Fixtures of the events tests: Apps with events settings, local KudaGo/BaliForum servers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tgassist.app import App

# Fast retries and no throttling wait in tests; a real server's behaviour is what is tested.
FAST = {
    "events_http_backoff_sec": 0.01,
    "events_http_retries": 2,
    "events_kudago_rate_per_sec": 1000.0,
    "events_baliforum_rate_per_sec": 1000.0,
    "llm_max_retries": 0,
    "llm_retry_base_sec": 0.0,
    "llm_timeout_sec": 2.0,
}

MakeApp = Callable[..., Awaitable[App]]


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    """Events tests run with fast HTTP retries (`FAST`)."""
    return dict(FAST)


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The event strings of every captured structlog/stdlib record."""
    out = []
    for r in caplog.records:
        msg = r.msg.get("event") if isinstance(r.msg, dict) else r.getMessage()
        out.append(str(msg))
    return out


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="tgassist.events")
    return caplog


def write_feed(
    path: Any, titles: list[str], first: Any, *, city: str = "msk", description: str = ""
) -> dict[str, Any]:
    """An .ics file with one event per title, an hour apart from `first` (UTC); returns its feed setting."""
    from datetime import timedelta

    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tgassist tests//EN"]
    for n, title in enumerate(titles):
        start = first + timedelta(hours=n)
        lines += [
            "BEGIN:VEVENT",
            f"UID:ev-{n}",
            f"SUMMARY:{title}",
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
            f"DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}",
            "LOCATION:Клуб",
        ]
        lines += [f"DESCRIPTION:{description} {n}"] if description else []
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return {"url": str(path), "city": city, "timezone": "Europe/Moscow"}


def llm_settings(fake: Any, **extra: Any) -> dict[str, Any]:
    return {"llm_provider": "openai", "llm_base_url": fake.url, "llm_api_key": "test-key", **extra}


RU_TITLES = [f"Концерт номер {n}" for n in range(1, 11)]

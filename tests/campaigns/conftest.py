"""Fixtures of the campaigns tests: a Wordstat server, helpers to build briefs and ads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.campaigns.wordstat_server import WordstatServer

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def wordstat() -> Iterator[WordstatServer]:
    with WordstatServer() as server:
        yield server


@pytest.fixture
def brief_data() -> dict[str, Any]:
    return {
        "name": "Ремонт холодильников",
        "product": "ремонт холодильников на дому",
        "base_phrases": [
            "ремонт холодильников",
            "мастер по холодильникам",
            "заправка холодильника фреоном",
        ],
        "region": "Москва",
        "url": "https://fridge-fix.example.ru",
        "price": "от 990 ₽",
        "advantages": ["Выезд за 1 час", "Гарантия 1 год"],
        "callouts": ["Без выходных", "Гарантия 1 год"],
        "sitelinks": [
            {
                "title": "Цены",
                "description": "Прайс на ремонт",
                "url": "https://fridge-fix.example.ru/price",
            }
        ],
    }


@pytest.fixture(scope="session")
def embedder() -> Any:
    """The real offline embedder (USE multilingual), loaded once per test session."""
    from tgassist.ai.embeddings import build_embedder
    from tgassist.settings import Settings

    emb = build_embedder(Settings(_env_file=None))  # type: ignore[call-arg]
    emb.warm_up()
    return emb


def labelled(intents: int | None = None) -> tuple[list[str], list[str]]:
    import csv

    with (REPO / "benchmarks" / "data" / "keywords_labelled.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter=";"))[1:]
    names = list(dict.fromkeys(r[1] for r in rows))[:intents]
    rows = [r for r in rows if r[1] in names]
    return [r[0] for r in rows], [r[1] for r in rows]


USERS = 9  # users with Telegram ids 1..9 get internal ids 1..9 (services take internal ids)


async def _users(app: Any) -> None:
    from tgassist.core.users import ensure_user

    for n in range(1, USERS + 1):
        assert (await ensure_user(app.db, telegram_id=n)).id == n


@pytest.fixture
async def app(app: Any) -> Any:
    """The root `app` with the tests' users created."""
    await _users(app)
    return app


@pytest.fixture
async def make_app(make_app: Any) -> Any:
    """The root `make_app`; its first App also creates the tests' users."""
    made: list[Any] = []

    async def make(**overrides: Any) -> Any:
        application = await make_app(**overrides)
        if not made:
            await _users(application)
        made.append(application)
        return application

    return make

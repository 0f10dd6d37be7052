"""Shared fixtures: an App on every backend pair, cleaned between tests.

`app` runs each test twice when servers are configured: on SQLite + embedded Redis, and on
PostgreSQL + Redis server (TGASSIST_TEST_DATABASE_URL / TGASSIST_TEST_REDIS_URL). With
TGASSIST_TEST_REQUIRE_SERVERS=1 (CI) a missing or unreachable server fails the run, never skips.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

import tgassist.models  # noqa: F401
from tgassist.app import App
from tgassist.core.db import Base, upgrade_sync
from tgassist.core.logging import configure_logging
from tgassist.core.redis import EmbeddedRedis
from tgassist.settings import Settings

# The repository's sibling `shared/fixtures` (CI clones main with shared/ beside it).
FIXTURES = Path(
    os.environ.get("TGASSIST_FIXTURES_DIR")
    or Path(__file__).resolve().parents[2] / "shared" / "fixtures"
)

PG_URL = os.environ.get("TGASSIST_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TGASSIST_TEST_REDIS_URL")
REQUIRE = os.environ.get("TGASSIST_TEST_REQUIRE_SERVERS") == "1"

configure_logging("INFO", json_logs=False)
# Unset, TGASSIST_LANGUAGE follows the host's locale; the suite speaks Russian on every host
# (tests of the locale rule clear it), and the CLI and workers it starts inherit this.
os.environ.setdefault("TGASSIST_LANGUAGE", "ru")

BACKENDS = ["sqlite+embedded"] + (["postgres+server"] if (PG_URL and REDIS_URL) or REQUIRE else [])


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    assert FIXTURES.exists(), f"shared fixtures not found at {FIXTURES}"
    return FIXTURES


@pytest.fixture(scope="session")
def embedded_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    import redis as syncredis

    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    server.ensure_running()
    # One connection held for the whole session: the server's watchdog sees it in use between
    # tests, and stops it shortly after a killed test run drops it.
    keeper = syncredis.Redis(unix_socket_path=str(server.socket_path))
    keeper.ping()
    yield server
    try:
        keeper.shutdown(nosave=True)
    except Exception:
        pass


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    upgrade_sync(url)
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database per test run on the configured server (parallel runs do not collide)."""
    if not PG_URL:
        pytest.fail("TGASSIST_TEST_REQUIRE_SERVERS=1 but TGASSIST_TEST_DATABASE_URL is not set")
    admin_url = make_url(PG_URL).set(drivername="postgresql+psycopg2")
    name = f"tgassist_test_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as err:
        pytest.fail(f"PostgreSQL at TGASSIST_TEST_DATABASE_URL={PG_URL} is unreachable: {err}")
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    upgrade_sync(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate(url: str) -> None:
    """Empty every table the migrations created (children first)."""
    is_pg = url.startswith("postgresql")
    engine = create_engine(
        url.replace("postgresql://", "postgresql+psycopg2://", 1) if is_pg else url
    )
    with engine.begin() as conn:
        existing = set(inspect(conn).get_table_names()) - {"alembic_version"}
        tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name in existing]
        tables += sorted(existing - set(tables))
        if is_pg and tables:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        elif tables:
            conn.execute(text("PRAGMA foreign_keys=OFF"))
            for t in tables:
                conn.execute(text(f"DELETE FROM {t}"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings_factory(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[object]:
    """Build Settings for this backend pair; keyword overrides are passed through."""
    if backend == "sqlite+embedded":
        db_url = request.getfixturevalue("sqlite_url")
        server: EmbeddedRedis = request.getfixturevalue("embedded_redis")
        redis_url = f"unix://{server.socket_path}"
    else:
        db_url = request.getfixturevalue("postgres_url")
        if not REDIS_URL:
            pytest.fail("TGASSIST_TEST_REQUIRE_SERVERS=1 but TGASSIST_TEST_REDIS_URL is not set")
        redis_url = REDIS_URL
    _truncate(db_url)

    def make(**overrides: object) -> Settings:
        base: dict[str, object] = {
            "data_dir": tmp_path / "data",
            "database_url": db_url,
            "redis_url": redis_url,
            "bus_block_ms": 100,
            "bus_retry_base_sec": 0.05,
            "bus_retry_max_sec": 0.2,
            "admin_token": "test-admin-token",
        }
        base.update(overrides)
        return Settings(_env_file=None, **base)  # type: ignore[call-arg]

    yield make


@pytest.fixture
def settings(settings_factory: object) -> Settings:
    return settings_factory()  # type: ignore[operator, no-any-return]


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    """Settings every App from `make_app` gets; a directory's conftest may override this."""
    return {}


@pytest.fixture
async def make_app(
    settings_factory: Callable[..., Settings], app_overrides: dict[str, Any]
) -> AsyncIterator[Callable[..., Awaitable[App]]]:
    """`await make_app(**settings)`: Apps on this test's backend pair, closed after the test.

    Redis is emptied before the first App only, so several Apps of one test share their state.
    """
    apps: list[App] = []

    async def make(**overrides: Any) -> App:
        application = await App.start(settings_factory(**{**app_overrides, **overrides}))
        if not apps:
            await application.redis.flushdb()
        apps.append(application)
        return application

    yield make
    for application in apps:
        await application.redis.flushdb()
        await application.close()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[App]:
    application = await App.start(settings)
    await application.redis.flushdb()
    try:
        yield application
    finally:
        await application.redis.flushdb()
        await application.close()

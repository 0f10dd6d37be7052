"""Backup and restore round trip on both backend pairs: every table, stream offset, vector count,
graph node and blob comes back; a corrupted or foreign archive is refused and nothing is written."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from tgassist.app import App
from tgassist.backup import BackupError, backup, restore
from tgassist.backup.parts import stream_offsets
from tgassist.channels.graph import PostNode, batch_statements
from tgassist.channels.index import PostVector, VectorIndex
from tgassist.channels.ingest import import_export
from tgassist.core.events import Event
from tgassist.settings import Settings

PG_URL = os.environ.get("TGASSIST_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TGASSIST_TEST_REDIS_URL")


STREAM = "backup.test"


class Ping(Event):
    TYPE: ClassVar[str] = "backup.ping"
    n: int


@pytest.fixture
def target_settings(backend: str, settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """An empty install beside the test's own: new data dir, new database, other Redis db."""
    # SQLite pair: the restored install's own SQLite file and embedded Redis in its data dir
    overrides: dict[str, Any] = {
        "data_dir": tmp_path / "restored",
        "database_url": None,
        "redis_url": None,
    }
    admin = None
    name = f"tgassist_restore_{os.getpid()}"
    if backend != "sqlite+embedded":
        assert PG_URL and REDIS_URL
        admin = create_engine(
            make_url(PG_URL).set(drivername="postgresql+psycopg2"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        overrides["database_url"] = make_url(PG_URL).set(database=name).render_as_string(False)
        db = int(make_url(REDIS_URL).database or 0)
        overrides["redis_url"] = str(make_url(REDIS_URL).set(database=str((db + 1) % 16)))
    target = settings.model_copy(update=overrides)
    yield target
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


async def _populate(app: App, fixtures_dir: Path) -> None:
    await import_export(app, fixtures_dir / "telegram-desktop" / "pachum" / "result.json")
    for n in range(5):
        await app.bus.publish(STREAM, Ping(n=n))
    await app.redis.xgroup_create(STREAM, "readers", id="0", mkstream=True)
    await app.redis.xreadgroup("readers", "c1", {STREAM: ">"}, count=2)
    await app.redis.set("tgassist:test:hwm", "42", ex=3600)
    await app.blobs.put("media/ab/abc.jpg", b"\xff\xd8 jpeg bytes")
    await app.graph.write(
        batch_statements(
            [
                PostNode(post_id=1, channel_id=7, date="2026-01-01", tags=("новости", "ai")),
                PostNode(post_id=2, channel_id=7, date="2026-01-02", tags=("ai",), album_id=3),
            ]
        )
    )


def _local_vectors(settings: Settings) -> VectorIndex:
    from qdrant_client import QdrantClient

    path = settings.data_dir / "qdrant"
    path.mkdir(parents=True, exist_ok=True)
    return VectorIndex(QdrantClient(path=str(path)), "backup_test", 4, "test")


def _rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    if url.startswith("postgresql"):
        url = url.replace("postgresql://", "postgresql+psycopg2://", 1)
    engine = create_engine(url)
    out = {}
    with engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            rows = conn.execute(text(f'SELECT * FROM "{table}"')).fetchall()
            out[table] = sorted(tuple(map(repr, r)) for r in rows)
    engine.dispose()
    return out


def _sync_url(settings: Settings) -> str:
    url = settings.database_url or f"sqlite:///{settings.sqlite_path}"
    return url.replace("sqlite+aiosqlite://", "sqlite://")


async def _graph_facts(app: App) -> dict[str, Any]:
    return {
        "albums": await app.graph.albums_of_channel(7),
        "posts": await app.graph.post_count(7),
        "tags": await app.graph.tags_of_post(1),
        "album_posts": await app.graph.posts_of_album(3),
    }


async def test_round_trip_restores_every_store(
    settings: Settings, target_settings: Settings, fixtures_dir: Path, tmp_path: Path
) -> None:
    source = await App.start(settings, migrate=True)
    try:
        await source.redis.flushdb()
        await _populate(source, fixtures_dir)
        vectors = _local_vectors(settings)
        await vectors.upsert(
            [
                PostVector(
                    post_id=i,
                    channel_id=7,
                    vector=np.eye(4, dtype=np.float32)[i % 4],
                    date=datetime(2026, 1, 1, tzinfo=UTC),
                    text=f"post {i}",
                )
                for i in range(1, 7)
            ]
        )
        vectors.close()
        exports = settings.data_dir / "exports"
        exports.mkdir(parents=True, exist_ok=True)
        (exports / "campaign_1_demo.xlsx").write_bytes(b"PK xlsx bytes")
        source_graph = await _graph_facts(source)
        source_streams = await stream_offsets(source.redis, STREAM)
        source_keys = sorted(await source.redis.keys("*"))
        archive = tmp_path / "install.tar.gz"
        report = await backup(settings, archive)
        assert report.counts["vectors"] == {"backup_test": 6}
        assert report.counts["graph"]["posts"] == 2 and report.counts["blobs"] == 1
    finally:
        await source.close()

    restored = await restore(target_settings, archive)
    assert restored.redis_keys == len(source_keys)
    assert _rows(_sync_url(target_settings)) == _rows(_sync_url(settings))
    target = await App.start(target_settings)
    try:
        assert sorted(await target.redis.keys("*")) == source_keys
        assert await stream_offsets(target.redis, STREAM) == source_streams
        assert source_streams["groups"]["readers"]["pending"] == 2
        assert await target.redis.get("tgassist:test:hwm") == "42"
        assert 0 < await target.redis.ttl("tgassist:test:hwm") <= 3600
        assert await _graph_facts(target) == source_graph
        assert await target.blobs.get("media/ab/abc.jpg") == b"\xff\xd8 jpeg bytes"
        restored_file = target_settings.data_dir / "exports" / "campaign_1_demo.xlsx"
        assert restored_file.read_bytes() == b"PK xlsx bytes"
        await target.redis.flushdb()
    finally:
        await target.close()
    restored_vectors = _local_vectors(target_settings)
    try:
        assert await restored_vectors.count() == 6
    finally:
        restored_vectors.close()


async def test_restore_refuses_a_non_empty_install(
    settings: Settings, target_settings: Settings, tmp_path: Path
) -> None:
    source = await App.start(settings, migrate=True)
    await source.redis.flushdb()
    await source.redis.set("tgassist:test:x", "1")
    await source.close()
    archive = tmp_path / "a.tar.gz"
    await backup(settings, archive)
    # the source install itself is not empty: refused, nothing changed
    before = _rows(_sync_url(settings))
    with pytest.raises(BackupError) as err:
        await restore(settings, archive)
    assert err.value.key == "backup.target_not_empty"
    assert "is not empty" in str(err.value) and "--force" in str(err.value)
    assert "не пусто" in err.value.render("ru") and " is not empty" not in err.value.render("ru")
    assert _rows(_sync_url(settings)) == before
    app = await App.start(settings)
    await app.redis.flushdb()
    await app.close()


def _tamper(archive: Path, out: Path, member: str, data: bytes | None) -> None:
    """Copy `archive` with `member` replaced by `data` (or dropped when None)."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for m in src.getmembers():
            if m.name == member:
                if data is None:
                    continue
                m.size = len(data)
                dst.addfile(m, io.BytesIO(data))
            else:
                dst.addfile(m, src.extractfile(m))


@pytest.mark.parametrize("damage", ["flipped", "dropped", "truncated", "foreign"])
async def test_a_damaged_archive_is_refused_and_nothing_written(
    damage: str, settings: Settings, target_settings: Settings, tmp_path: Path
) -> None:
    source = await App.start(settings, migrate=True)
    await source.redis.flushdb()
    await source.redis.set("tgassist:test:x", "1")
    await source.close()
    archive = tmp_path / "good.tar.gz"
    await backup(settings, archive)
    bad = tmp_path / "bad.tar.gz"
    db_member = next(n for n in tarfile.open(archive, "r:gz").getnames() if n.startswith("db/"))
    if damage == "flipped":
        _tamper(archive, bad, "redis/keys.jsonl", b'{"k": "eA==", "ttl": 0, "v": "AA=="}\n')
    elif damage == "dropped":
        _tamper(archive, bad, db_member, None)
    elif damage == "truncated":
        raw = archive.read_bytes()
        bad.write_bytes(raw[: len(raw) // 2])
    else:
        bad.write_bytes(gzip.compress(b"not a tar at all"))
    with pytest.raises(BackupError) as err:
        await restore(target_settings, bad)
    assert err.value.key in {
        "backup.checksum_mismatch",
        "backup.part_missing",
        "backup.archive_corrupted",
        "backup.unsafe_member",
    }
    leftovers = (
        [p.name for p in target_settings.data_dir.iterdir()]
        if target_settings.data_dir.exists()
        else []
    )
    assert leftovers == []
    app = await App.start(settings)
    await app.redis.flushdb()
    await app.close()


async def test_an_archive_from_newer_code_is_refused(
    settings: Settings, target_settings: Settings, tmp_path: Path
) -> None:
    import json

    source = await App.start(settings, migrate=True)
    await source.redis.flushdb()
    await source.close()
    archive = tmp_path / "good.tar.gz"
    await backup(settings, archive)
    with tarfile.open(archive, "r:gz") as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        manifest = json.loads(member.read())
    assert manifest["migrations"], "the manifest records the migration level"
    manifest["migrations"] = [*manifest["migrations"], "9999_from_the_future"]
    newer = tmp_path / "newer.tar.gz"
    _tamper(archive, newer, "manifest.json", json.dumps(manifest).encode())
    with pytest.raises(BackupError) as err:
        await restore(target_settings, newer)
    assert err.value.key == "backup.migration_unknown"
    assert "9999_from_the_future" in str(err.value)
    leftovers = (
        [p.name for p in target_settings.data_dir.iterdir()]
        if target_settings.data_dir.exists()
        else []
    )
    assert leftovers == []

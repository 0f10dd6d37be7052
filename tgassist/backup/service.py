"""Backup and restore of a whole install, as the CLI and API call them.

`backup` writes one archive of a consistent snapshot of every store while the app runs;
`restore` checks an archive completely (manifest, checksums, migration level) before it writes
anything, and only into an empty install unless forced.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from tgassist import __version__
from tgassist.backup import parts
from tgassist.backup.archive import Manifest, read_archive, write_archive
from tgassist.backup.errors import BackupError
from tgassist.core.i18n import Msg
from tgassist.settings import Settings

log = structlog.get_logger(__name__)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BackupReport:
    path: Path
    size: int
    counts: dict[str, Any]
    notes: list[Msg] = field(default_factory=list)  # rendered by the door


@dataclass(frozen=True)
class RestoreReport:
    database: str
    redis_keys: int
    vectors: dict[str, int]
    graph: dict[str, int]
    blobs: int
    migrated_to: list[str]
    notes: list[Msg] = field(default_factory=list)  # rendered by the door


def default_name(now: datetime | None = None) -> Path:
    now = now or datetime.now(UTC)
    return Path(f"tgassist-backup-{now:%Y%m%d-%H%M%S}.tar.gz")


def _noop(_: str) -> None:
    return None


async def backup(settings: Settings, out: Path, progress: Progress = _noop) -> BackupReport:
    """Write `out` (refusing to overwrite) from the install `settings` describe."""
    from tgassist.app import App

    if await asyncio.to_thread(out.exists):
        raise BackupError("backup.output_exists", path=str(out))
    await asyncio.to_thread(out.parent.mkdir, parents=True, exist_ok=True)
    app = await App.start(settings)
    notes: list[Msg] = []
    try:
        with tempfile.TemporaryDirectory(prefix=".tgassist-backup-", dir=out.parent) as tmp:
            stage = Path(tmp)
            progress("database")
            db_kind, heads, rows = await asyncio.to_thread(parts.export_database, settings, stage)
            progress("redis")
            redis_facts = await parts.export_redis(app.redis, stage)
            progress("vectors")
            if settings.qdrant_url:
                vectors = await asyncio.to_thread(
                    parts.export_vectors_server, app.vectors._client, stage
                )
            else:
                vectors = await asyncio.to_thread(
                    parts.export_vectors_local, settings.data_dir / "qdrant", stage
                )
            progress("graph")
            graph = await _export_graph(app, settings, stage)
            progress("blobs")
            if settings.s3_endpoint_url:
                blobs = 0
                notes.append(Msg("backup.note.s3_blobs", {"bucket": settings.s3_bucket}))
            else:
                blobs = await asyncio.to_thread(
                    parts.export_blobs, settings.data_dir / "blobs", stage
                )
            from tgassist.campaigns.storage import export_dir

            exports = await asyncio.to_thread(
                parts.export_blobs, export_dir(settings), stage, "exports"
            )
            counts = {
                "exports": exports,
                "tables": rows,
                "redis_keys": redis_facts["keys"],
                "streams": redis_facts["streams"],
                "vectors": vectors,
                "graph": graph,
                "blobs": blobs,
            }
            manifest = Manifest(
                created_at=datetime.now(UTC).isoformat(),
                tgassist_version=__version__,
                database=db_kind,
                redis="server" if settings.redis_url else "embedded",
                vectors="server" if settings.qdrant_url else "local",
                blobs="s3" if settings.s3_endpoint_url else "local",
                migrations=heads,
                counts=counts,
                notes=[n.render("en") for n in notes],  # the archive's own record
            )
            progress("archive")
            await asyncio.to_thread(write_archive, stage, manifest, out)
    finally:
        await app.close()
    size = (await asyncio.to_thread(out.stat)).st_size
    log.info("backup written", path=str(out), size=size)
    return BackupReport(path=out, size=size, counts=counts, notes=notes)


async def _export_graph(app: Any, settings: Settings, stage: Path) -> dict[str, int]:
    if settings.neo4j_url:
        rows = {name: await app.graph.read(query, {}) for name, query in parts.GRAPH_EXPORT.items()}

        def read_cached(query: str) -> list[dict[str, Any]]:
            name = next(n for n, q in parts.GRAPH_EXPORT.items() if q == query)
            return list(rows[name])

        return parts.export_graph_rows(read_cached, stage)
    path = settings.data_dir / "graph" / "tgassist.lbug"
    if not path.exists():
        return {}

    def run() -> dict[str, int]:
        read, close = parts.ladybug_reader(path)
        try:
            return parts.export_graph_rows(read, stage)
        finally:
            close()

    return await asyncio.to_thread(run)


def _data_dir_in_use(data_dir: Path) -> list[str]:
    """What makes a data dir non-empty for a restore (sockets and lock files do not count)."""
    if not data_dir.exists():
        return []
    ignore = {".lock"}
    return sorted(
        str(p.relative_to(data_dir))
        for p in data_dir.iterdir()
        if p.name not in ignore
        and not p.name.startswith(".tgassist-")
        and not p.name.endswith((".sock", ".pid", ".lock"))
    )


def script_revisions() -> tuple[set[str], list[str]]:
    """(every revision, the heads) of the migrations this code ships."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from tgassist.core.db import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(cfg)
    return {r.revision for r in script.walk_revisions()}, sorted(script.get_heads())


async def restore(
    settings: Settings, archive: Path, *, force: bool = False, progress: Progress = _noop
) -> RestoreReport:
    """Restore `archive` into the install `settings` describe; nothing is written unless the
    archive is whole and the target empty (or `force`)."""
    from tgassist.app import App
    from tgassist.core.db import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    leftovers = _data_dir_in_use(settings.data_dir)
    with tempfile.TemporaryDirectory(prefix=".tgassist-restore-", dir=settings.data_dir) as tmp:
        stage = Path(tmp)
        progress("verify")
        manifest = await asyncio.to_thread(read_archive, archive, stage)
        known, heads = script_revisions()
        for head in manifest.migrations:
            if head not in known:
                raise BackupError("backup.migration_unknown", revision=head)
        target_db, _ = parts.database_kind(settings)
        if manifest.database != target_db:
            raise BackupError(
                "backup.backend_mismatch", archived=manifest.database, target=target_db
            )
        if leftovers and not force:
            raise BackupError(
                "backup.target_not_empty",
                what=Msg("backup.what.data_dir", {"path": str(settings.data_dir)}),
            )
        app = await App.start(settings)
        try:
            if force:
                await _empty(app, settings)
            else:
                await _refuse_non_empty(app)
            progress("database")
            await app.db.close()
            await asyncio.to_thread(parts.import_database, manifest.database, stage, settings)
            await upgrade(settings.db_url)  # an older archive is brought to this code's level
            progress("redis")
            keys = await parts.import_redis(app.redis, stage)
            progress("vectors")
            if settings.qdrant_url:
                await asyncio.to_thread(parts.import_vectors_server, app.vectors._client, stage)
            else:
                await asyncio.to_thread(
                    parts.import_vectors_local, stage, settings.data_dir / "qdrant"
                )
            progress("graph")
            statements = parts.graph_statements(stage)
            if statements:
                await app.graph.write(statements)
            progress("blobs")
            blobs = 0
            if not settings.s3_endpoint_url:
                blobs = await asyncio.to_thread(
                    parts.import_blobs, stage, settings.data_dir / "blobs"
                )
            from tgassist.campaigns.storage import export_dir

            await asyncio.to_thread(parts.import_blobs, stage, export_dir(settings), "exports")
        finally:
            await app.close()
    counts = manifest.counts
    return RestoreReport(
        database=manifest.database,
        redis_keys=keys,
        vectors=dict(counts.get("vectors", {})),
        graph=dict(counts.get("graph", {})),
        blobs=blobs,
        migrated_to=heads,
        notes=[Msg("backup.note.s3_restore")] if manifest.blobs == "s3" else [],
    )


async def _refuse_non_empty(app: Any) -> None:
    from sqlalchemy import inspect

    async with app.db.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
    if tables:
        raise BackupError("backup.target_not_empty", what=Msg("backup.what.database"))
    if await app.redis.dbsize():
        raise BackupError("backup.target_not_empty", what=Msg("backup.what.redis"))


async def _empty(app: Any, settings: Settings) -> None:
    """--force: drop what the target holds (tables, Redis keys, vectors, graph, blobs)."""
    from sqlalchemy import text

    async with app.db.engine.begin() as conn:
        if app.db.dialect == "postgresql":
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    kind, url = parts.database_kind(settings)
    if kind == "sqlite":
        await app.db.close()
        parts.sqlite_file(url).unlink(missing_ok=True)
    await app.redis.flushdb()
    for sub in ("qdrant", "graph", "blobs"):
        if not (settings.qdrant_url and sub == "qdrant"):
            shutil.rmtree(settings.data_dir / sub, ignore_errors=True)

"""What a backup holds, part by part: database, Redis, vectors, graph, blobs.

Each part has an exporter (writes files under the staging directory, returns counts) and an
importer (reads them back into an install). Parts read the stores without taking them over, so a
backup runs beside a live `tgassist run`: SQLite through its online backup API, PostgreSQL through
`pg_dump` (one snapshot), Redis key by key with DUMP, Qdrant local collections through SQLite's
backup API on their storage files (Qdrant server: scroll and upsert), LadybugDB opened read-only.
"""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

from tgassist.backup.errors import BackupError

if TYPE_CHECKING:
    from tgassist.core.redis import Redis
    from tgassist.settings import Settings

GRAPH_EXPORT = {
    "channels": "MATCH (c:Channel) RETURN c.id AS id ORDER BY id",
    "posts": "MATCH (p:Post) RETURN p.id AS id, p.channel_id AS channel_id, p.date AS date ORDER BY id",
    "tags": "MATCH (t:Tag) RETURN t.name AS name ORDER BY name",
    "albums": "MATCH (a:Album) RETURN a.id AS id, a.channel_id AS channel_id ORDER BY id",
    "has_post": "MATCH (c:Channel)-[:HAS_POST]->(p:Post) RETURN c.id AS c, p.id AS p",
    "tagged": "MATCH (p:Post)-[:TAGGED]->(t:Tag) RETURN p.id AS p, t.name AS t",
    "has_album": "MATCH (c:Channel)-[:HAS_ALBUM]->(a:Album) RETURN c.id AS c, a.id AS a",
    "contains": "MATCH (a:Album)-[:CONTAINS]->(p:Post) RETURN a.id AS a, p.id AS p",
}


def libpq_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as libpq understands it (no driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run_tool(args: list[str], tool: str) -> None:
    if shutil.which(args[0]) is None:
        raise BackupError("backup.tool_missing", tool=tool)
    proc = subprocess.run(args, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        raise BackupError(
            "backup.tool_failed", tool=tool, reason=(lines[-1] if lines else "?")[:300]
        )


# --- database ------------------------------------------------------------------------------


def sqlite_copy(src: Path, dst: Path) -> None:
    """A consistent copy of a live SQLite file (WAL included) through the online backup API."""
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def database_kind(settings: Settings) -> tuple[str, str]:
    """("sqlite" | "postgresql", the URL) of an install's database."""
    url = settings.database_url or f"sqlite:///{settings.sqlite_path}"
    return ("sqlite" if make_url(url).get_backend_name() == "sqlite" else "postgresql"), url


def sqlite_file(url: str) -> Path:
    return Path(make_url(url).database or "")


def export_database(settings: Settings, stage: Path) -> tuple[str, list[str], dict[str, int]]:
    """(kind, alembic heads, row counts per table) of the snapshot written under `stage`."""
    kind, url = database_kind(settings)
    if kind == "sqlite":
        dst = stage / "db" / "tgassist.sqlite3"
        dst.parent.mkdir(parents=True)
        sqlite_copy(sqlite_file(url), dst)
        return "sqlite", *_sqlite_facts(dst)
    dst = stage / "db" / "tgassist.pgdump"
    dst.parent.mkdir(parents=True)
    _run_tool(
        [
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={dst}",
            f"--dbname={libpq_url(url)}",
        ],
        "pg_dump",
    )
    heads, counts = _pg_facts_from_dump(dst)
    return "postgresql", heads, counts


def _sqlite_facts(path: Path) -> tuple[list[str], dict[str, int]]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        counts = {t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables}
        heads = sorted(r[0] for r in conn.execute("SELECT version_num FROM alembic_version"))
        return heads, counts
    finally:
        conn.close()


def _pg_facts_from_dump(dump: Path) -> tuple[list[str], dict[str, int]]:
    """Alembic heads and row counts read from the dump itself (the same snapshot)."""
    proc = subprocess.run(
        ["pg_restore", "--data-only", "--table=alembic_version", "--file=-", str(dump)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    heads: list[str] = []
    copying = False
    for line in proc.stdout.splitlines():
        if line.startswith("COPY ") and "alembic_version" in line:
            copying = True
        elif copying and line == "\\.":
            copying = False
        elif copying and line:
            heads.append(line.strip())
    return sorted(heads), {}


def import_database(kind: str, stage: Path, settings: Settings) -> None:
    target, url = database_kind(settings)
    if target != kind:
        raise BackupError("backup.backend_mismatch", archived=kind, target=target)
    if kind == "sqlite":
        path = sqlite_file(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        sqlite_copy(stage / "db" / "tgassist.sqlite3", path)
        return
    _run_tool(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            f"--dbname={libpq_url(url)}",
            str(stage / "db" / "tgassist.pgdump"),
        ],
        "pg_restore",
    )


# --- Redis ---------------------------------------------------------------------------------


def raw_client(redis: Redis) -> Redis:
    """A client on the same server and database that returns bytes (DUMP payloads are binary)."""
    from redis import asyncio as aioredis

    pool = redis.connection_pool
    kwargs = {**pool.connection_kwargs, "decode_responses": False}
    return aioredis.Redis(
        connection_pool=aioredis.ConnectionPool(connection_class=pool.connection_class, **kwargs)
    )


def _append_lines(path: Path, lines: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as out:
        out.writelines(lines)


async def export_redis(redis: Redis, stage: Path) -> dict[str, Any]:
    """Every key of the install's Redis database (DUMP + TTL); stream offsets for the manifest."""
    path = stage / "redis" / "keys.jsonl"
    await asyncio.to_thread(path.parent.mkdir, parents=True)
    await asyncio.to_thread(path.touch)
    keys = 0
    streams: dict[str, Any] = {}
    lines: list[str] = []
    raw = raw_client(redis)
    try:
        async for name in raw.scan_iter(count=1000):
            dumped = await raw.dump(name)
            if dumped is None:  # expired between SCAN and DUMP
                continue
            ttl = await raw.pttl(name)
            record = {
                "k": base64.b64encode(name).decode(),
                "ttl": max(int(ttl), 0),
                "v": base64.b64encode(dumped).decode(),
            }
            lines.append(json.dumps(record) + "\n")
            keys += 1
            if await raw.type(name) == b"stream":
                key = name.decode(errors="replace")
                streams[key] = await stream_offsets(redis, key)
            if len(lines) >= 1000:
                await asyncio.to_thread(_append_lines, path, lines)
                lines = []
        await asyncio.to_thread(_append_lines, path, lines)
    finally:
        await raw.aclose()
    return {"keys": keys, "streams": streams}


async def stream_offsets(redis: Redis, key: str) -> dict[str, Any]:
    """Length, last id and each group's last-delivered id and pending count of a stream."""
    info = await redis.xinfo_stream(key)
    groups = await redis.xinfo_groups(key)
    return {
        "length": int(info["length"]),
        "last_id": str(info["last-generated-id"]),
        "groups": {
            str(g["name"]): {
                "last_delivered": str(g["last-delivered-id"]),
                "pending": int(g["pending"]),
            }
            for g in groups
        },
    }


async def import_redis(redis: Redis, stage: Path) -> int:
    path = stage / "redis" / "keys.jsonl"
    lines = (await asyncio.to_thread(path.read_text, encoding="utf-8")).splitlines()
    raw = raw_client(redis)
    try:
        for line in lines:
            rec = json.loads(line)
            await raw.restore(
                base64.b64decode(rec["k"]),
                int(rec["ttl"]),
                base64.b64decode(rec["v"]),
                replace=True,
            )
    finally:
        await raw.aclose()
    return len(lines)


# --- vectors -------------------------------------------------------------------------------


def export_vectors_local(qdrant_dir: Path, stage: Path) -> dict[str, int]:
    """Qdrant local mode: meta.json plus a consistent copy of each collection's storage file."""
    counts: dict[str, int] = {}
    if not (qdrant_dir / "meta.json").exists():
        return counts
    out = stage / "qdrant"
    out.mkdir(parents=True)
    shutil.copy2(qdrant_dir / "meta.json", out / "meta.json")
    for storage in sorted((qdrant_dir / "collection").glob("*/storage.sqlite")):
        name = storage.parent.name
        dst = out / "collection" / name / "storage.sqlite"
        dst.parent.mkdir(parents=True)
        sqlite_copy(storage, dst)
        conn = sqlite3.connect(dst)
        counts[name] = int(conn.execute("SELECT count(*) FROM points").fetchone()[0])
        conn.close()
    return counts


def import_vectors_local(stage: Path, qdrant_dir: Path) -> None:
    src = stage / "qdrant"
    if not src.exists():
        return
    if qdrant_dir.exists():
        shutil.rmtree(qdrant_dir)
    shutil.copytree(src, qdrant_dir)


def export_vectors_server(client: Any, stage: Path) -> dict[str, int]:
    """Qdrant server: every collection's parameters and points (vectors + payload), scrolled."""
    counts: dict[str, int] = {}
    out = stage / "qdrant-server"
    out.mkdir(parents=True)
    for coll in client.get_collections().collections:
        info = client.get_collection(coll.name)
        params = info.config.params.vectors
        with open(out / f"{coll.name}.jsonl", "w", encoding="utf-8") as fh:
            fh.write(json.dumps({"params": params.model_dump(mode="json")}) + "\n")
            offset, n = None, 0
            while True:
                points, offset = client.scroll(
                    coll.name, limit=512, offset=offset, with_vectors=True, with_payload=True
                )
                for p in points:
                    fh.write(
                        json.dumps({"id": p.id, "vector": p.vector, "payload": p.payload}) + "\n"
                    )
                    n += 1
                if offset is None:
                    break
        counts[coll.name] = n
    return counts


def import_vectors_server(client: Any, stage: Path) -> None:
    from qdrant_client import models

    for path in sorted((stage / "qdrant-server").glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            params = json.loads(fh.readline())["params"]
            name = path.stem
            if client.collection_exists(name):
                client.delete_collection(name)
            client.create_collection(name, vectors_config=models.VectorParams(**params))
            batch: list[Any] = []
            for line in fh:
                rec = json.loads(line)
                batch.append(
                    models.PointStruct(id=rec["id"], vector=rec["vector"], payload=rec["payload"])
                )
                if len(batch) >= 512:
                    client.upsert(name, batch)
                    batch = []
            if batch:
                client.upsert(name, batch)


# --- graph ---------------------------------------------------------------------------------


def export_graph_rows(read: Any, stage: Path) -> dict[str, int]:
    """Nodes and relationships through `read(query) -> list[dict]` (read-only), as JSON."""
    data = {name: read(query) for name, query in GRAPH_EXPORT.items()}
    out = stage / "graph" / "graph.json"
    out.parent.mkdir(parents=True)
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return {name: len(rows) for name, rows in data.items()}


def ladybug_reader(path: Path) -> tuple[Any, Any]:
    """A read-only LadybugDB handle and a `read(query)` function (works beside a live writer)."""
    import ladybug

    db = ladybug.Database(str(path), read_only=True)
    conn = ladybug.Connection(db)

    def read(query: str) -> list[dict[str, Any]]:
        result = conn.execute(query)
        result = result[0] if isinstance(result, list) else result
        names = result.get_column_names()
        rows = []
        while result.has_next():
            rows.append(dict(zip(names, result.get_next(), strict=True)))
        return rows

    def close() -> None:
        conn.close()
        db.close()

    return read, close


def graph_statements(stage: Path) -> list[tuple[str, dict[str, Any]]]:
    """The archived graph as the same MERGE statements the indexing stage writes."""
    from tgassist.channels.graph import QUERIES

    path = stage / "graph" / "graph.json"
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    posts = {p["id"]: p for p in data["posts"]}
    albums = {a["id"]: a for a in data["albums"]}
    stmts: list[tuple[str, dict[str, Any]]] = []
    for rel in data["has_post"]:
        post = posts.get(rel["p"], {})
        stmts.append(
            (
                QUERIES["upsert_post"],
                {
                    "channel_id": rel["c"],
                    "post_id": rel["p"],
                    "date": post.get("date") or "",
                },
            )
        )
    tags: dict[int, list[str]] = {}
    for rel in data["tagged"]:
        tags.setdefault(rel["p"], []).append(rel["t"])
    for post_id, names in tags.items():
        stmts.append((QUERIES["add_tags"], {"post_id": post_id, "tags": names}))
    for rel in data["has_album"]:
        stmts.append((QUERIES["upsert_album"], {"channel_id": rel["c"], "album_id": rel["a"]}))
    for rel in data["contains"]:
        if rel["a"] in albums:
            stmts.append((QUERIES["link_album_post"], {"album_id": rel["a"], "post_id": rel["p"]}))
    return stmts


# --- blobs ---------------------------------------------------------------------------------


def export_blobs(root: Path, stage: Path, part: str = "blobs") -> int:
    """Every file under `root` (blobs, or campaign exports) into `stage/part`."""
    if not root.exists():
        return 0
    out = stage / part
    n = 0
    for path in sorted(
        p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".tmp-")
    ):
        dst = out / path.relative_to(root)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dst)
        n += 1
    return n


def import_blobs(stage: Path, root: Path, part: str = "blobs") -> int:
    src = stage / part
    if not src.exists():
        return 0
    n = 0
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        dst = root / path.relative_to(src)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dst)
        n += 1
    return n

"""The knowledge graph: LadybugDB embedded in the data dir, or Neo4j over Bolt.

`(:Channel)-[:HAS_POST]->(:Post)-[:TAGGED]->(:Tag)`, `(:Channel)-[:HAS_ALBUM]->(:Album)`,
`(:Album)-[:CONTAINS]->(:Post)`. Both backends run the same Cypher (`QUERIES`, MERGE in the
common openCypher subset); only the schema statements differ (LadybugDB needs typed node
tables, Neo4j gets uniqueness constraints).
"""

from __future__ import annotations

import asyncio
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from tgassist.core.errors import BackendUnavailable, LocalizedError

if TYPE_CHECKING:
    from tgassist.settings import Settings

log = structlog.get_logger(__name__)


class GraphError(LocalizedError):
    """A graph write or read failed: a `channels.graph.*` key naming the backend."""


QUERIES = {
    "upsert_post": (
        "MERGE (c:Channel {id: $channel_id}) MERGE (p:Post {id: $post_id}) "
        "SET p.channel_id = $channel_id, p.date = $date MERGE (c)-[:HAS_POST]->(p)"
    ),
    "clear_tags": "MATCH (p:Post {id: $post_id})-[r:TAGGED]->(:Tag) DELETE r",
    "add_tags": "MATCH (p:Post {id: $post_id}) UNWIND $tags AS name MERGE (t:Tag {name: name}) MERGE (p)-[:TAGGED]->(t)",
    "upsert_album": (
        "MERGE (c:Channel {id: $channel_id}) MERGE (a:Album {id: $album_id}) "
        "SET a.channel_id = $channel_id MERGE (c)-[:HAS_ALBUM]->(a)"
    ),
    "link_album_post": "MATCH (a:Album {id: $album_id}), (p:Post {id: $post_id}) MERGE (a)-[:CONTAINS]->(p)",
    "posts_by_tag": (
        "MATCH (p:Post)-[:TAGGED]->(t:Tag {name: $tag}) RETURN p.id AS post_id ORDER BY post_id LIMIT $limit"
    ),
    "tags_of_post": "MATCH (p:Post {id: $post_id})-[:TAGGED]->(t:Tag) RETURN t.name AS tag ORDER BY tag",
    "posts_of_album": "MATCH (a:Album {id: $album_id})-[:CONTAINS]->(p:Post) RETURN p.id AS post_id ORDER BY post_id",
    "albums_of_channel": (
        "MATCH (c:Channel {id: $channel_id})-[:HAS_ALBUM]->(a:Album) RETURN a.id AS album_id ORDER BY album_id"
    ),
    "post_count": "MATCH (c:Channel {id: $channel_id})-[r:HAS_POST]->(p:Post) RETURN count(r) AS n",
}

LADYBUG_SCHEMA = (
    "CREATE NODE TABLE IF NOT EXISTS Channel(id INT64, PRIMARY KEY(id))",
    "CREATE NODE TABLE IF NOT EXISTS Post(id INT64, channel_id INT64, date STRING, PRIMARY KEY(id))",
    "CREATE NODE TABLE IF NOT EXISTS Tag(name STRING, PRIMARY KEY(name))",
    "CREATE NODE TABLE IF NOT EXISTS Album(id INT64, channel_id INT64, PRIMARY KEY(id))",
    "CREATE REL TABLE IF NOT EXISTS HAS_POST(FROM Channel TO Post)",
    "CREATE REL TABLE IF NOT EXISTS TAGGED(FROM Post TO Tag)",
    "CREATE REL TABLE IF NOT EXISTS HAS_ALBUM(FROM Channel TO Album)",
    "CREATE REL TABLE IF NOT EXISTS CONTAINS(FROM Album TO Post)",
)
NEO4J_SCHEMA = (
    "CREATE CONSTRAINT channel_id IF NOT EXISTS FOR (n:Channel) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT post_id IF NOT EXISTS FOR (n:Post) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT tag_name IF NOT EXISTS FOR (n:Tag) REQUIRE n.name IS UNIQUE",
    "CREATE CONSTRAINT album_id IF NOT EXISTS FOR (n:Album) REQUIRE n.id IS UNIQUE",
)

Statement = tuple[str, dict[str, Any]]

# The same writes for many posts at once: one parse and plan per batch instead of per post.
# Kept to one MERGE per statement: LadybugDB mis-handles a chain of MERGEs under one UNWIND.
BATCH_QUERIES = (
    (
        "posts",
        "UNWIND $rows AS row MERGE (p:Post {id: row.post_id}) SET p.channel_id = row.channel_id, p.date = row.date",
    ),
    ("channels", "UNWIND $rows AS cid MERGE (c:Channel {id: cid})"),
    (
        "posts",
        "UNWIND $rows AS row MATCH (c:Channel {id: row.channel_id}), (p:Post {id: row.post_id}) MERGE (c)-[:HAS_POST]->(p)",
    ),
    ("post_ids", "UNWIND $rows AS pid MATCH (p:Post {id: pid})-[r:TAGGED]->(:Tag) DELETE r"),
    ("tags", "UNWIND $rows AS name MERGE (t:Tag {name: name})"),
    (
        "tagged",
        "UNWIND $rows AS row MATCH (p:Post {id: row.post_id}), (t:Tag {name: row.tag}) MERGE (p)-[:TAGGED]->(t)",
    ),
    (
        "albums",
        "UNWIND $rows AS row MERGE (a:Album {id: row.album_id}) SET a.channel_id = row.channel_id",
    ),
    (
        "albums",
        "UNWIND $rows AS row MATCH (c:Channel {id: row.channel_id}), (a:Album {id: row.album_id}) MERGE (c)-[:HAS_ALBUM]->(a)",
    ),
    (
        "contains",
        "UNWIND $rows AS row MATCH (a:Album {id: row.album_id}), (p:Post {id: row.post_id}) MERGE (a)-[:CONTAINS]->(p)",
    ),
)


@dataclass(frozen=True)
class PostNode:
    """A post as the graph sees it."""

    post_id: int
    channel_id: int
    date: str | None = None
    tags: tuple[str, ...] = ()
    album_id: int | None = None

    def statements(self) -> list[Statement]:
        """The writes that make the graph hold exactly this post (its old tags are replaced)."""
        ids = {"post_id": self.post_id, "channel_id": self.channel_id}
        out: list[Statement] = [
            (QUERIES["upsert_post"], {**ids, "date": self.date or ""}),
            (QUERIES["clear_tags"], {"post_id": self.post_id}),
        ]
        if self.tags:
            out.append((QUERIES["add_tags"], {"post_id": self.post_id, "tags": list(self.tags)}))
        if self.album_id is not None:
            out.append(
                (
                    QUERIES["upsert_album"],
                    {"album_id": self.album_id, "channel_id": self.channel_id},
                )
            )
            out.append(
                (QUERIES["link_album_post"], {"album_id": self.album_id, "post_id": self.post_id})
            )
        return out


def batch_statements(nodes: list[PostNode]) -> list[Statement]:
    """The writes that make the graph hold exactly these posts, as a few UNWIND statements."""
    if not nodes:
        return []
    rows: dict[str, list[Any]] = {
        "posts": [
            {"post_id": n.post_id, "channel_id": n.channel_id, "date": n.date or ""} for n in nodes
        ],
        "channels": sorted({n.channel_id for n in nodes}),
        "post_ids": [n.post_id for n in nodes],
        "tags": sorted({t for n in nodes for t in n.tags}),
        "tagged": [{"post_id": n.post_id, "tag": t} for n in nodes for t in dict.fromkeys(n.tags)],
        "albums": [
            {"album_id": a, "channel_id": c}
            for a, c in sorted(
                {(n.album_id, n.channel_id) for n in nodes if n.album_id is not None}
            )
        ],
        "contains": [
            {"album_id": n.album_id, "post_id": n.post_id} for n in nodes if n.album_id is not None
        ],
    }
    return [(query, {"rows": rows[key]}) for key, query in BATCH_QUERIES if rows[key]]


class Graph(ABC):
    """Write posts, read them back. Writes of one post are one transaction."""

    backend: str = "graph"

    @abstractmethod
    async def write(self, statements: list[Statement]) -> None: ...

    @abstractmethod
    async def read(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]: ...

    @abstractmethod
    async def close(self) -> None: ...

    async def upsert_post(self, post: PostNode) -> None:
        await self.write(post.statements())

    async def posts_by_tag(self, tag: str, limit: int = 100) -> list[int]:
        rows = await self.read(QUERIES["posts_by_tag"], {"tag": tag, "limit": limit})
        return [int(r["post_id"]) for r in rows]

    async def tags_of_post(self, post_id: int) -> list[str]:
        return [
            str(r["tag"]) for r in await self.read(QUERIES["tags_of_post"], {"post_id": post_id})
        ]

    async def posts_of_album(self, album_id: int) -> list[int]:
        return [
            int(r["post_id"])
            for r in await self.read(QUERIES["posts_of_album"], {"album_id": album_id})
        ]

    async def albums_of_channel(self, channel_id: int) -> list[int]:
        return [
            int(r["album_id"])
            for r in await self.read(QUERIES["albums_of_channel"], {"channel_id": channel_id})
        ]

    async def post_count(self, channel_id: int) -> int:
        rows = await self.read(QUERIES["post_count"], {"channel_id": channel_id})
        return int(rows[0]["n"]) if rows else 0


class LadybugGraph(Graph):
    """Embedded LadybugDB (Kùzu lineage). Synchronous and single-process: calls run in a thread, locked."""

    backend = "ladybug"

    def __init__(self, path: str) -> None:
        import ladybug

        self._lock = threading.Lock()
        self._db = ladybug.Database(path)
        self._conn = ladybug.Connection(self._db)
        for stmt in LADYBUG_SCHEMA:
            self._conn.execute(stmt)

    def _write_sync(self, statements: list[Statement]) -> None:
        with self._lock:
            self._conn.execute("BEGIN TRANSACTION")
            try:
                for query, params in statements:
                    self._conn.execute(query, params)
            except Exception:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _read_sync(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._lock:
            result = self._conn.execute(query, params)
            result = result[0] if isinstance(result, list) else result
            names = result.get_column_names()
            rows = []
            while result.has_next():
                rows.append(dict(zip(names, result.get_next(), strict=True)))
            return rows

    async def write(self, statements: list[Statement]) -> None:
        try:
            await asyncio.to_thread(self._write_sync, statements)
        except Exception as err:
            raise GraphError(
                "channels.graph.write_failed", backend="ladybug", error=str(err)
            ) from err

    async def read(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            return await asyncio.to_thread(self._read_sync, query, params)
        except Exception as err:
            raise GraphError(
                "channels.graph.read_failed", backend="ladybug", error=str(err)
            ) from err

    async def close(self) -> None:
        with self._lock:
            self._conn.close()
            self._db.close()


class Neo4jGraph(Graph):
    """Neo4j over Bolt (async driver); the schema is created on first use."""

    backend = "neo4j"

    def __init__(self, url: str, user: str, password: str | None) -> None:
        from neo4j import AsyncGraphDatabase

        self._driver = AsyncGraphDatabase.driver(url, auth=(user, password or ""))
        self._schema_ready = False
        self._schema_lock = asyncio.Lock()

    async def _ensure_schema(self) -> None:
        if self._schema_ready:
            return
        async with self._schema_lock:
            if not self._schema_ready:
                async with self._driver.session() as session:
                    for stmt in NEO4J_SCHEMA:
                        await session.run(stmt)
                self._schema_ready = True

    async def write(self, statements: list[Statement]) -> None:
        async def work(tx: Any) -> None:
            for query, params in statements:
                await (await tx.run(query, params)).consume()

        try:
            await self._ensure_schema()
            async with self._driver.session() as session:
                await session.execute_write(work)
        except Exception as err:
            raise GraphError(
                "channels.graph.write_failed", backend="neo4j", error=str(err)
            ) from err

    async def read(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            await self._ensure_schema()
            async with self._driver.session() as session:
                result = await session.run(query, params)
                return [dict(r) for r in await result.data()]
        except Exception as err:
            raise GraphError("channels.graph.read_failed", backend="neo4j", error=str(err)) from err

    async def close(self) -> None:
        await self._driver.close()


def build_graph(settings: Settings) -> Graph:
    """Neo4j when TGASSIST_NEO4J_URL is set, else LadybugDB at `<data_dir>/graph/tgassist.lbug`."""
    if settings.neo4j_url:
        password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else None
        return Neo4jGraph(settings.neo4j_url, settings.neo4j_user, password)
    path = settings.data_dir / "graph"
    path.mkdir(parents=True, exist_ok=True)
    try:
        return LadybugGraph(str(path / "tgassist.lbug"))
    except Exception as err:
        raise BackendUnavailable(
            "channels.graph.embedded_unavailable", path=str(path), error=str(err)
        ) from err


__all__ = [
    "Graph",
    "GraphError",
    "LadybugGraph",
    "Neo4jGraph",
    "PostNode",
    "QUERIES",
    "build_graph",
]

"""Graph: LadybugDB embedded; posts, tags and albums MERGEd idempotently and read back."""

from __future__ import annotations

from tgassist.app import App
from tgassist.channels.graph import QUERIES, LadybugGraph, PostNode, build_graph


async def test_posts_tags_and_albums_are_written_and_read_back(app: App) -> None:
    graph = app.graph
    assert isinstance(graph, LadybugGraph)
    await graph.upsert_post(
        PostNode(1, 10, "2024-01-01T00:00:00+00:00", ("футбол", "topic:sports"), album_id=5)
    )
    await graph.upsert_post(PostNode(2, 10, "2024-01-02T00:00:00+00:00", ("футбол",), album_id=5))
    await graph.upsert_post(PostNode(3, 11, None, ("экономика",)))
    assert await graph.posts_by_tag("футбол") == [1, 2]
    assert await graph.tags_of_post(1) == ["topic:sports", "футбол"]
    assert await graph.posts_of_album(5) == [1, 2]
    assert await graph.albums_of_channel(10) == [5]
    assert await graph.albums_of_channel(11) == []
    assert await graph.post_count(10) == 2


async def test_rewrites_are_idempotent_and_replace_tags(app: App) -> None:
    graph = app.graph
    node = PostNode(1, 10, "2024-01-01", ("a", "b"), album_id=5)
    for _ in range(3):
        await graph.upsert_post(node)
    assert await graph.post_count(10) == 1
    assert await graph.posts_of_album(5) == [1]
    rows = await graph.read("MATCH (p:Post)-[r:TAGGED]->(t:Tag) RETURN count(r) AS n", {})
    assert rows[0]["n"] == 2
    await graph.upsert_post(PostNode(1, 10, "2024-01-01", ("c",), album_id=5))
    assert await graph.tags_of_post(1) == ["c"]
    assert await graph.posts_by_tag("a") == []
    await graph.upsert_post(PostNode(1, 10, "2024-01-01", ()))
    assert await graph.tags_of_post(1) == []


async def test_graph_persists_in_the_data_dir(app: App) -> None:
    await app.graph.upsert_post(PostNode(7, 3, "2024-01-01", ("x",)))
    await app.graph.close()
    del app.__dict__["graph"]
    reopened = build_graph(app.settings)
    try:
        assert await reopened.posts_by_tag("x") == [7]
    finally:
        await reopened.close()


def test_one_query_set_in_the_common_cypher_subset() -> None:
    # Both backends run these strings; keep them to MERGE/MATCH/SET/DELETE/UNWIND/RETURN.
    for q in QUERIES.values():
        assert not any(
            word in q for word in ("CALL ", "apoc.", "COPY ", "CREATE NODE", "ON CREATE")
        )


async def test_batched_writes_build_the_same_graph_as_per_post_writes(app: App, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The indexing stage writes a batch with `batch_statements`; the graph must be the same."""
    from tgassist.channels.graph import batch_statements

    nodes = [
        PostNode(
            i,
            10 + (i // 4) % 3,
            f"2024-01-{1 + i % 28:02d}",  # an album's posts share a channel tuple({f"t{i % 5}", f"t{i % 7}"}),
            album_id=(100 + i // 4 if i % 2 else None),
        )
        for i in range(1, 41)
    ]
    per_post = LadybugGraph(str(tmp_path / "per_post"))
    batched = app.graph
    for node in nodes:
        await per_post.write(node.statements())
    await batched.write(batch_statements(nodes[:20]))
    await batched.write(batch_statements(nodes[15:]))  # an overlapping re-write is idempotent
    retagged = PostNode(2, 10, "2024-01-04", ("new",))
    await per_post.write(retagged.statements())
    await batched.write(batch_statements([retagged]))  # old tags replaced in a batch too
    for query in (
        "MATCH (c:Channel)-[:HAS_POST]->(p:Post) RETURN c.id AS cid, p.id AS pid, p.date AS d ORDER BY pid, cid",
        "MATCH (p:Post)-[:TAGGED]->(t:Tag) RETURN p.id AS pid, t.name AS tag ORDER BY pid, tag",
        "MATCH (c:Channel)-[:HAS_ALBUM]->(a:Album)-[:CONTAINS]->(p:Post) RETURN c.id AS cid, a.id AS aid, p.id AS pid ORDER BY aid, pid",
    ):
        assert await batched.read(query, {}) == await per_post.read(query, {}), query
    assert await batched.tags_of_post(2) == ["new"]
    await per_post.close()

"""Search and ask quality on a labelled question set: `python -m benchmarks search_quality`.

Corpus: the two fixture exports (trantor, pachum; imported through the real import) and 60
generated posts in 6 channels (benchmarks/data/qa/corpus.jsonl), indexed the way the indexing stage
does it (USE embeddings into Qdrant local mode). Questions: benchmarks/data/qa/questions.jsonl,
156 in Russian and English, written as paraphrases (other words than the posts), 24 with no
answer in the corpus. Split: a question is in the `tune` half when sha1(question) is even, else in
`test`; settings were only ever adjusted looking at `tune` (BENCH_QA_SPLIT=tune), and the figures
reported are those of `test` (the default). Prints Recall@5, MRR@10, answer correctness (the
expected fact in the answer text), citation correctness (cited posts that are a gold post), and
unanswerable questions detected (answered "not found").
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from tgassist.app import App
from tgassist.settings import Settings

DATA = Path(__file__).resolve().parent / "data" / "qa"
FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "telegram-desktop"
SPLIT = os.environ.get("BENCH_QA_SPLIT", "test")


def split_of(question: str) -> str:
    return "tune" if int(hashlib.sha1(question.encode()).hexdigest(), 16) % 2 == 0 else "test"


def load_questions(split: str) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (DATA / "questions.jsonl").open(encoding="utf-8")]
    return [r for r in rows if split == "all" or split_of(r["q"]) == split]


async def build_world(app: App) -> dict[str, int]:
    """Import the fixtures and the generated corpus; gold id → post id."""
    from sqlalchemy import select

    from tests.channels.read_util import add_posts, index_posts, make_channel
    from tgassist.channels.ingest import import_export
    from tgassist.channels.models import Channel, Post

    gold: dict[str, int] = {}
    for name in ("trantor", "pachum"):
        res = await import_export(app, FIXTURES / name)
        async with app.db.session() as session:
            for mid, pid in (
                await session.execute(
                    select(Post.message_id, Post.id).where(Post.channel_id == res.channel_id)
                )
            ).all():
                gold[f"{name}:{mid}"] = pid
    corpus = [json.loads(line) for line in (DATA / "corpus.jsonl").open(encoding="utf-8")]
    channels: dict[str, int] = {}
    for row in corpus:
        if row["channel"] not in channels:
            channels[row["channel"]] = await make_channel(app, row["channel"], row["channel"])
        (pid,) = await add_posts(app, channels[row["channel"]], [row["text"]])
        gold[row["id"]] = pid
    async with app.db.session() as session:
        all_ids = list(await session.scalars(select(Post.id)))
        assert await session.scalar(select(Channel.id).limit(1)) is not None
    await index_posts(app, all_ids)
    return gold


async def evaluate(app: App, gold_ids: dict[str, int], questions: list[dict[str, Any]]) -> dict:
    from tgassist.channels.ask import ask
    from tgassist.channels.search import SearchQuery, search

    recall5 = mrr = 0.0
    answerable = [q for q in questions if q["gold"]]
    unanswerable = [q for q in questions if not q["gold"]]
    correct = found_ok = cit_total = cit_ok = detected = 0
    misses = []
    for q in answerable:
        want = {gold_ids[g] for g in q["gold"]}
        res = await search(app, SearchQuery(q["q"], limit=10))
        ids = [h.post_id for h in res.hits]
        if want & set(ids[:5]):
            recall5 += 1
        for rank, pid in enumerate(ids, 1):
            if pid in want:
                mrr += 1 / rank
                break
        ans = await ask(app, q["q"])
        if ans.found:
            found_ok += 1
            for s in ans.sources:
                cit_total += 1
                cit_ok += s.post_id in want
            if q["expect"] and q["expect"].lower() in ans.text.lower():
                correct += 1
            else:
                misses.append(("wrong", q["q"], ans.text[:120]))
        else:
            misses.append(("not found", q["q"], ans.confidence))
    for q in unanswerable:
        ans = await ask(app, q["q"])
        if not ans.found:
            detected += 1
        else:
            misses.append(("answered", q["q"], ans.confidence))
    n = max(len(answerable), 1)
    return {
        "questions": len(questions),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "recall@5": round(recall5 / n, 3),
        "mrr@10": round(mrr / n, 3),
        "answer_correct": round(correct / n, 3),
        "answered": round(found_ok / n, 3),
        "citations_correct": round(cit_ok / max(cit_total, 1), 3),
        "unanswerable_detected": round(detected / max(len(unanswerable), 1), 3),
        "misses": misses,
    }


async def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp) / "data")  # type: ignore[call-arg]
        app = await App.start(settings, migrate=True)
        try:
            started = time.perf_counter()
            gold = await build_world(app)
            built = time.perf_counter() - started
            report = await evaluate(app, gold, load_questions(SPLIT))
            report["split"] = SPLIT
            report["build_s"] = round(built, 1)
            return report
        finally:
            await app.close()


def main() -> None:
    report = asyncio.run(run())
    misses = report.pop("misses")
    print(json.dumps(report, indent=2))
    if os.environ.get("BENCH_QA_VERBOSE"):
        for m in misses:
            print(m)


if __name__ == "__main__":
    main()

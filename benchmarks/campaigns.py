"""Campaigns: a brief + an imported list of 2,000 keywords → clusters, ads, XLSX; clustering quality.

`python -m benchmarks campaigns`. Offline (no Wordstat, no LLM), SQLite + embedded Redis in a temp dir.
Figures: wall time of the whole build (target ≤ 10 s), time per stage, compliance (target 100 %), and
the adjusted Rand index on the hand-labelled set `benchmarks/data/keywords_labelled.csv`
(324 Russian keywords, 18 intents; target ≥ 0.8) at the default threshold and around it.
"""

from __future__ import annotations

import asyncio
import csv
import random
import tempfile
import time
from pathlib import Path

from sklearn.metrics import adjusted_rand_score
from sqlalchemy import select

from tgassist.app import App
from tgassist.campaigns import service
from tgassist.campaigns.clustering import cluster_keywords
from tgassist.campaigns.models import Campaign, StageResult
from tgassist.campaigns.tasks import BUILD_STAGE
from tgassist.core.worker import Worker
from tgassist.settings import Settings

DATA = Path(__file__).resolve().parent / "data" / "keywords_labelled.csv"
MODIFIERS = (
    "",
    "цена",
    "недорого",
    "москва",
    "купить",
    "отзывы",
    "рядом",
    "круглосуточно",
    "срочно",
    "спб",
    "на дому",
    "для дома",
    "под ключ",
    "с гарантией",
    "официальный сайт",
    "2026",
    "акция",
    "каталог",
)
TARGET_KEYWORDS = 2000


def labelled() -> tuple[list[str], list[str]]:
    with DATA.open(encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter=";"))[1:]
    return [r[0] for r in rows], [r[1] for r in rows]


def keyword_file(path: Path) -> Path:
    """2,000 distinct phrases (labelled phrases × modifiers), Key Collector style: ';', Russian headers."""
    rng = random.Random(7)
    phrases, _ = labelled()
    out: list[str] = []
    seen: set[str] = set()
    for mod in MODIFIERS:
        for p in phrases:
            cand = f"{p} {mod}".strip()
            if cand not in seen:
                seen.add(cand)
                out.append(cand)
            if len(out) == TARGET_KEYWORDS:
                break
        if len(out) == TARGET_KEYWORDS:
            break
    with path.open("w", encoding="utf-8") as f:
        f.write("Фраза;Частота [WS]\n")
        for p in out:
            f.write(f"{p};{rng.randint(10, 20000)}\n")
    return path


async def build_benchmark(tmp: Path) -> dict[str, object]:
    settings = Settings(_env_file=None, data_dir=tmp / "data", bus_block_ms=50)  # type: ignore[call-arg]
    app = await App.start(settings, migrate=True)
    try:
        await app.embedder.embed(
            ["прогрев"]
        )  # the model loads once per process; reported separately
        brief = {
            "name": "Бенчмарк",
            "product": "услуги для дома и бизнеса",
            "base_phrases": ["ремонт холодильников"],
            "region": "Москва",
            "url": "https://example.ru",
            "price": "от 990 ₽",
            "advantages": ["Гарантия 1 год", "Работаем без выходных"],
            "keywords_file": str(keyword_file(tmp / "keywords.csv")),
        }
        from tgassist.core.users import ensure_user

        user = await ensure_user(app.db, telegram_id=1)
        t0 = time.perf_counter()
        started = await service.create_campaign(app, user.id, brief)
        worker = Worker(app, [BUILD_STAGE], name="bench")
        await app.outbox.drain()
        await worker.run_until_idle()
        wall = time.perf_counter() - t0
        async with app.db.session() as s:
            camp = await s.get(Campaign, started.campaign_id)
            stages = (
                await s.execute(
                    select(StageResult.stage, StageResult.finished_at)
                    .where(StageResult.campaign_id == started.campaign_id)
                    .order_by(StageResult.id)
                )
            ).all()
        assert camp is not None and camp.status == "completed", (
            camp.error if camp else "no campaign"
        )
        return {"wall": wall, "campaign": camp, "stages": stages}
    finally:
        await app.close()


async def quality(embedder: object) -> list[tuple[float, float, int]]:
    phrases, truth = labelled()
    out = []
    for threshold in (0.5, 0.55, 0.6, 0.65, 0.7):
        res = await cluster_keywords(phrases, [None] * len(phrases), embedder, threshold=threshold)  # type: ignore[arg-type]
        pred = [0] * len(phrases)
        for gi, g in enumerate(res.groups):
            for i in g:
                pred[i] = gi
        out.append((threshold, adjusted_rand_score(truth, pred), len(res.groups)))
    return out


async def amain() -> None:
    from tgassist.ai.embeddings import build_embedder

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    t = time.perf_counter()
    embedder = build_embedder(settings)
    await embedder.embed(["прогрев"])
    load = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as d:
        r = await build_benchmark(Path(d))
    camp = r["campaign"]
    print(f"embedding model load (once per process): {load:.2f} s")
    print(
        f"build: {TARGET_KEYWORDS} imported keywords → {camp.keywords_count} keywords, {camp.groups_count} groups, "
        f"{camp.ads_count} ads, XLSX+CSV in {r['wall']:.2f} s wall (target ≤ 10 s)"
    )
    prev = camp.created_at
    for stage, at in r["stages"]:
        print(f"  {stage:<9} {(at - prev).total_seconds():6.2f} s")
        prev = at
    gen, cl = camp.report["generate"], camp.report["cluster"]
    print(
        f"compliance {gen['compliance'] * 100:.1f} % (target 100 %), keyword in title {gen['keyword_in_title'] * 100:.1f} %,"
        f" duplicates {gen['duplicates'] * 100:.1f} %; silhouette {cl['silhouette']}, group sizes "
        f"{cl['size_min']}–{cl['size_max']} (median {cl['size_median']})"
    )
    default = settings.campaigns_cluster_threshold
    for threshold, ari, groups in await quality(embedder):
        mark = "  ← default" if abs(threshold - default) < 1e-9 else ""
        print(
            f"ARI on 324 labelled keywords / 18 intents, threshold {threshold:.2f}: {ari:.3f} ({groups} groups){mark}"
        )


def main() -> None:
    asyncio.run(amain())


if __name__ == "__main__":
    main()

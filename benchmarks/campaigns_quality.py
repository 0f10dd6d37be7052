"""Grouping quality on hand-labelled keyword sets that the clustering was not tuned on.

`python -m benchmarks campaigns_quality`. Sets live in `benchmarks/data/semantics/` (one CSV per business,
`phrase;intent`, written as Wordstat returns phrases: typos, word order, places, commercial words):

- `tune_*.csv` — twelve businesses (air conditioners: services; photo printing: goods; flowers: goods;
  car service: actions on many parts; fitness club: sports and audiences; wedding and family
  photography: services with many synonyms; dental clinic: medicine; windows: goods and services;
  tyre service: goods and services; cargo transport: B2B services; plumbing: home services;
  travel agency: destinations and audiences). Thresholds, the lexicon and every rule of
  `tgassist/campaigns/{intent,grouping,clustering}.py` were tuned on these only.
- `heldout_*.csv` — four other businesses (English school: education; vet clinic: medicine; accounting:
  B2B; cleaning: services), never looked at while tuning. The figures that count come from these.
- `benchmarks/data/keywords_labelled.csv` — the old set (furniture, repairs, food, …), also held out.

The split is by business, not by phrase, so no intent of a held-out business is seen while tuning.
Each set is clustered on its own (one business = one campaign). Figures: adjusted Rand index, purity
(how little a group mixes intents) and inverse purity (how little an intent is split across groups).
Targets on the held-out sets: ARI ≥ 0.8, purity ≥ 0.9.

`CAMPAIGNS_QUALITY_SETS=tune python -m benchmarks campaigns_quality` evaluates the tuning sets only
(what to run while developing, so that the held-out figures are read once, at the end); `heldout`
evaluates the held-out sets only; unset, both.
"""

from __future__ import annotations

import asyncio
import csv
import os
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from sklearn.metrics import adjusted_rand_score

from tgassist.campaigns.clustering import cluster_keywords

DATA = Path(__file__).resolve().parent / "data"
SETS = DATA / "semantics"
OLD_SET = DATA / "keywords_labelled.csv"


def read_set(path: Path) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8") as f:
        rows = [r for r in csv.reader(f, delimiter=";")][1:]
    return [r[0] for r in rows if r], [r[1] for r in rows if r]


def labelled_sets(kind: str) -> dict[str, Path]:
    """`tune` or `heldout` sets by name; the old set counts as held out."""
    out = {p.stem.split("_", 1)[1]: p for p in sorted(SETS.glob(f"{kind}_*.csv"))}
    if kind == "heldout":
        out["old (18 intents)"] = OLD_SET
    return out


def purity(truth: Sequence[str], pred: Sequence[int]) -> float:
    """Share of phrases that are in their group's majority intent."""
    by_group: dict[int, Counter[str]] = {}
    for t, p in zip(truth, pred, strict=True):
        by_group.setdefault(p, Counter())[t] += 1
    return sum(c.most_common(1)[0][1] for c in by_group.values()) / len(truth)


def inverse_purity(truth: Sequence[str], pred: Sequence[int]) -> float:
    """Share of phrases that are in their intent's largest group."""
    by_intent: dict[str, Counter[int]] = {}
    for t, p in zip(truth, pred, strict=True):
        by_intent.setdefault(t, Counter())[p] += 1
    return sum(c.most_common(1)[0][1] for c in by_intent.values()) / len(truth)


async def evaluate(path: Path, embedder: object, **kwargs: object) -> dict[str, float]:
    phrases, truth = read_set(path)
    res = await cluster_keywords(phrases, [None] * len(phrases), embedder, **kwargs)  # type: ignore[arg-type]
    pred = [0] * len(phrases)
    for gi, g in enumerate(res.groups):
        for i in g:
            pred[i] = gi
    return {
        "phrases": len(phrases),
        "intents": len(set(truth)),
        "groups": len(res.groups),
        "ari": adjusted_rand_score(truth, pred),
        "purity": purity(truth, pred),
        "inverse_purity": inverse_purity(truth, pred),
    }


def print_table(title: str, rows: dict[str, dict[str, float]]) -> None:
    print(title)
    print(
        f"  {'set':<18} {'phrases':>7} {'intents':>7} {'groups':>6} {'ARI':>6} {'purity':>7} {'inv.pur':>7}"
    )
    for name, r in rows.items():
        print(
            f"  {name:<18} {r['phrases']:>7} {r['intents']:>7} {r['groups']:>6} {r['ari']:>6.3f}"
            f" {r['purity']:>7.3f} {r['inverse_purity']:>7.3f}"
        )
    n = sum(r["phrases"] for r in rows.values())
    mean = {
        k: sum(r[k] * r["phrases"] for r in rows.values()) / n
        for k in ("ari", "purity", "inverse_purity")
    }
    print(
        f"  {'weighted mean':<18} {n:>7} {'':>7} {'':>6} {mean['ari']:>6.3f} {mean['purity']:>7.3f}"
        f" {mean['inverse_purity']:>7.3f}"
    )


async def amain() -> None:
    from tgassist.ai.embeddings import build_embedder
    from tgassist.settings import Settings

    embedder = build_embedder(Settings(_env_file=None))  # type: ignore[call-arg]
    await embedder.embed(["прогрев"])
    chosen = os.environ.get("CAMPAIGNS_QUALITY_SETS", "").strip()
    if chosen not in ("", "tune", "heldout"):
        raise SystemExit(f"CAMPAIGNS_QUALITY_SETS must be tune or heldout, not {chosen!r}")
    for kind in ("tune", "heldout"):
        if chosen and kind != chosen:
            continue
        t = time.perf_counter()
        rows = {name: await evaluate(p, embedder) for name, p in labelled_sets(kind).items()}
        print_table(f"{kind} sets ({time.perf_counter() - t:.1f} s):", rows)


def main() -> None:
    asyncio.run(amain())


if __name__ == "__main__":
    main()

"""Keywords → ad groups: lemma pre-grouping, USE embeddings, agglomerative clustering (cosine threshold).

Pre-grouping puts phrases with the same *core* lemmas (without commercial modifiers, region words and
stop words) together before any embedding, so "купить диван недорого" and "диваны цена" never split;
only one vector per pre-group is computed, which also keeps 2,000 keywords well under a few seconds.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from tgassist.ai.base import Embedder
from tgassist.ai.text import STOP_WORDS, lemma
from tgassist.campaigns.keywords import plain_words
from tgassist.campaigns.regions import REGIONS

Progress = Callable[[int, int], Awaitable[None]]
EMBED_BATCH = 256
MARKER_SHARE = (0.1, 0.6)  # a marker lemma is in 10–60 % of its cluster's phrases

# Words that change the bid intent little and the ad not at all: they never separate groups.
GENERIC_WORDS = frozenset(
    lemma(w)
    for w in (
        "купить",
        "цена",
        "цены",
        "стоимость",
        "сколько",
        "стоит",
        "заказать",
        "заказ",
        "недорого",
        "недорогой",
        "дешево",
        "дешевый",
        "дорого",
        "доставка",
        "доставкой",
        "магазин",
        "интернет",
        "онлайн",
        "официальный",
        "сайт",
        "лучший",
        "отзывы",
        "рядом",
        "срочно",
        "прайс",
        "каталог",
        "акция",
        "скидка",
        "распродажа",
        "выгодно",
        "рублей",
        "руб",
        "год",
        "2024",
        "2025",
        "2026",
        "продажа",
        "продаю",
        "от",
        "производителя",
        "услуга",
        "услуги",
        "компания",
        "недорогие",
        "круглосуточно",
        "вызов",
        "нужен",
        "нужна",
        "подобрать",
        "выбрать",
        "где",
        "какой",
    )
)
REGION_WORDS = frozenset(
    lemma(w)
    for r in REGIONS
    for phrase in (*r.words, *r.aliases, r.name)
    for w in phrase.replace("-", " ").split()
)


@dataclass
class ClusterReport:
    """Quality figures of one clustering: silhouette (cosine) and how group sizes spread."""

    groups: int = 0
    pregroups: int = 0
    silhouette: float | None = None
    size_min: int = 0
    size_max: int = 0
    size_mean: float = 0.0
    size_median: float = 0.0
    size_std: float = 0.0
    singletons: int = 0

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class Clustering:
    """Groups as lists of keyword indices, each with its name (the most frequent phrase)."""

    groups: list[list[int]]
    names: list[str]
    report: ClusterReport = field(default_factory=ClusterReport)


def core_key(phrase: str) -> str:
    words = [w for w in plain_words(phrase) if w not in STOP_WORDS]
    lems = {lemma(w) for w in words}
    core = lems - GENERIC_WORDS - REGION_WORDS
    return " ".join(sorted(core or lems))


def core_text(phrase: str) -> str:
    """The phrase without generic and region words (what is embedded)."""
    words = [w for w in plain_words(phrase) if w not in STOP_WORDS]
    kept = [w for w in words if lemma(w) not in GENERIC_WORDS and lemma(w) not in REGION_WORDS]
    return " ".join(kept or words)


def group_name(phrases: Sequence[str], freqs: Sequence[int | None]) -> str:
    """The most frequent phrase; without frequencies, the most common core, shortest phrase first."""
    if any(f for f in freqs):
        return phrases[max(range(len(phrases)), key=lambda i: (freqs[i] or 0, -len(phrases[i])))]
    return min(phrases, key=lambda p: (len(p.split()), len(p), p))


async def cluster_keywords(
    phrases: Sequence[str],
    freqs: Sequence[int | None],
    embedder: Embedder,
    *,
    threshold: float = 0.6,
    max_size: int = 200,
    marker_min: int = 6,
    on_progress: Progress | None = None,
) -> Clustering:
    """Cluster phrases into ad groups; `on_progress(done, total)` may raise to cancel."""
    from sklearn.cluster import AgglomerativeClustering

    n = len(phrases)
    if n == 0:
        return Clustering([], [])
    pre: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(phrases):
        pre[core_key(p)].append(i)
    keys = list(pre)
    texts = [
        core_text(phrases[max(pre[k], key=lambda i: (freqs[i] or 0, -len(phrases[i])))])
        for k in keys
    ]
    vectors = np.zeros((len(keys), int(getattr(embedder, "dim", 0) or 1)), dtype=np.float32)
    chunks: list[np.ndarray] = []
    total_steps = (len(keys) + EMBED_BATCH - 1) // EMBED_BATCH + 1
    for step, start in enumerate(range(0, len(keys), EMBED_BATCH)):
        if on_progress:
            await on_progress(step, total_steps)
        chunks.append(
            np.asarray(await embedder.embed(texts[start : start + EMBED_BATCH]), dtype=np.float32)
        )
    vectors = np.vstack(chunks)
    if on_progress:
        await on_progress(total_steps - 1, total_steps)
    if len(keys) == 1:
        labels = np.zeros(1, dtype=int)
    else:
        model = AgglomerativeClustering(
            n_clusters=None, distance_threshold=threshold, metric="cosine", linkage="average"
        )
        labels = model.fit_predict(vectors)
    by_label: dict[int, list[str]] = defaultdict(list)
    for k_idx, lab in enumerate(labels):
        by_label[int(lab)].append(keys[k_idx])
    groups: list[list[int]] = []
    for cluster_keys in by_label.values():
        for members in split_by_markers(cluster_keys, pre, marker_min):
            members.sort(key=lambda i: (-(freqs[i] or 0), phrases[i]))
            groups += [members[s : s + max_size] for s in range(0, len(members), max_size)]
    groups.sort(key=lambda g: (-sum(freqs[i] or 0 for i in g), -len(g), phrases[g[0]]))
    names = [group_name([phrases[i] for i in g], [freqs[i] for i in g]) for g in groups]
    key_vec = {keys[j]: vectors[j] for j in range(len(keys))}
    report = quality(groups, [key_vec[core_key(p)] for p in phrases])
    report.pregroups = len(keys)
    if on_progress:
        await on_progress(total_steps, total_steps)
    return Clustering(groups, names, report)


def split_by_markers(
    cluster_keys: Sequence[str], pre: dict[str, list[int]], marker_min: int
) -> list[list[int]]:
    """Split a topic cluster by its *marker* lemmas: words found in at least `marker_min` phrases and in
    MARKER_SHARE of the cluster ("угловой", "кровать" among sofas), not in (nearly) all of it (the head
    noun) and not in a few (brands, tails). Each phrase joins its most common marker; the rest stay."""
    n = sum(len(pre[k]) for k in cluster_keys)
    df: Counter[str] = Counter()
    for k in cluster_keys:
        for lem in set(k.split()):
            df[lem] += len(pre[k])
    lo, hi = MARKER_SHARE
    markers = [lem for lem, c in df.most_common() if c >= max(marker_min, lo * n) and c <= hi * n]
    parts: dict[str | None, list[int]] = defaultdict(list)
    for k in cluster_keys:
        words = k.split()
        parts[next((m for m in markers if m in words), None)].extend(pre[k])
    if markers and sum(1 for p in parts.values() if len(p) >= marker_min) >= 2:
        return list(parts.values())
    return [[i for k in cluster_keys for i in pre[k]]]


def quality(groups: Sequence[Sequence[int]], vectors: Sequence[np.ndarray]) -> ClusterReport:
    """Silhouette (cosine, sampled to 2,000 keywords) and group size spread."""
    sizes = [len(g) for g in groups]
    rep = ClusterReport(
        groups=len(groups),
        size_min=min(sizes),
        size_max=max(sizes),
        size_mean=round(statistics.fmean(sizes), 2),
        size_median=float(statistics.median(sizes)),
        size_std=round(statistics.pstdev(sizes), 2),
        singletons=sum(1 for s in sizes if s == 1),
    )
    labels = np.empty(len(vectors), dtype=int)
    for gi, g in enumerate(groups):
        labels[list(g)] = gi
    if 2 <= len(groups) <= len(vectors) - 1:
        from sklearn.metrics import silhouette_score

        x = np.vstack(vectors)
        sample = min(len(x), 2000)
        rep.silhouette = round(
            float(silhouette_score(x, labels, metric="cosine", sample_size=sample, random_state=0)),
            4,
        )
    return rep


def cross_minus(
    group_phrases: Sequence[Sequence[str]], max_words: int = 10
) -> dict[tuple[int, int], list[str]]:
    """Cross-minus words: for phrase P in group A and a phrase Q = P + one word in group B, that word becomes
    a minus word of P, so queries with it go to group B. Only one extra word: with Q = P + a + b, «-a -b»
    on P would also block queries with a alone, which Q (needing both) does not catch either — lost
    traffic. Keys are (group, phrase index)."""
    lemma_sets: list[tuple[int, int, frozenset[str], list[str]]] = []
    postings: dict[str, list[int]] = defaultdict(list)
    for gi, phrases in enumerate(group_phrases):
        for pi, p in enumerate(phrases):
            words = [w for w in plain_words(p) if w not in STOP_WORDS]
            lems = frozenset(lemma(w) for w in words)
            for lem in lems:
                postings[lem].append(len(lemma_sets))
            lemma_sets.append((gi, pi, lems, words))
    out: dict[tuple[int, int], list[str]] = {}
    for gi, pi, lems, _words in lemma_sets:
        if not lems:
            continue
        common = set.intersection(*(set(postings[lem]) for lem in lems))
        extra: Counter[str] = Counter()
        for j in common:
            gj, _, lems_j, words_j = lemma_sets[j]
            if gj == gi or len(lems_j) - len(lems) != 1:
                continue
            for w in words_j:
                if lemma(w) not in lems:
                    extra[w] += 1
        if extra:
            out[(gi, pi)] = [w for w, _ in extra.most_common(max_words)]
    return out

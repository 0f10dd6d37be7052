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
from tgassist.campaigns.grouping import group_intents, hubs
from tgassist.campaigns.intent import PhraseIntent, analyse, is_noun
from tgassist.campaigns.keywords import plain_words
from tgassist.campaigns.merging import (
    AVERAGE_SIMILARITY,
    LEFTOVER_SIMILARITY,
    SWAP_SIMILARITY,
    SYNONYM_SIMILARITY,
    VARIANT_SIMILARITY,
    attach_small,
    merge_average,
    merge_synonyms,
    place_leftovers,
    place_rare_variants,
)
from tgassist.campaigns.regions import REGIONS

Progress = Callable[[int, int], Awaitable[None]]
EMBED_BATCH = 256

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
    explained: list[dict[str, object]] = field(default_factory=list)

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
    threshold: float = 0.4,
    max_size: int = 200,
    marker_min: int = 5,
    on_progress: Progress | None = None,
) -> Clustering:
    """Cluster phrases into ad groups; `on_progress(done, total)` may raise to cancel.

    Groups come from what the phrases ask for (`intent.analyse` + `grouping.group_intents`): an action,
    an audience or a product type never shares a group with another. Embeddings move rare variants
    out of broad groups (`place_rare_variants`), join groups of one action and audience whose object
    words are synonyms (`merge_synonyms`) or whose phrases are alike on average while sharing no word
    (`merge_average`), and place the small remainder that no rule places: a group of up to `SMALL_GROUP` phrases joins the nearest larger
    group with the same action and audience when their cosine distance is under `threshold`, and what
    is still left alone at the end joins the larger group of its kind most alike on average
    (`place_leftovers`)."""
    n = len(phrases)
    if n == 0:
        return Clustering([], [])
    intents = analyse(phrases)
    found = group_intents(intents, min_family=marker_min)
    found = await place_rare_variants(found, intents, embedder, VARIANT_SIMILARITY)
    reps = [max(g.members, key=lambda i: (freqs[i] or 0, -len(phrases[i]))) for g in found]
    texts = [core_text(phrases[i]) for i in reps]
    # What each group names, without its action and audience words: synonyms are found on these,
    # so that a shared «ремонт» does not make «ремонт двс» and «ремонт ходовой» look alike.
    # Only the group's own units: a word folded in from a narrower phrase («зубов» of «имплантация
    # зубов» under {имплант}) would make the group look like the hub word's group.
    object_texts = [
        " ".join(w for u, w in intents[i].words.items() if u[0] not in "@#" and u in g.signature)
        for g, i in zip(found, reps, strict=True)
    ]
    has_object = [bool(t) for t in object_texts]
    # A group with no object word («ремонт», «купить») gets its core text: it never merges as a
    # synonym (`has_object`), and no empty text is embedded.
    object_texts = [t or core for t, core in zip(object_texts, texts, strict=True)]
    n_groups = len(texts)
    unit_word = {u: w for i in reps for u, w in intents[i].words.items()}
    unit_word = {u: w for u, w in unit_word.items() if u[0] not in "@#"}
    word_units = sorted(unit_word)
    texts = texts + object_texts + [unit_word[u] for u in word_units]
    chunks: list[np.ndarray] = []
    total_steps = (len(texts) + EMBED_BATCH - 1) // EMBED_BATCH + 1
    for step, start in enumerate(range(0, len(texts), EMBED_BATCH)):
        if on_progress:
            await on_progress(step, total_steps)
        chunks.append(
            np.asarray(await embedder.embed(texts[start : start + EMBED_BATCH]), dtype=np.float32)
        )
    vectors = np.vstack(chunks)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit_all = vectors / np.where(norms == 0, 1, norms)
    unit, object_unit = unit_all[:n_groups], unit_all[n_groups : 2 * n_groups]
    word_vectors = dict(zip(word_units, unit_all[2 * n_groups :], strict=True))
    target = merge_synonyms(
        found, object_unit, has_object, SYNONYM_SIMILARITY, word_vectors, SWAP_SIMILARITY
    )
    small = attach_small(found, unit, threshold, hubs(intents))
    target = [target[small[gi]] if target[gi] == gi else target[gi] for gi in range(len(found))]
    # A final average-linkage pass over whole groups (`merge_average`).
    # What each phrase names, without its action, audience, commercial words and places.
    ptext = [
        " ".join(w for u, w in it.words.items() if u[0] not in "@#") or core_text(p)
        for it, p in zip(intents, phrases, strict=True)
    ]
    phrase_texts = sorted(set(ptext))
    pvecs: list[np.ndarray] = []
    for start in range(0, len(phrase_texts), EMBED_BATCH):
        pvecs.append(
            np.asarray(
                await embedder.embed(phrase_texts[start : start + EMBED_BATCH]), dtype=np.float32
            )
        )
    pv = np.vstack(pvecs)
    pv = pv / np.where((norms := np.linalg.norm(pv, axis=1, keepdims=True)) == 0, 1, norms)
    text_row = {t: r for r, t in enumerate(phrase_texts)}
    phrase_vec = pv[[text_row[t] for t in ptext]]
    target = merge_average(found, target, phrase_vec, AVERAGE_SIMILARITY)
    target = place_leftovers(found, target, phrase_vec, LEFTOVER_SIMILARITY)
    merged: dict[int, list[int]] = defaultdict(list)
    for gi, g in enumerate(found):
        merged[target[gi]].extend(g.members)
    groups: list[list[int]] = []
    heads: list[frozenset[str]] = []
    for root, members in merged.items():
        members.sort(key=lambda i: (-(freqs[i] or 0), phrases[i]))
        for s in range(0, len(members), max_size):
            groups.append(members[s : s + max_size])
            heads.append(found[root].signature)
    order = sorted(
        range(len(groups)),
        key=lambda k: (
            -sum(freqs[i] or 0 for i in groups[k]),
            -len(groups[k]),
            phrases[groups[k][0]],
        ),
    )
    groups = [groups[k] for k in order]
    heads = [heads[k] for k in order]
    names = [group_name([phrases[i] for i in g], [freqs[i] for i in g]) for g in groups]
    vec_of = {i: unit[gi] for gi, g in enumerate(found) for i in g.members}
    # Phrases of one intent share one vector, so a silhouette would only measure that: not reported.
    report = quality(groups, [vec_of[i] for i in range(n)], silhouette=False)
    report.pregroups = len(found)
    report.explained = [
        explain(sig, intents[next(i for i in g if phrases[i] == name)], len(g))
        for sig, g, name in zip(heads, groups, names, strict=True)
    ]
    if on_progress:
        await on_progress(total_steps, total_steps)
    return Clustering(groups, names, report)


def explain(signature: frozenset[str], sample: PhraseIntent, size: int) -> dict[str, object]:
    """What defines a group, for the report: its head (the object) and its qualifiers (action,
    audience, type words), as words of one of its phrases."""
    words = [sample.words.get(u, u.lstrip("@#")) for u in sorted(signature)]
    objects = [sample.words.get(u, u) for u in sorted(signature) if u[0] not in "@#"]
    head = next((w for w in objects if is_noun(w)), objects[0] if objects else "")
    return {
        "head": head,
        "qualifiers": [w for w in words if w != head],
        "action": sample.action,
        "phrases": size,
    }


def quality(
    groups: Sequence[Sequence[int]], vectors: Sequence[np.ndarray], silhouette: bool = True
) -> ClusterReport:
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
    if silhouette and 2 <= len(groups) <= len(vectors) - 1:
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

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
from tgassist.campaigns.grouping import IntentGroup, group_intents, hubs, kinds
from tgassist.campaigns.intent import PhraseIntent, analyse, is_noun, is_verb
from tgassist.campaigns.keywords import plain_words
from tgassist.campaigns.regions import REGIONS

Progress = Callable[[int, int], Awaitable[None]]
EMBED_BATCH = 256
SMALL_GROUP = 3  # groups this small are placed by embeddings when no rule places them
# Cosine similarity above which two groups of one action and audience ask for the same thing in other
# words («покраска машины» / «покраска автомобиля», «смена масла» / «замена масла»); product types of
# one object stay below it («угловой» / «диван кровать» 0.72, «мобильный» / «инверторный» 0.74).
SYNONYM_SIMILARITY = 0.8
# An object word in this share of a list's phrases is the list's own product: sharing it says nothing.
DOMINANT_SHARE = 0.3
# Two groups that share object words and differ in one word each («фото на паспорт» / «фото на
# документы») need only this similarity of their object words, not `SYNONYM_SIMILARITY`: the shared
# words already say the same, and the two differing words must be alike too (`DIFF_SIMILARITY`).
# 0.60–0.70 gave the same tuning figures; 0.8 (no separate threshold) 0.005 ARI less.
SWAP_SIMILARITY = 0.7
# Groups that share object words are synonyms only if the words they differ in are this alike
# («сход» / «схождение» 0.54 is not needed: those groups share nothing else; «фотограф» /
# «фотосессия» 0.76 passes, «предметный» / «портретный» 0.47 does not).
DIFF_SIMILARITY = 0.6
# A phrase folded into a broad group for a rare word moves to a narrower sibling group when the words
# each adds to the broad signature are this alike («фотосессия влюбленных» → «парная фотосессия»).
VARIANT_SIMILARITY = 0.55
# Average-linkage similarity (mean cosine over all phrase pairs, object words only) above which two
# groups of one action and audience that share no object word join («фитнес зал» / «спортзал»).
AVERAGE_SIMILARITY = 0.7

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
    group with the same action and audience when their cosine distance is under `threshold`."""
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


def merge_synonyms(
    found: Sequence[IntentGroup],
    unit: np.ndarray,
    has_object: Sequence[bool],
    similarity: float,
    word_vectors: dict[str, np.ndarray] | None = None,
    swap_similarity: float | None = None,
) -> list[int]:
    """For each group, the group it ends in: a group joins a larger one of the same action and audience
    whose object words say the same in other words (cosine similarity of the object words, without
    the action, at least `similarity`: «авто» / «автомобиль», «деловой» / «бизнес» английский).
    When the two share some object words, the words they differ in must also be alike
    (`DIFF_SIMILARITY`, on `word_vectors` of units): «предметный» / «портретный» фотограф are not;
    when they differ in one word each, `swap_similarity` is enough for the object words.
    Only a group that stays itself takes others in: no chains of near synonyms."""
    if swap_similarity is None:
        swap_similarity = similarity
    target = list(range(len(found)))
    kind = [kinds(g.signature) for g in found]
    objects = [frozenset(u for u in g.signature if u[0] not in "@#") for g in found]
    order = sorted(range(len(found)), key=lambda gi: (-len(found[gi].members), gi))
    rank = {gi: r for r, gi in enumerate(order)}
    sims = unit @ unit.T

    def differ_alike(a: frozenset[str], b: frozenset[str]) -> bool:
        if not (a & b) or word_vectors is None:
            return True
        va = [word_vectors[u] for u in a - b if u in word_vectors]
        vb = [word_vectors[u] for u in b - a if u in word_vectors]
        if not va or not vb:
            return False
        x, y = np.mean(va, axis=0), np.mean(vb, axis=0)
        return float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y) or 1.0)) >= DIFF_SIMILARITY

    def one_swap(gi: int, bj: int) -> bool:
        return bool(objects[gi] & objects[bj]) and len(objects[gi] ^ objects[bj]) == 2

    for gi in order:
        cands = [
            bj
            for bj in order[: rank[gi]]
            if target[bj] == bj
            and kind[bj] == kind[gi]
            and has_object[gi]
            and has_object[bj]
            # A narrower signature is a product type the rules kept apart («мобильный кондиционер»).
            and not objects[gi] <= objects[bj]
            and not objects[bj] <= objects[gi]
            and sims[gi, bj] >= (swap_similarity if one_swap(gi, bj) else similarity)
            and differ_alike(objects[gi], objects[bj])
        ]
        if cands:
            target[gi] = max(cands, key=lambda bj: sims[gi, bj])
    return target


def _word_of(unit: str, group: IntentGroup, intents: Sequence[PhraseIntent]) -> str:
    """The word that carries `unit` in the first of the group's phrases that has it."""
    return next(intents[i].words[unit] for i in group.members if unit in intents[i].words)


def _added(sig: frozenset[str], broad: frozenset[str], hub: set[str]) -> frozenset[str]:
    """The object words `sig` adds to `broad`; under a hub-only broad group, without other hub words
    («свадебный» of «свадебный фотограф» under «фотосессия»: another form of the object says nothing)."""
    extra = _objects(sig - broad)
    if _objects(broad) <= hub:
        return extra - hub or extra
    return extra


def _objects(sig: frozenset[str]) -> frozenset[str]:
    return frozenset(u for u in sig if u[0] not in "@#")


async def place_rare_variants(
    found: Sequence[IntentGroup],
    intents: Sequence[PhraseIntent],
    embedder: Embedder,
    similarity: float,
) -> list[IntentGroup]:
    """A phrase folded into a broad group for a word too rare to make an intent of its own
    («фотосессия влюбленных» under «фотосессия») moves to a narrower sibling group: one whose
    signature holds the broad one, with the same action and audience, and whose own added words say
    the same (cosine of the words each adds to the broad signature at least `similarity`: «влюбленных»
    / «пары»). A broad group of hub words only (`grouping.hubs`: «зуб», «фотосессия») is a form of the
    object, not an intent: its phrases may also go to any group of the same action and audience whose
    own words say the same as theirs («зубной врач» → «стоматолог»). Groups left empty are dropped."""
    texts: list[str] = []
    slot: dict[str, int] = {}
    hub = hubs(intents)

    def text_slot(t: str) -> int:
        if t not in slot:
            slot[t] = len(texts)
            texts.append(t)
        return slot[t]

    # (phrase, its group, its added words' slot, [(sibling group, sibling's added words' slot)])
    moves: list[tuple[int, int, int, list[tuple[int, int]]]] = []
    for gi, g in enumerate(found):
        broad = g.signature
        if not _objects(broad):
            continue
        siblings = [
            (
                gj,
                text_slot(
                    " ".join(
                        _word_of(u, h, intents) for u in sorted(_added(h.signature, broad, hub))
                    )
                ),
            )
            for gj, h in enumerate(found)
            if gj != gi
            and kinds(h.signature) == kinds(broad)
            and (
                broad < h.signature
                # A hub word alone («зуб») is no intent: its rare phrases may go to any group of
                # the same action and audience («зубной врач» → «стоматолог»).
                or (_objects(broad) <= hub and _objects(h.signature - broad))
            )
        ]
        if not siblings:
            continue
        for i in g.members:
            extra = _added(intents[i].signature, broad, hub)
            if extra:
                t = " ".join(intents[i].words[u] for u in sorted(extra))
                moves.append((i, gi, text_slot(t), siblings))
    if not moves:
        return list(found)
    raw = np.asarray(await embedder.embed(texts), dtype=np.float32)
    norms = np.linalg.norm(raw, axis=1, keepdims=True)
    vecs = raw / np.where(norms == 0, 1, norms)
    members = [list(g.members) for g in found]
    for i, gi, own, siblings in moves:
        sim, gj = max((float(vecs[own] @ vecs[s]), gj) for gj, s in siblings)
        if sim >= similarity:
            members[gi].remove(i)
            members[gj].append(i)
    return [IntentGroup(sorted(m), g.signature) for g, m in zip(found, members, strict=True) if m]


def merge_average(
    found: Sequence[IntentGroup], target: Sequence[int], phrase_vec: np.ndarray, similarity: float
) -> list[int]:
    """For each group, the group it ends in after an average-linkage pass over the groups `target`
    made: two groups join when they have the same action and audience, share no object word (groups
    that share words were judged by the rules and `merge_synonyms`; a product type stays), and the
    mean cosine similarity over all pairs of their phrases (`phrase_vec`: object words only, unit vectors) is at least `similarity` —
    paraphrases that share no word («фитнес зал» / «спортзал», «кроссфит» / «функциональный
    тренинг»). Average linkage, not single: one close pair of phrases makes no chain. The most similar
    pair joins first, then the sums are updated."""
    roots = sorted(set(target))
    members: dict[int, list[int]] = defaultdict(list)
    for gi, g in enumerate(found):
        members[target[gi]].extend(g.members)
    k = len(roots)
    kind = [kinds(found[r].signature) for r in roots]
    objects = [_objects(found[r].signature) for r in roots]
    allowed = np.zeros((k, k), dtype=bool)
    for a in range(k):
        for b in range(a + 1, k):
            oa, ob = objects[a], objects[b]
            allowed[a, b] = bool(kind[a] == kind[b] and oa and ob and not oa & ob)
    allowed |= allowed.T
    sums = np.vstack([phrase_vec[members[r]].sum(axis=0) for r in roots])
    size = np.array([len(members[r]) for r in roots], dtype=np.float64)
    sims = np.where(allowed, (sums @ sums.T) / np.outer(size, size), -np.inf)
    final = list(range(k))
    while k > 1:
        x, y = (int(v) for v in np.unravel_index(int(np.argmax(sims)), sims.shape))
        if sims[x, y] < similarity:
            break
        keep, drop = (x, y) if size[x] >= size[y] else (y, x)
        sums[keep] += sums[drop]
        size[keep] += size[drop]
        # The joined group holds both groups' words: it may join only what both could.
        allowed[keep] &= allowed[drop]
        allowed[:, keep] = allowed[keep]
        allowed[drop] = allowed[:, drop] = False
        row = np.where(allowed[keep], (sums @ sums[keep]) / (size * size[keep]), -np.inf)
        sims[keep, :] = sims[:, keep] = row
        sims[drop, :] = sims[:, drop] = -np.inf
        final = [keep if f == drop else f for f in final]
    index = {r: j for j, r in enumerate(roots)}
    return [roots[final[index[target[gi]]]] for gi in range(len(found))]


def attach_small(
    found: Sequence[IntentGroup],
    unit: np.ndarray,
    threshold: float,
    hub: frozenset[str] | set[str] = frozenset(),
) -> list[int]:
    """For each group, the group it ends in: itself, or for a group of up to `SMALL_GROUP` phrases a
    larger group with the same action and audience — the one sharing most of its object words
    («банкротство гражданина» → «банкротство физических лиц»; a word that most of the list carries
    tells nothing and is not counted), else the nearest by embeddings when closer than `threshold`
    (cosine distance)."""
    target = list(range(len(found)))
    big = [gi for gi, g in enumerate(found) if len(g.members) > SMALL_GROUP]
    if not big:
        return target
    kind = [kinds(g.signature) for g in found]
    objects = [frozenset(u for u in g.signature if u[0] not in "@#") for g in found]
    types = [frozenset(u for u in objects[gi] if not is_noun(u)) for gi in range(len(found))]
    df: Counter[str] = Counter()
    for g, objs in zip(found, objects, strict=True):
        for u in objs:
            df[u] += len(g.members)
    total = sum(len(g.members) for g in found)
    telling = [
        frozenset(u for u in objs if df[u] < DOMINANT_SHARE * total and u not in hub)
        for objs in objects
    ]
    verbs = [frozenset(u for u in objs if is_verb(u)) for objs in objects]
    # An audience that no large group has («брекеты взрослым» in a list without an adults' group) is
    # a rare modifier there, not an intent: a small group with it is placed as if without it.
    big_kinds = {u for bj in big for u in kind[bj]}
    kind = [
        k
        if len(found[gi].members) > SMALL_GROUP
        else frozenset(u for u in k if u in big_kinds or u[0] == "@")
        for gi, k in enumerate(kind)
    ]
    sims = unit @ unit[big].T
    for gi, g in enumerate(found):
        if len(g.members) > SMALL_GROUP:
            continue
        # Same action and audience, and no product type of its own that the other group lacks
        # («кредитная» never joins «дебетовые карты»).
        same = [
            (col, bj)
            for col, bj in enumerate(big)
            if kind[bj] == kind[gi] and types[gi] <= objects[bj]
        ]
        # Most shared words first; among as many, the nearest by embeddings (not the largest).
        shared = [
            (len(telling[gi] & objects[bj]), float(sims[gi, col]), col, bj)
            for col, bj in same
            if telling[gi] & objects[bj]
        ]
        if shared:
            target[gi] = max(shared)[3]
            continue
        # A verb the lexicon does not know as an action («поставить смеситель», «пробить засор») still
        # asks for a service on its object: the group joins the largest service group (an action, the
        # same audience) that shares its object nouns.
        if verbs[gi] and not any(u[0] == "@" for u in kind[gi]):
            nouns = telling[gi] - verbs[gi]
            served = [
                (len(nouns & objects[bj]), len(found[bj].members), bj)
                for bj in big
                if nouns & objects[bj]
                and any(u[0] == "@" for u in kind[bj])
                and {u for u in kind[bj] if u[0] == "#"} == kind[gi]
            ]
            if served:
                target[gi] = max(served)[2]
                continue
        best, best_sim = None, 1.0 - threshold
        for col, bj in same:
            if sims[gi, col] >= best_sim:
                best, best_sim = bj, float(sims[gi, col])
        if best is not None:
            target[gi] = best
    return target


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

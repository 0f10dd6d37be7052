"""Passes that join the rule groups of `grouping.group_intents` by embeddings: rare variants to their
narrower group (`place_rare_variants`), synonyms (`merge_synonyms`), small groups (`attach_small`),
paraphrases that share no word (`merge_average`) and what is left alone at the end (`place_leftovers`).
Each pass joins only groups of one action and audience."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from tgassist.ai.base import Embedder
from tgassist.campaigns.grouping import IntentGroup, hubs, kinds
from tgassist.campaigns.intent import PhraseIntent, is_noun, is_verb

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
# A group of up to `SMALL_GROUP` phrases left alone after every rule and merge joins the larger group
# of its action and audience whose phrases are this alike on average (`place_leftovers`). 0.55–0.7
# gave 0.812–0.816 tuning ARI; at 0.6 and below «портретная съемка» joins «свадебный фотограф».
LEFTOVER_SIMILARITY = 0.65


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


def place_leftovers(
    found: Sequence[IntentGroup], target: Sequence[int], phrase_vec: np.ndarray, similarity: float
) -> list[int]:
    """For each group, the group it ends in after the last pass: a group of up to `SMALL_GROUP`
    phrases that no rule or merge placed joins the larger group of the same action and audience whose
    phrases are most alike on average (mean cosine of `phrase_vec` over all pairs), when that is at
    least `similarity`."""
    members: dict[int, list[int]] = defaultdict(list)
    for gi, g in enumerate(found):
        members[target[gi]].extend(g.members)
    kind = {r: kinds(found[r].signature) for r in members}
    big = [r for r, m in members.items() if len(m) > SMALL_GROUP]
    if not big:
        return list(target)
    means = np.vstack([phrase_vec[members[r]].mean(axis=0) for r in big])
    final = {r: r for r in members}
    for r, m in members.items():
        if len(m) > SMALL_GROUP:
            continue
        sims = means @ phrase_vec[m].mean(axis=0)
        cands = [(float(sims[k]), b) for k, b in enumerate(big) if kind[b] == kind[r]]
        if cands:
            sim, b = max(cands)
            if sim >= similarity:
                final[r] = b
    return [final[target[gi]] for gi in range(len(found))]


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

"""Phrases → ad groups by their signatures (see `intent.py`).

A signature that holds another one plus some words is a narrower query of the same intent («диван
серый» under «диван») unless enough phrases ask for it (`min_family`): then it is an intent of its own
(«угловой диван», «ветеринар на дом»). Actions and audiences never fold: «ремонт дивана» is never put
under «диван», «детский фитнес абонемент» never under «абонемент в фитнес».
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from tgassist.campaigns.intent import PhraseIntent, is_noun

# A type word that comes with this many different actions is the list's product line (`product_line`).
LINE_ACTIONS = 3


@dataclass(frozen=True)
class IntentGroup:
    """One ad group before naming: its phrases and the signature that defines it."""

    members: list[int]
    signature: frozenset[str]


def kinds(sig: frozenset[str]) -> frozenset[str]:
    """Action and audience units: a signature never folds into one with other ones. «На заказ»
    (`#custom`) is not among them: it is an intent of its own only when enough phrases ask for it."""
    return frozenset(u for u in sig if u[0] in "@#" and u != "#custom")


def hubs(
    intents: Sequence[PhraseIntent], min_partners: int = 4, min_df: int = 3, max_share: float = 0.5
) -> set[str]:
    """Object nouns spread over many intents of the list («букет» роз, пионов, невесты…; «ооо» to
    register, close, report): a format or a form of the object, not an intent. Spread means at least
    `min_partners` different partner words, none of which takes more than `max_share` of its phrases
    («репетитор» goes with «английский» in most phrases: it defines an intent there), and at least
    `min_partners` of them not spread themselves (see the comment below)."""
    df: Counter[str] = Counter(u for it in intents for u in it.signature)
    partners: dict[str, Counter[str]] = defaultdict(Counter)
    for it in intents:
        objs = [u for u in it.signature if u[0] not in "@#" and df[u] >= min_df]
        for u in objs:
            partners[u].update(o for o in objs if o != u)
    spread = {
        u
        for u, ps in partners.items()
        if len(ps) >= min_partners and ps.most_common(1)[0][1] <= max_share * df[u] and is_noun(u)
    }
    # A word spread only over other spread words («фура» with «перевозка», «груз», «грузоперевозка»
    # in a cargo list) is an intent among the list's own service words, not a form of the object.
    return {u for u in spread if len(set(partners[u]) - spread) >= min_partners}


def product_line(
    intents: Sequence[PhraseIntent], min_actions: int = LINE_ACTIONS
) -> frozenset[str]:
    """Type words the list's services all share («пластиковые» окна: installed, repaired, adjusted,
    bought): a word that is not a noun and comes with at least `min_actions` different actions is the
    list's product line, not a product type; inside an action it says nothing («ремонт пластиковых
    окон» = «ремонт окон»). Without an action it still is a type («пластиковые» / «деревянные окна»)."""
    if min_actions <= 0:
        return frozenset()
    actions: dict[str, set[str]] = defaultdict(set)
    for it in intents:
        acts = [u for u in it.signature if u[0] == "@"]
        for u in it.signature:
            if u[0] not in "@#":
                actions[u].update(acts)
    return frozenset(u for u, a in actions.items() if len(a) >= min_actions and not is_noun(u))


def group_intents(
    intents: Sequence[PhraseIntent], min_family: int = 6, min_partners: int = 4
) -> list[IntentGroup]:
    by_sig: dict[frozenset[str], list[int]] = defaultdict(list)
    line = product_line(intents)
    for i, it in enumerate(intents):
        sig = it.signature
        if line and any(u[0] == "@" for u in sig) and sig - line:
            sig = sig - line
        by_sig[sig].append(i)
    df: Counter[str] = Counter(u for s, m in by_sig.items() for u in s for _ in m)
    sigs = sorted(by_sig, key=lambda s: (len(s), -len(by_sig[s]), sorted(s)))
    # Postings: unit → signatures holding it, to find sub- and supersets without a quadratic scan.
    postings: dict[str, set[frozenset[str]]] = defaultdict(set)
    for s in sigs:
        for u in s:
            postings[u].add(s)
    hub = hubs(intents, min_partners)
    group_of: dict[frozenset[str], frozenset[str]] = {}
    for s in sigs:
        objects = [u for u in s if not u.startswith("@")]
        if not objects:
            group_of[s] = s
            continue
        supers = set.intersection(*(postings[u] for u in s))
        family = sum(len(by_sig[t]) for t in supers if kinds(t) == kinds(s))
        parents = [
            p
            for p in group_of
            if p < s and kinds(p) == kinds(s) and any(u[0] not in "@#" for u in p)
        ]
        if not parents:
            group_of[s] = s
            continue
        best = max(parents, key=lambda p: (len(p), sum(df[u] for u in s - p), sorted(p)))
        via_hub = (s - best) <= hub and not {u for u in best if u[0] not in "@#"} <= hub
        if family >= min_family and not via_hub:
            group_of[s] = s
            continue
        group_of[s] = group_of[best]
    # Groups that differ only in hub words are one intent in other words: «отдых в египте», «туры в
    # египет», «путевка в египет»; «горящие туры» / «горящие путевки». The largest group names them.
    heads = sorted(set(group_of.values()), key=lambda g: (-len(by_sig[g]), sorted(g)))
    same: dict[frozenset[str], frozenset[str]] = {}
    for g in heads:
        core = frozenset(u for u in g if u[0] in "@#" or u not in hub)
        if core != g and any(u[0] not in "@#" for u in core):
            same.setdefault(core, g)
    for g in heads:
        core = frozenset(u for u in g if u[0] in "@#" or u not in hub)
        if any(u[0] not in "@#" for u in core) and core in same:
            for s in sigs:
                if group_of[s] == g:
                    group_of[s] = same[core]
    members: dict[frozenset[str], list[int]] = defaultdict(list)
    for s in sigs:
        members[group_of[s]].extend(by_sig[s])
    return [IntentGroup(sorted(m), sig) for sig, m in members.items()]

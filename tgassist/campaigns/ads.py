"""Ad generation per ad group (LLM when configured, templates otherwise), validation and the report.

Every ad passes `check_ad` before it is saved. An LLM answer that breaks a limit or is not valid JSON
is sent back with the violations (repair) up to N times; then the group falls back to templates, so
the campaign is always 100 % compliant.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from pydantic import BaseModel, Field

from tgassist.ai.base import AIError, ChatMessage
from tgassist.ai.text import lemma, tokens
from tgassist.campaigns.limits import (
    COUNT_LIMITS,
    LIMITS,
    TEXT_LIMITS,
    AdDraft,
    check_ad,
    check_text,
    fit,
)
from tgassist.campaigns.templates import (
    AdContext,
    ad_core,
    clean_phrase,
    display_link,
    fix_abbreviations,
    template_ads,
)

log = structlog.get_logger(__name__)


class LLMAd(BaseModel):
    """One ad as the LLM must return it."""

    title: str
    title2: str = ""
    text: str
    extra_titles: list[str] = Field(default_factory=list)
    extra_texts: list[str] = Field(default_factory=list)


class LLMAds(BaseModel):
    """The LLM's answer: a list of ads for one group."""

    ads: list[LLMAd]


@dataclass
class GeneratedAds:
    """Ads of one group and how they were made."""

    ads: list[AdDraft]
    generator: str  # llm | template | template_after_llm
    llm_calls: int = 0
    problems: list[str] = field(default_factory=list)


def limits_prompt() -> str:
    lines = [
        f"- {lim.label} ({lim.field}): не больше {lim.max_chars} символов, слова не длиннее {lim.max_word}"
        for lim in TEXT_LIMITS
        if lim.field in ("title", "title2", "text", "extra_titles", "extra_texts")
    ]
    lines += [
        f"- {lim.label}: не больше {lim.max_items}"
        for lim in COUNT_LIMITS
        if lim.field in ("extra_titles", "extra_texts")
    ]
    return "\n".join(lines)


def build_messages(
    group_name: str, phrases: Sequence[str], ctx: AdContext, count: int
) -> list[ChatMessage]:
    system = (
        "Ты — специалист по контекстной рекламе в Яндекс Директ. Пиши объявления на русском языке, без "
        "выдуманных фактов, без CAPS LOCK и восклицаний подряд. Ключевая фраза группы должна быть в заголовке, "
        "если помещается. Строго соблюдай лимиты Директа:\n"
        + limits_prompt()
        + '\nОтвечай только JSON: {"ads": [{"title": "...", "title2": "...", "text": "...", '
        '"extra_titles": ["..."], "extra_texts": ["..."]}]}'
    )
    facts = [f"Товар/услуга: {ctx.product}", f"Сайт: {ctx.url}"]
    if ctx.where:
        facts.append(f"Регион: {ctx.where}")
    if ctx.price:
        facts.append(f"Цена: {ctx.price}")
    if ctx.advantages:
        facts.append("Преимущества: " + "; ".join(ctx.advantages))
    user = (
        "\n".join(facts)
        + f"\nГруппа: {group_name}\nФразы группы: "
        + ", ".join(phrases[:20])
        + f"\nНапиши {count} разных объявления."
    )
    return [ChatMessage("system", system), ChatMessage("user", user)]


def _draft(ad: LLMAd, ctx: AdContext, group_name: str) -> AdDraft:
    return AdDraft(
        title=" ".join(ad.title.split()),
        title2=" ".join(ad.title2.split()),
        text=" ".join(ad.text.split()),
        extra_titles=[" ".join(t.split()) for t in ad.extra_titles if t.strip()],
        extra_texts=[" ".join(t.split()) for t in ad.extra_texts if t.strip()],
        display_link=fix_abbreviations(
            display_link(ad_core(clean_phrase(group_name), ctx.region_words), ctx.product)
        ),  # «Ремонт-холодильников», not «…-цена»
        sitelinks=[dict(s) for s in ctx.sitelinks[:8]],
        callouts=list(ctx.callouts[:50]),
    )


async def llm_ads(
    llm: Any,
    group_name: str,
    phrases: Sequence[str],
    ctx: AdContext,
    count: int,
    attempts: int,
    taken: Collection[tuple[str, str]] = (),
) -> GeneratedAds:
    """Ask the LLM; repair on violations, regenerate on broken JSON; templates after `attempts` tries."""
    messages = build_messages(group_name, phrases, ctx, count)
    problems: list[str] = []
    calls = 0
    for _ in range(max(1, attempts)):
        calls += 1
        try:
            answer = await llm.complete_json(messages, LLMAds, retries=0)
        except AIError as err:
            problems.append(f"LLM: {err}")
            continue  # broken JSON or a provider error: ask again from scratch
        drafts = [_draft(a, ctx, group_name) for a in answer.ads[:count]]
        violations = [f"объявление {i + 1}: {v}" for i, d in enumerate(drafts) for v in check_ad(d)]
        if len(drafts) < count:
            violations.append(f"нужно {count} объявления, прислано {len(drafts)}")
        if not violations:
            return GeneratedAds(drafts, "llm", calls, problems)
        problems.append("; ".join(violations))
        messages = [
            *messages[:2],
            ChatMessage("assistant", answer.model_dump_json()),
            ChatMessage(
                "user",
                "Исправь нарушения лимитов Директа и пришли весь JSON заново:\n- "
                + "\n- ".join(violations),
            ),
        ]
    log.warning("llm ads failed; using templates", group=group_name, problems=problems[-1:])
    return GeneratedAds(
        template_ads(group_name, ctx, count, phrases, taken), "template_after_llm", calls, problems
    )


async def generate_group_ads(
    llm: Any | None,
    group_name: str,
    phrases: Sequence[str],
    ctx: AdContext,
    count: int = 2,
    attempts: int = 3,
    taken: Collection[tuple[str, str]] = (),
) -> GeneratedAds:
    """Ads for one group, each checked against Direct's limits. `taken`: (title, text) of the
    campaign's other groups' ads, lower-cased; template ads avoid repeating them."""
    if llm is not None:
        result = await llm_ads(llm, group_name, phrases, ctx, count, attempts, taken)
    else:
        result = GeneratedAds(template_ads(group_name, ctx, count, phrases, taken), "template")
    result.ads = [repair_draft(ad) for ad in result.ads]
    return result


def repair_draft(ad: AdDraft) -> AdDraft:
    """Last guard before saving: fit the main texts, drop optional values that still break a limit."""
    if not check_ad(ad):
        return ad
    lim = LIMITS
    ad.title = fit(ad.title, lim["title"]) or fit(ad.text, lim["title"])
    ad.title2 = fit(ad.title2, lim["title2"])
    ad.text = fit(ad.text, lim["text"]) or ad.title
    ad.extra_titles = [t for t in ad.extra_titles if not check_text(lim["extra_titles"], t)][:5]
    ad.extra_texts = [t for t in ad.extra_texts if not check_text(lim["extra_texts"], t)][:2]
    ad.callouts = [c for c in ad.callouts if not check_text(lim["callouts"], c)][:50]
    if any(v.field == "sitelinks" for v in check_ad(ad)):
        ad.sitelinks = []
    if any(v.field == "display_link" for v in check_ad(ad)):
        ad.display_link = ""
    return ad


def keyword_in_title(group_name: str, ad: AdDraft) -> bool:
    """All significant lemmas of the group's main phrase appear in the title."""
    want = {lemma(w) for w in tokens(clean_phrase(group_name)) if len(w) > 2}
    have = {lemma(w) for w in tokens(ad.title)}
    return bool(want) and want <= have


def ads_report(groups: Sequence[tuple[str, Sequence[AdDraft]]]) -> dict[str, Any]:
    """Compliance (share of ads within every limit), keyword-in-title rate and duplicate rate."""
    ads = [(name, ad) for name, group_ads in groups for ad in group_ads]
    total = len(ads)
    if not total:
        return {
            "ads": 0,
            "compliance": 1.0,
            "keyword_in_title": 0.0,
            "duplicates": 0.0,
            "violations": [],
            "grammar": 1.0,
            "grammar_failures": 0,
            "grammar_examples": [],
        }
    violations = [f"{name}: {v}" for name, ad in ads for v in check_ad(ad)]
    compliant = sum(1 for _, ad in ads if not check_ad(ad))
    seen: set[tuple[str, str]] = set()
    dups = 0
    for _, ad in ads:
        key = (ad.title.lower(), ad.text.lower())
        dups += key in seen
        seen.add(key)
    from tgassist.campaigns.grammar import ad_problems

    grammar = [(name, ad, ad_problems(ad.title, ad.title2, ad.text)) for name, ad in ads]
    failed = [(name, ad, p) for name, ad, p in grammar if p]
    return {
        "ads": total,
        "grammar": round(1 - len(failed) / total, 4),
        "grammar_failures": len(failed),
        "grammar_examples": [
            {"group": name, "title": ad.title, "text": ad.text, "problems": p}
            for name, ad, p in failed[:10]
        ],
        "compliance": round(compliant / total, 4),
        "keyword_in_title": round(sum(keyword_in_title(n, a) for n, a in ads) / total, 4),
        "duplicates": round(dups / total, 4),
        "violations": violations[:20],
    }

"""The five build stages. Each writes its rows and its `StageResult` in one transaction, so a
restarted build skips exactly the stages that finished."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update

from tgassist.ai.text import STOP_WORDS, lemma, tokens
from tgassist.campaigns.ads import ads_report, generate_group_ads
from tgassist.campaigns.brief import Brief
from tgassist.campaigns.clustering import cluster_keywords, cross_minus
from tgassist.campaigns.exceptions import CampaignError
from tgassist.campaigns.keywords import (
    DEFAULT_MINUS_WORDS,
    KeywordCandidate,
    filter_keywords,
    minus_lemma_sets,
    multiply,
)
from tgassist.campaigns.models import Ad, AdGroup, Campaign, Keyword, StageResult
from tgassist.campaigns.regions import find_region
from tgassist.campaigns.sources import UserCredentials, build_wordstat
from tgassist.campaigns.templates import AdContext
from tgassist.campaigns.wording import declined_words, noun_roles

if TYPE_CHECKING:
    from tgassist.campaigns.pipeline import BuildContext


def brief_of(camp: Campaign) -> Brief:
    return Brief.from_dict(camp.brief)


def region_words(brief: Brief) -> list[str]:
    words: list[str] = []
    for rid in brief.region_ids:
        r = find_region(rid)
        if r:
            words += [w for w in r.words if w not in words]
    return words


async def save_result(bc: BuildContext, session: Any, stage: str, data: dict[str, Any]) -> None:
    session.add(StageResult(campaign_id=bc.campaign_id, stage=stage, data=data))


async def user_wordstat_credentials(bc: BuildContext, camp: Campaign) -> UserCredentials:
    """The Wordstat credentials the user saved in their settings (stored encrypted in `users`):
    an OAuth token and/or a Search API key with its folder."""
    from tgassist.core.models import User

    async with bc.app.db.session() as s:
        row = (
            await s.execute(
                select(User.wordstat_token_enc, User.yandex_token_enc).where(
                    User.id == camp.user_id
                )
            )
        ).first()
    if row is None:
        return UserCredentials()
    token_enc, search_enc = row
    decrypt = bc.app.secrets.decrypt  # CryptoError says which setting is missing
    key: dict[str, Any] = json.loads(decrypt(search_enc)) if search_enc else {}
    return UserCredentials(
        oauth_token=decrypt(token_enc) if token_enc else None,
        api_key=key.get("api_key"),
        folder_id=key.get("folder_id"),
    )


async def run_wordstat(bc: BuildContext) -> dict[str, Any]:
    """Collect candidates: base phrases + Wordstat (v2/v1) or an imported list or multiplication."""
    camp = await bc.campaign()
    brief = brief_of(camp)
    found: list[KeywordCandidate] = [KeywordCandidate(p, None, "brief") for p in brief.base_phrases]
    source = "multiplication"
    client = build_wordstat(
        bc.app.settings, bc.app.redis, bc.app.http, await user_wordstat_credentials(bc, camp)
    )
    if camp.imported_keywords:
        source = "import"
        found += [
            KeywordCandidate(k["phrase"], k.get("frequency"), "import")
            for k in camp.imported_keywords
        ]
    elif client is not None:
        source = f"wordstat_{client.api}"
        for i, phrase in enumerate(brief.base_phrases):
            await bc.check_cancel()
            answer = await client.top_requests(phrase, list(brief.region_ids))
            found[i].frequency = answer.total
            found += answer.top
            await bc.progress(
                (i + 1) / len(brief.base_phrases),
                "campaigns.progress.wordstat",
                done=i + 1,
                total=len(brief.base_phrases),
            )
    else:
        found += multiply(brief.base_phrases, region_words(brief))
    data = {"source": source, "keywords": [[k.phrase, k.frequency, k.source] for k in found]}
    async with bc.app.db.session() as s:
        await s.execute(update(Campaign).where(Campaign.id == bc.campaign_id).values(source=source))
        await save_result(bc, s, "wordstat", data)
    return {"source": source, "candidates": len(found)}


async def run_filter(bc: BuildContext) -> dict[str, Any]:
    camp = await bc.campaign()
    brief = brief_of(camp)
    raw = (await bc.result("wordstat"))["keywords"]
    cands = [KeywordCandidate(p, f, src) for p, f, src in raw]
    s = bc.app.settings
    kept, report = filter_keywords(
        cands,
        base=brief.base_phrases,
        minus_words=brief.minus_words,
        min_frequency=s.campaigns_min_frequency,
        max_count=s.campaigns_max_keywords,
        product=brief.product,
    )
    if not kept:  # an empty campaign must fail loudly, not export an empty file as "completed"
        raise CampaignError(
            "campaigns.build.no_keywords",
            invalid="; ".join(report.invalid[:3]) or "-",
            minus=report.minus,
            low_frequency=report.low_frequency,
        )
    minus_sets = minus_lemma_sets([*DEFAULT_MINUS_WORDS, *brief.minus_words], brief.base_phrases)
    campaign_minus = [
        w
        for w in dict.fromkeys([*DEFAULT_MINUS_WORDS, *brief.minus_words])
        if len(w.split()) == 1 and frozenset({lemma(w)}) in minus_sets
    ]
    async with bc.app.db.session() as session:
        await session.execute(delete(Keyword).where(Keyword.campaign_id == bc.campaign_id))
        # One executemany: ORM objects for 2,000 rows cost more than the whole filter.
        await session.execute(
            insert(Keyword),
            [
                {
                    "campaign_id": bc.campaign_id,
                    "phrase": k.phrase,
                    "lemma_key": k.key,
                    "frequency": k.frequency,
                    "source": k.source,
                    "minus_words": k.minus_words,
                }
                for k in kept
            ],
        )
        await session.execute(
            update(Campaign)
            .where(Campaign.id == bc.campaign_id)
            .values(keywords_count=len(kept), minus_words=campaign_minus)
        )
        await save_result(bc, session, "filter", report.as_dict())
    return report.as_dict()


async def run_cluster(bc: BuildContext) -> dict[str, Any]:
    s = bc.app.settings
    async with bc.app.db.session() as session:
        kws = list(
            (
                await session.scalars(
                    select(Keyword)
                    .where(Keyword.campaign_id == bc.campaign_id)
                    .order_by(Keyword.id)
                )
            ).all()
        )

    async def on_progress(done: int, total: int) -> None:
        await bc.check_cancel(
            force=True
        )  # once per embedding batch: cheap, and a cancel stops this stage
        await bc.progress(
            done / max(1, total), "campaigns.progress.cluster", done=done, total=total
        )

    result = await cluster_keywords(
        [k.phrase for k in kws],
        [k.frequency for k in kws],
        bc.app.embedder,
        threshold=s.campaigns_cluster_threshold,
        max_size=s.campaigns_max_group_size,
        marker_min=s.campaigns_marker_min,
        on_progress=on_progress,
    )
    minus = (
        cross_minus([[kws[i].phrase for i in g] for g in result.groups])
        if s.campaigns_cross_minus
        else {}
    )
    async with bc.app.db.session() as session:
        await session.execute(
            update(Keyword).where(Keyword.campaign_id == bc.campaign_id).values(ad_group_id=None)
        )
        await session.execute(delete(AdGroup).where(AdGroup.campaign_id == bc.campaign_id))
        groups = [
            AdGroup(
                campaign_id=bc.campaign_id, number=gi + 1, name=name[:300], main_phrase=name[:300]
            )
            for gi, name in enumerate(result.names)
        ]
        session.add_all(groups)
        await session.flush()
        rows = [
            {
                "id": kws[ki].id,
                "ad_group_id": groups[gi].id,
                "minus_words": sorted({*kws[ki].minus_words, *minus.get((gi, pi), [])}),
            }
            for gi, members in enumerate(result.groups)
            for pi, ki in enumerate(members)
        ]
        if rows:
            await session.execute(update(Keyword), rows)  # one executemany, by primary key
        await session.execute(
            update(Campaign)
            .where(Campaign.id == bc.campaign_id)
            .values(groups_count=len(result.groups))
        )
        await save_result(bc, session, "cluster", result.report.as_dict())
    return result.report.as_dict()


def ad_context(brief: Brief) -> AdContext:
    where = ""
    if len(brief.region_ids) == 1:
        r = find_region(brief.region_ids[0])
        where = r.where if r else ""
    # Prepositions of «в москве», «ростов на дону» are not region words (they would vanish from every ad).
    words = frozenset(
        lemma(w)
        for rid in brief.region_ids
        if (r := find_region(rid))
        for p in (*r.words, *r.aliases, r.name)
        for w in p.replace("-", " ").lower().split()
        if w not in STOP_WORDS
    )
    return AdContext(
        product=brief.product,
        url=brief.url,
        where=where,
        price=brief.price,
        advantages=brief.advantages,
        callouts=brief.callouts,
        sitelinks=brief.sitelinks,
        region_words=words,
        brief_words=frozenset(
            w for text in (brief.product, brief.name, *brief.base_phrases) for w in tokens(text)
        ),
    )


AD_COMMIT_ROWS = 100  # template ads written per commit


def with_list_words(ctx: AdContext, phrases: list[str]) -> AdContext:
    """The context with the list's own product words counted as the brief's: a Cyrillic word in a
    tenth of the phrases (at least 3) that the list declines («лендинг», «лендинга», «лендингов»)
    is a common noun, the product, not a competitor's brand — searchers do not decline brands
    («карты отп», «кредит сбер»). Latin words stay out («landing page» is not said in an ad).
    Also which nouns the list uses as heads and which only as dependents (for noun pile-ups)."""
    heads, dependents = noun_roles(phrases)
    return replace(
        ctx,
        brief_words=ctx.brief_words | declined_words(phrases, max(3, len(phrases) // 10)),
        heads=heads,
        dependents=dependents,
    )


async def run_generate(bc: BuildContext) -> dict[str, Any]:
    """Ads per group, committed in batches of whole groups (`AD_COMMIT_ROWS` rows; an LLM group at
    once), so a resumed stage skips groups that have ads and redoes only an unfinished batch."""
    camp = await bc.campaign()
    brief = brief_of(camp)
    ctx = ad_context(brief)
    s = bc.app.settings
    count = brief.ads_per_group or s.campaigns_ads_per_group
    async with bc.app.db.session() as session:
        groups = list(
            (
                await session.scalars(
                    select(AdGroup)
                    .where(AdGroup.campaign_id == bc.campaign_id)
                    .order_by(AdGroup.number)
                )
            ).all()
        )
        made = (
            await session.execute(
                select(Ad.ad_group_id, Ad.title, Ad.text).where(Ad.campaign_id == bc.campaign_id)
            )
        ).all()
        done = {gid for gid, _, _ in made}
        # Ads other groups already show (a resumed stage included): a group gets its own.
        taken = {(title.lower(), text.lower()) for _, title, text in made}
        phrases: dict[int, list[str]] = {}
        for k in (
            await session.scalars(
                select(Keyword)
                .where(Keyword.campaign_id == bc.campaign_id)
                .order_by(Keyword.frequency.desc().nulls_last(), Keyword.id)
            )
        ).all():
            phrases.setdefault(k.ad_group_id or 0, []).append(k.phrase)
    ctx = with_list_words(ctx, [p for ps in phrases.values() for p in ps])
    llm = bc.app.llm
    generators: dict[str, int] = {}
    llm_calls = 0
    pending: list[dict[str, Any]] = []

    async def commit() -> None:
        if pending:
            async with bc.app.db.session() as session:
                await session.execute(insert(Ad), pending)
            pending.clear()

    for i, g in enumerate(groups):
        await bc.check_cancel()
        if g.id in done:
            continue
        gen = await generate_group_ads(
            llm, g.name, phrases.get(g.id, [g.name]), ctx, count, s.campaigns_llm_attempts, taken
        )
        taken |= {(ad.title.lower(), ad.text.lower()) for ad in gen.ads}
        generators[gen.generator] = generators.get(gen.generator, 0) + 1
        llm_calls += gen.llm_calls
        pending += [
            {
                "campaign_id": bc.campaign_id,
                "ad_group_id": g.id,
                "position": j,
                "url": brief.url,
                "generator": gen.generator,
                **ad.__dict__,
            }
            for j, ad in enumerate(gen.ads)
        ]
        # An LLM call is slow and paid for: its ads are kept at once; template ads go in batches.
        if gen.llm_calls or len(pending) >= AD_COMMIT_ROWS:
            await commit()
        await bc.progress(
            (i + 1) / max(1, len(groups)),
            "campaigns.progress.generate",
            done=i + 1,
            total=len(groups),
        )
    await commit()
    report = await campaign_ads_report(bc.app, bc.campaign_id)
    report.update(generators=generators, llm_calls=llm_calls)
    async with bc.app.db.session() as session:
        await session.execute(
            update(Campaign).where(Campaign.id == bc.campaign_id).values(ads_count=report["ads"])
        )
        await save_result(bc, session, "generate", report)
    return report


async def campaign_ads_report(app: Any, campaign_id: int) -> dict[str, Any]:
    from tgassist.campaigns.storage import load_ads_by_group

    return ads_report(await load_ads_by_group(app, campaign_id))


async def run_export(bc: BuildContext) -> dict[str, Any]:
    from tgassist.campaigns.storage import export_regions, write_exports

    paths = await write_exports(bc.app, bc.campaign_id)
    _, warning = export_regions(await bc.campaign())
    data: dict[str, Any] = {k: str(v) for k, v in paths.items()}
    if warning:
        data["warnings"] = [warning.to_dict()]  # a message: each door renders it in its language
    async with bc.app.db.session() as session:
        await session.execute(
            update(Campaign)
            .where(Campaign.id == bc.campaign_id)
            .values(file_path=str(paths["xlsx"]))
        )
        await save_result(bc, session, "export", data)
    return data

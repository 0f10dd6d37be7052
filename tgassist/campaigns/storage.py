"""Reading a saved campaign back: ads per group, the export structure, the export files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from tgassist.campaigns.export import ExportCampaign, ExportGroup, safe_name, write_csv, write_xlsx
from tgassist.campaigns.limits import AdDraft
from tgassist.campaigns.models import Ad, AdGroup, Campaign, Keyword
from tgassist.campaigns.regions import has_direct_name
from tgassist.core.i18n import Msg

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.settings import Settings


def draft_of(ad: Ad) -> AdDraft:
    return AdDraft(
        title=ad.title,
        title2=ad.title2,
        text=ad.text,
        extra_titles=list(ad.extra_titles),
        extra_texts=list(ad.extra_texts),
        display_link=ad.display_link,
        sitelinks=[dict(s) for s in ad.sitelinks],
        callouts=list(ad.callouts),
    )


async def load_ads_by_group(app: App, campaign_id: int) -> list[tuple[str, list[AdDraft]]]:
    async with app.db.session() as s:
        groups = (
            await s.scalars(
                select(AdGroup).where(AdGroup.campaign_id == campaign_id).order_by(AdGroup.number)
            )
        ).all()
        ads = (
            await s.scalars(
                select(Ad).where(Ad.campaign_id == campaign_id).order_by(Ad.position, Ad.id)
            )
        ).all()
    by_group: dict[int, list[AdDraft]] = {}
    for ad in ads:
        by_group.setdefault(ad.ad_group_id, []).append(draft_of(ad))
    return [(g.name, by_group.get(g.id, [])) for g in groups]


async def load_export(app: App, campaign_id: int) -> ExportCampaign:
    async with app.db.session() as s:
        camp = await s.get(Campaign, campaign_id)
        assert camp is not None
        groups = (
            await s.scalars(
                select(AdGroup).where(AdGroup.campaign_id == campaign_id).order_by(AdGroup.number)
            )
        ).all()
        kws = (
            await s.scalars(
                select(Keyword)
                .where(Keyword.campaign_id == campaign_id)
                .order_by(Keyword.frequency.desc().nulls_last(), Keyword.id)
            )
        ).all()
        ads = (
            await s.scalars(
                select(Ad).where(Ad.campaign_id == campaign_id).order_by(Ad.position, Ad.id)
            )
        ).all()
    regions, warning = export_regions(camp)
    out = ExportCampaign(
        name=camp.name,
        regions=regions,
        groups=[],
        minus_words=list(camp.minus_words),
        warnings=[warning] if warning else [],
    )
    by_id = {g.id: ExportGroup(g.number, g.name, [], [], list(g.minus_phrases)) for g in groups}
    for k in kws:
        if k.ad_group_id in by_id:
            by_id[k.ad_group_id].keywords.append((k.phrase, list(k.minus_words)))
            if k.bid is not None:
                by_id[k.ad_group_id].bids[k.phrase] = k.bid
    for ad in ads:
        if ad.ad_group_id in by_id:
            by_id[ad.ad_group_id].ads.append((draft_of(ad), ad.url))
    out.groups = list(by_id.values())
    return out


def export_regions(camp: Campaign) -> tuple[list[str], Msg | None]:
    """Region names for the «Регион» column, and a warning for geo ids Commander could not match by name
    (a placeholder such as «Регион 11119» would make the whole import fail)."""
    if camp.source == "direct_import":
        return list(camp.region_names), None  # Direct's own names, as its file had them
    named = [
        n
        for geo, n in zip(camp.region_ids, camp.region_names, strict=False)
        if has_direct_name(geo)
    ]
    return named, region_warning(camp)


def region_warning(camp: Campaign) -> Msg | None:
    """What the user must still do in Commander when some geo ids have no name (None: nothing)."""
    unnamed = unnamed_regions(camp)
    if not unnamed:
        return None
    partial = len(unnamed) < len(camp.region_ids)
    key = "campaigns.export.regions_partial" if partial else "campaigns.export.regions_unnamed"
    return Msg(key, {"ids": ", ".join(unnamed)})


def unnamed_regions(camp: Campaign) -> list[str]:
    """Geo ids of the brief that Direct Commander cannot match by name (none for a Direct import)."""
    if camp.source == "direct_import":
        return []
    return [str(geo) for geo in camp.region_ids if not has_direct_name(geo)]


def export_dir(settings: Settings) -> Path:
    return settings.campaigns_export_dir or settings.data_dir / "exports"


async def write_exports(
    app: App, campaign_id: int, formats: tuple[str, ...] = ("xlsx", "csv")
) -> dict[str, Path]:
    """Write the campaign's files; returns their paths by format."""
    camp = await load_export(app, campaign_id)
    base = export_dir(app.settings) / f"campaign_{campaign_id}_{safe_name(camp.name)}"
    out: dict[str, Path] = {}
    if "xlsx" in formats:
        out["xlsx"] = write_xlsx(camp, base.with_suffix(".xlsx"))
    if "csv" in formats:
        out["csv"] = write_csv(camp, base.with_suffix(".csv"))
    return out

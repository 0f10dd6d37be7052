"""A user's campaigns as the bot shows them: pages with a status filter and totals, one card,
the result summary of a build, files to download, repeat and delete — every call checks that the
campaign belongs to the user (internal `users.id`), so a forged id is refused like a missing one."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from tgassist.campaigns.models import Campaign
from tgassist.core.errors import LocalizedError
from tgassist.core.i18n import Msg
from tgassist.core.models import User

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from tgassist.app import App

PAGE_SIZE = 5
# Filters the history offers; "all" hides archived campaigns, as the CLI list does.
FILTERS: tuple[str, ...] = ("all", "completed", "processing", "failed", "cancelled")
FORMATS: tuple[str, ...] = ("xlsx", "csv")


@dataclass(frozen=True)
class CampaignCard:
    """One campaign as a card: what was asked, what was built, where it stands."""

    id: int
    name: str
    product: str
    url: str
    region_names: tuple[str, ...]
    budget: float | None
    status: str
    keywords: int
    groups: int
    ads: int
    created_at: datetime
    finished_at: datetime | None
    spreadsheet_url: str | None
    error: str | None  # the stored detail, in English (operators, logs)
    has_files: bool
    can_repeat: bool
    # Why the last build failed or stopped, as its task's message (rendered in the reader's
    # language); only `campaign_card` looks it up.
    failure: Msg | None = None


@dataclass(frozen=True)
class HistoryTotals:
    """Everything the user has (archived excluded): campaigns per status and what they hold."""

    campaigns: int
    by_status: dict[str, int] = field(default_factory=dict)
    keywords: int = 0
    groups: int = 0
    ads: int = 0


@dataclass(frozen=True)
class HistoryPage:
    """One page of the history under a status filter."""

    items: tuple[CampaignCard, ...]
    status: str
    page: int
    pages: int
    matching: int
    totals: HistoryTotals


@dataclass(frozen=True)
class BuildSummary:
    """What a finished build produced, for the message after the documents."""

    campaign_id: int
    name: str
    status: str
    keywords: int
    groups: int
    ads: int
    compliance: float | None
    warnings: tuple[str | Msg, ...]  # a message, or a text from a report of an older version
    violations: int
    spreadsheet_url: str | None
    error: str | None


def _card(c: Campaign) -> CampaignCard:
    return CampaignCard(
        id=c.id,
        name=c.name,
        product=c.product,
        url=c.url,
        region_names=tuple(c.region_names or ()),
        budget=c.budget,
        status=c.status,
        keywords=c.keywords_count,
        groups=c.groups_count,
        ads=c.ads_count,
        created_at=c.created_at,
        finished_at=c.finished_at,
        spreadsheet_url=c.spreadsheet_url,
        error=c.error,
        has_files=c.groups_count > 0 or c.source == "direct_import",
        can_repeat=c.source != "direct_import" and c.status != "processing",
    )


def _check_filter(status: str | None) -> str:
    status = status or "all"
    if status not in FILTERS:
        raise LocalizedError(
            "campaigns.history.bad_filter", value=status, allowed=", ".join(FILTERS)
        )
    return status


async def history_page(
    app: App, user_id: int, *, status: str | None = None, page: int = 0, per_page: int = PAGE_SIZE
) -> HistoryPage:
    """Page `page` (0-based, clamped to the last page) of the user's campaigns, newest first."""
    status = _check_filter(status)
    base = Campaign.user_id == user_id
    visible = Campaign.status != "archived"
    cond = visible if status == "all" else (Campaign.status == status)
    async with app.db.session() as s:
        rows = (
            await s.execute(
                select(
                    Campaign.status,
                    func.count(),
                    func.coalesce(func.sum(Campaign.keywords_count), 0),
                    func.coalesce(func.sum(Campaign.groups_count), 0),
                    func.coalesce(func.sum(Campaign.ads_count), 0),
                )
                .where(base, visible)
                .group_by(Campaign.status)
            )
        ).all()
        by_status = {str(st): int(n) for st, n, *_ in rows}
        totals = HistoryTotals(
            campaigns=sum(by_status.values()),
            by_status=by_status,
            keywords=sum(int(r[2]) for r in rows),
            groups=sum(int(r[3]) for r in rows),
            ads=sum(int(r[4]) for r in rows),
        )
        matching = totals.campaigns if status == "all" else by_status.get(status, 0)
        pages = max(1, -(-matching // per_page))
        page = min(max(0, page), pages - 1)
        items = (
            (
                await s.scalars(
                    select(Campaign)
                    .where(base, cond)
                    .order_by(Campaign.id.desc())
                    .offset(page * per_page)
                    .limit(per_page)
                )
            ).all()
            if matching
            else ()  # nothing to list: no second query (a new user's /history)
        )
        cards = tuple(_card(c) for c in items)
    return HistoryPage(cards, status, page, pages, matching, totals)


async def _own(s: AsyncSession, user_id: int, campaign_id: int) -> Campaign:
    camp = await s.scalar(
        select(Campaign).where(Campaign.id == campaign_id, Campaign.user_id == user_id)
    )
    if camp is None:
        raise LocalizedError("campaigns.history.not_found", id=campaign_id)
    return camp


async def campaign_card(app: App, user_id: int, campaign_id: int) -> CampaignCard:
    from tgassist.campaigns.service import SUBJECT

    async with app.db.session() as s:
        card = _card(await _own(s, user_id, campaign_id))
    if card.status not in ("failed", "cancelled"):
        return card
    task = await app.tasks.latest(SUBJECT, campaign_id)
    if task is None or task.status not in ("failed", "cancelled") or not task.key:
        return card
    return replace(card, failure=Msg(task.key, dict(task.params)))


async def build_summary(app: App, user_id: int, campaign_id: int) -> BuildSummary:
    """Counts, compliance (share of ads within Direct's limits) and warnings of the last build."""
    async with app.db.session() as s:
        c = await _own(s, user_id, campaign_id)
        report: dict[str, Any] = dict(c.report or {})
    gen = report.get("generate") or {}
    warnings: list[str | Msg] = []
    for part in ("filter", "cluster", "export"):
        for w in (report.get(part) or {}).get("warnings") or ():
            item = Msg(w["key"], w["params"]) if isinstance(w, dict) and "key" in w else str(w)
            if item not in warnings:
                warnings.append(item)
    compliance = gen.get("compliance")
    return BuildSummary(
        campaign_id=c.id,
        name=c.name,
        status=c.status,
        keywords=c.keywords_count,
        groups=c.groups_count,
        ads=c.ads_count,
        compliance=float(compliance) if compliance is not None else None,
        warnings=tuple(warnings),
        violations=len(gen.get("violations") or ()),
        spreadsheet_url=c.spreadsheet_url,
        error=c.error,
    )


async def campaign_file(app: App, user_id: int, campaign_id: int, fmt: str) -> Path:
    """The campaign's XLSX or CSV (written again when missing, e.g. after a cleanup)."""
    from tgassist.campaigns.storage import export_dir, write_exports

    if fmt not in FORMATS:
        raise LocalizedError("campaigns.history.bad_format", value=fmt, allowed=", ".join(FORMATS))
    async with app.db.session() as s:
        c = await _own(s, user_id, campaign_id)
        card = _card(c)
        stored = Path(c.file_path) if c.file_path else None
    if not card.has_files:
        raise LocalizedError(  # the status as the reader's word for it ("собирается")
            "campaigns.history.not_built",
            id=campaign_id,
            status=Msg(f"bot.campaigns.status.{card.status}"),
        )
    if stored is not None:
        path = stored if fmt == "xlsx" else stored.with_suffix(".csv")
        if path.is_file() and path.resolve().is_relative_to(export_dir(app.settings).resolve()):
            return path
    return (await write_exports(app, campaign_id, (fmt,)))[fmt]


async def repeat(app: App, user_id: int, campaign_id: int) -> Any:
    """Build the campaign again (resume an unfinished build; a new build of a finished one)."""
    from tgassist.campaigns import service

    async with app.db.session() as s:
        card = _card(await _own(s, user_id, campaign_id))
        if not card.can_repeat:
            key = (
                "campaigns.history.repeat_running"
                if card.status == "processing"
                else "campaigns.history.repeat_import"
            )
            raise LocalizedError(key, id=campaign_id)
    return await service.repeat_campaign(app, user_id, campaign_id)


async def delete(app: App, user_id: int, campaign_id: int) -> str:
    """Delete the campaign with its files (a running build is cancelled); returns its name."""
    from tgassist.campaigns import service

    async with app.db.session() as s:
        camp = await _own(s, user_id, campaign_id)
        name = camp.name
    await service.delete_campaign(app, user_id, campaign_id)
    return name


async def sheets_link(app: App, user_id: int, campaign_id: int) -> str | None:
    """A Google Sheet of the campaign shared with the user's Google e-mail, when Sheets is
    configured (None otherwise); the link is kept on the campaign."""
    from sqlalchemy import update

    from tgassist.campaigns.exceptions import CampaignError
    from tgassist.campaigns.sheets import export_to_sheets
    from tgassist.campaigns.storage import load_export

    creds = app.settings.google_service_account_file
    if not creds:
        return None
    async with app.db.session() as s:
        camp = await _own(s, user_id, campaign_id)
        if camp.spreadsheet_url:
            return camp.spreadsheet_url
        email = await s.scalar(select(User.google_email).where(User.id == user_id))
    try:
        url = await export_to_sheets(creds, await load_export(app, campaign_id), email)
    except CampaignError as err:
        raise LocalizedError("campaigns.history.sheets_failed", reason=err) from err
    async with app.db.session() as s:
        await s.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(spreadsheet_url=url)
        )
    return url

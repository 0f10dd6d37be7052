"""What the bot, the CLI and the API call: create from a brief, list, show, export, repeat, cancel, delete,
import a Direct file, edit an ad. Front doors hold no logic; everything user-visible is decided here."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from sqlalchemy import func, select, update

from tgassist.campaigns.brief import Brief, validate_brief
from tgassist.campaigns.events import BUILD_STREAM, BuildRequested
from tgassist.campaigns.exceptions import (
    CampaignError,
    CampaignLimitError,
    CampaignNotFound,
    ImportFileError,
)
from tgassist.campaigns.models import Ad, Campaign, StageResult
from tgassist.core.db import utcnow
from tgassist.core.i18n import Msg
from tgassist.core.lazy import lazy_exports
from tgassist.core.models import Task, User
from tgassist.core.outbox import add_event
from tgassist.core.tasks import TaskView
from tgassist.core.users import UserNotFound

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from tgassist.app import App

TASK_TYPE = "campaign.build"
SUBJECT = "campaign"
ACTIVE = ("pending", "running")


@dataclass(frozen=True)
class Started:
    """A build that was enqueued: the campaign, its task, and whether it resumes an earlier build."""

    campaign_id: int
    task_id: str
    resumed: bool


@dataclass(frozen=True)
class CampaignView:
    """What `show` returns: the campaign, its latest task and its finished stages."""

    campaign: CampaignInfo
    task: TaskView | None
    stages: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CampaignInfo:
    """A campaign as the admin API and dashboards show it."""

    id: int
    user_id: int
    name: str
    status: str
    source: str | None
    url: str
    regions: list[str]
    keywords: int
    groups: int
    ads: int
    file: str | None
    spreadsheet_url: str | None
    error: str | None
    created_at: datetime
    report: dict[str, Any]


def info_of(c: Campaign) -> CampaignInfo:
    return CampaignInfo(
        id=c.id,
        user_id=c.user_id,
        name=c.name,
        status=c.status,
        source=c.source,
        url=c.url,
        regions=list(c.region_names or []),
        keywords=c.keywords_count,
        groups=c.groups_count,
        ads=c.ads_count,
        file=c.file_path,
        spreadsheet_url=c.spreadsheet_url,
        error=c.error,
        created_at=c.created_at,
        report=dict(c.report or {}),
    )


async def all_campaigns(app: App, limit: int = 100) -> list[CampaignInfo]:
    """The latest campaigns of every user (admin)."""
    async with app.db.session() as s:
        rows = await s.scalars(
            select(Campaign).order_by(Campaign.id.desc()).limit(max(1, min(limit, 1000)))
        )
        return [info_of(c) for c in rows]


async def campaign_info(app: App, campaign_id: int) -> tuple[CampaignInfo, TaskView | None]:
    """Any user's campaign with its latest build task (admin)."""
    async with app.db.session() as s:
        camp = await s.get(Campaign, campaign_id)
        if camp is None:
            raise CampaignNotFound(campaign_id)
        info = info_of(camp)
    return info, await latest_task(app, campaign_id)


@dataclass(frozen=True)
class ExportResult:
    """Where an export went, and a message when it is not what was asked (Sheets → XLSX)."""

    path: Path | None
    url: str | None = None
    message: Msg | None = None  # rendered by the door in its user's language
    paths: dict[str, Path] = field(default_factory=dict)


async def _user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise UserNotFound(user_id)
    user.last_activity_at = utcnow()
    return user


def _of_campaign(camp_id: int) -> Any:
    return (Task.subject_type == SUBJECT) & (Task.subject_id == str(camp_id))


async def _check_limit(app: App, session: AsyncSession, user: User) -> None:
    limit = int((user.limits or {}).get("campaigns", app.settings.campaigns_max_per_user))
    n = await session.scalar(
        select(func.count())
        .select_from(Campaign)
        .where(Campaign.user_id == user.id, Campaign.status != "archived")
    )
    if (n or 0) >= limit:
        raise CampaignLimitError("campaigns.limit.reached", count=n or 0, limit=limit)


async def _enqueue(session: AsyncSession, camp_id: int, user_id: int) -> Task:
    task = Task(
        id=str(uuid4()),
        user_id=user_id,
        subject_type=SUBJECT,
        subject_id=str(camp_id),
        type=TASK_TYPE,
        status="pending",
        stage=None,
        percent=0,
        key="core.task.queued",
        params={},
        cancel_requested=False,
    )
    session.add(task)
    add_event(session, BUILD_STREAM, BuildRequested(task_id=task.id, campaign_id=camp_id))
    return task


async def _supersede(session: AsyncSession, camp_id: int, new_task: str) -> None:
    """Older unfinished tasks of this campaign end (a reclaimed old event then does nothing)."""
    await session.execute(
        update(Task)
        .where(_of_campaign(camp_id), Task.status.in_(ACTIVE), Task.id != new_task)
        .values(
            status="failed",
            key="campaigns.build.superseded",
            params={"task_id": new_task},
            error=f"superseded by task {new_task}",
            finished_at=utcnow(),
        )
    )


async def create_campaign(
    app: App, user_id: int, data: Mapping[str, Any] | Brief, resume: bool = True
) -> Started:
    """Validate the brief (and its keyword file) and enqueue a build; the same unfinished brief resumes."""
    brief = data if isinstance(data, Brief) else validate_brief(data)
    imported = None
    file_notes: dict[str, Any] = {}
    if brief.keywords_file:
        from tgassist.campaigns.sources.imports import load_keyword_file

        try:
            kfile = load_keyword_file(brief.keywords_file)
            file_notes = kfile.notes()
            imported = [{"phrase": k.phrase, "frequency": k.frequency} for k in kfile.keywords]
        except ImportFileError as err:  # name the brief field, as every other brief error does
            raise ImportFileError(
                "campaigns.brief.keywords_file_unreadable", reason=err.render("en")
            ) from err
    prev: Campaign | None = None
    async with app.db.session() as s:
        user = await _user(s, user_id)
        if resume:
            prev = await s.scalar(
                select(Campaign)
                .where(
                    Campaign.user_id == user.id,
                    Campaign.brief_hash == brief.hash,
                    Campaign.status.in_(("processing", "failed", "cancelled", "draft")),
                )
                .order_by(Campaign.id.desc())
            )
            if prev is not None:
                task = await _enqueue(s, prev.id, user.id)
                await s.flush()
                await _supersede(s, prev.id, task.id)
                prev.status = "processing"
                if imported is not None:
                    prev.imported_keywords = imported
                    prev.report = {"import": file_notes}
                started = Started(prev.id, task.id, True)
        if prev is None:
            await _check_limit(app, s, user)
            camp = Campaign(
                user_id=user.id,
                name=brief.name,
                product=brief.product,
                url=brief.url,
                base_phrases=list(brief.base_phrases),
                region_names=list(brief.region_names),
                region_ids=list(brief.region_ids),
                budget=brief.budget,
                brief=brief.to_dict(),
                brief_hash=brief.hash,
                imported_keywords=imported,
                minus_words=[],
                status="processing",
                report={"import": file_notes} if file_notes else {},
            )
            s.add(camp)
            await s.flush()
            task = await _enqueue(s, camp.id, user.id)
            started = Started(camp.id, task.id, False)
    app.outbox.kick()
    return started


async def _own(s: AsyncSession, user_id: int, campaign_id: int) -> Campaign:
    """The user's campaign; another user's id is refused exactly like a missing one."""
    camp = await s.scalar(
        select(Campaign).where(Campaign.id == campaign_id, Campaign.user_id == user_id)
    )
    if camp is None:
        raise CampaignNotFound(campaign_id)
    return camp


async def list_campaigns(
    app: App, user_id: int, include_archived: bool = False
) -> list[CampaignInfo]:
    async with app.db.session() as s:
        q = select(Campaign).where(Campaign.user_id == user_id)
        if not include_archived:
            q = q.where(Campaign.status != "archived")
        return [info_of(c) for c in await s.scalars(q.order_by(Campaign.id.desc()))]


async def latest_task(app: App, campaign_id: int) -> TaskView | None:
    return await app.tasks.latest(SUBJECT, campaign_id)


async def get_task(app: App, task_id: str) -> TaskView | None:
    return await app.tasks.get(task_id)


async def show_campaign(app: App, user_id: int, campaign_id: int) -> CampaignView:
    async with app.db.session() as s:
        camp = await _own(s, user_id, campaign_id)
        stages = list(
            (
                await s.scalars(
                    select(StageResult.stage)
                    .where(StageResult.campaign_id == campaign_id)
                    .order_by(StageResult.id)
                )
            ).all()
        )
        info = info_of(camp)
    return CampaignView(info, await latest_task(app, campaign_id), stages)


async def export_campaign(
    app: App, user_id: int, campaign_id: int, fmt: str = "xlsx", share_with: str | None = None
) -> ExportResult:
    """Write the export again (xlsx, csv) or create a Google Sheet shared with `share_with` (default: the
    user's Google e-mail); without Sheets credentials or an e-mail: XLSX + why."""
    from tgassist.campaigns.sheets import export_to_sheets
    from tgassist.campaigns.storage import load_export, region_warning, write_exports

    if fmt not in ("xlsx", "csv", "sheets"):
        raise CampaignError("campaigns.export.bad_format", value=fmt, allowed="xlsx, csv, sheets")
    async with app.db.session() as s:
        camp = await _own(s, user_id, campaign_id)
        user = await s.get(User, camp.user_id)
        has_groups = camp.groups_count > 0 or camp.source == "direct_import"
    if not has_groups:
        raise CampaignError(
            "campaigns.export.not_built",
            id=campaign_id,
            status=Msg(f"bot.campaigns.status.{camp.status}"),  # the reader's word for it
        )
    if fmt == "sheets":
        try:
            url = await export_to_sheets(
                app.settings.google_service_account_file,
                await load_export(app, campaign_id),
                share_with or (user.google_email if user else None),
            )
        except (
            CampaignError
        ) as err:  # not configured, or Google refused: the user still gets a file
            paths = await write_exports(app, campaign_id, ("xlsx",))
            return ExportResult(paths["xlsx"], None, Msg(err.key, dict(err.params)), paths)
        async with app.db.session() as s:
            await s.execute(
                update(Campaign).where(Campaign.id == campaign_id).values(spreadsheet_url=url)
            )
        return ExportResult(None, url, None)
    paths = await write_exports(app, campaign_id, (fmt,))
    return ExportResult(paths[fmt], None, region_warning(camp), paths)


async def repeat_campaign(app: App, user_id: int, campaign_id: int) -> Started:
    """Unfinished (failed/cancelled/interrupted) → resume it; completed → a new build of the same brief."""
    async with app.db.session() as s:
        camp = await _own(s, user_id, campaign_id)
        if camp.source == "direct_import":
            raise CampaignError("campaigns.repeat.imported", id=campaign_id)
        if camp.status != "completed":
            active = await s.scalar(
                select(Task).where(
                    _of_campaign(campaign_id),
                    Task.status.in_(ACTIVE),
                    Task.cancel_requested.is_(False),
                )
            )
            if active is not None and camp.status == "processing" and active.status == "running":
                return Started(campaign_id, active.id, True)
            task = await _enqueue(s, campaign_id, camp.user_id)
            await s.flush()
            await _supersede(s, campaign_id, task.id)
            camp.status = "processing"
            started = Started(campaign_id, task.id, True)
        else:
            from dataclasses import replace

            from tgassist.campaigns.stages import brief_of

            brief = replace(brief_of(camp), keywords_file=None)
            imported = camp.imported_keywords
    if camp.status == "processing":
        app.outbox.kick()
        return started
    started = await create_campaign(app, user_id, brief, resume=False)
    if imported:
        async with app.db.session() as s:
            await s.execute(
                update(Campaign)
                .where(Campaign.id == started.campaign_id)
                .values(imported_keywords=imported)
            )
    return started


async def cancel_campaign(app: App, user_id: int, campaign_id: int) -> TaskView:
    """Ask the running build to stop; it stops at its next check and keeps its finished stages."""
    async with app.db.session() as s:
        await _own(s, user_id, campaign_id)
    return await cancel_build(app, campaign_id)


async def cancel_build(app: App, campaign_id: int) -> TaskView:
    """Cancel the running build of a campaign by the service's rules (an admin's cancel too:
    no ownership check)."""
    async with app.db.session() as s:
        task = await s.scalar(
            select(Task)
            .where(_of_campaign(campaign_id), Task.status.in_(ACTIVE))
            .order_by(Task.created_at.desc())
            .limit(1)
        )
        if task is None:
            exists = await s.get(Campaign, campaign_id)
            if exists is None:
                raise CampaignNotFound(campaign_id)
            raise CampaignError("campaigns.cancel.nothing_running", id=campaign_id)
        task_id = task.id
    await app.tasks.cancel(task_id)
    view = await app.tasks.get(task_id)
    assert view is not None
    return view


async def delete_campaign(app: App, user_id: int, campaign_id: int) -> None:
    """Delete the campaign with its keywords, groups, ads and files; a running build is cancelled first."""
    from sqlalchemy import delete

    async with app.db.session() as s:
        camp = await _own(s, user_id, campaign_id)
        await s.execute(
            update(Task)
            .where(_of_campaign(campaign_id), Task.status.in_(ACTIVE))
            .values(
                cancel_requested=True,
                status="cancelled",
                key="campaigns.build.deleted",
                params={},
                finished_at=utcnow(),
            )
        )
        files = [camp.file_path] if camp.file_path else []
        await s.execute(delete(Campaign).where(Campaign.id == campaign_id))
    for f in files:
        for p in (Path(f), Path(f).with_suffix(".csv")):
            p.unlink(missing_ok=True)


async def edit_ad(app: App, user_id: int, ad_id: int, **fields: Any) -> list[str]:
    """Change an ad's texts; returns the Direct violations (saved anyway, so nothing typed is lost)."""
    from tgassist.campaigns.limits import check_ad
    from tgassist.campaigns.storage import draft_of

    allowed = {
        "title",
        "title2",
        "text",
        "extra_titles",
        "extra_texts",
        "display_link",
        "sitelinks",
        "callouts",
        "url",
    }
    bad = set(fields) - allowed
    if bad:
        raise CampaignError("campaigns.ad.fields_readonly", fields=", ".join(sorted(bad)))
    async with app.db.session() as s:
        ad = await s.get(Ad, ad_id)
        if ad is None:
            raise CampaignNotFound(ad_id, "ad")
        await _own(s, user_id, ad.campaign_id)
        for k, v in fields.items():
            setattr(ad, k, v)
        ad.generator = "edited"
        return [str(v) for v in check_ad(draft_of(ad))]


@asynccontextmanager
async def local_build_worker(app: App) -> AsyncIterator[None]:
    """A campaign-build worker (and the outbox relay) in this process while the block runs: the
    CLI builds without a separate `tgassist worker`."""
    import asyncio

    from tgassist.campaigns.tasks import BUILD_STAGE
    from tgassist.core.worker import Worker

    stop = asyncio.Event()
    worker = Worker(app, [BUILD_STAGE])
    jobs = [asyncio.create_task(worker.run()), asyncio.create_task(app.outbox.run(stop, 0.2))]
    try:
        yield
    finally:
        stop.set()
        worker.stop()
        await asyncio.gather(*jobs, return_exceptions=True)


# What doors use from the product's other modules, offered here so that a door imports the
# service alone (loaded on first use: some of those modules import this one).
__getattr__ = lazy_exports(
    __name__,
    {
        "tgassist.campaigns.history": "FORMATS build_summary campaign_card campaign_file "
        "history_page sheets_link delete_from_history=delete repeat_from_history=repeat",
        "tgassist.campaigns.wizard": "FIELD_OF MAX_FILE_BYTES STEPS check_step "
        "missing_steps read_keyword_file start_build",
        "tgassist.campaigns.account": "clear_setting get_account save_search_api_key "
        "save_wordstat_token set_default_budget set_default_region set_google_email",
        "tgassist.campaigns.stats": "built_count campaign_rows stored_campaign_file=campaign_file",
        "tgassist.campaigns.summary": "summary_lines",
        "tgassist.campaigns.brief": "load_brief_file",
        "tgassist.campaigns.direct": "import_direct",
    },
)

if TYPE_CHECKING:  # the names above, for type checkers
    from tgassist.campaigns.account import (  # noqa: F401
        clear_setting,
        get_account,
        save_search_api_key,
        save_wordstat_token,
        set_default_budget,
        set_default_region,
        set_google_email,
    )
    from tgassist.campaigns.brief import load_brief_file  # noqa: F401
    from tgassist.campaigns.direct import import_direct  # noqa: F401
    from tgassist.campaigns.history import (  # noqa: F401
        FORMATS,
        build_summary,
        campaign_card,
        campaign_file,
        history_page,
        sheets_link,
    )
    from tgassist.campaigns.history import delete as delete_from_history  # noqa: F401
    from tgassist.campaigns.history import repeat as repeat_from_history  # noqa: F401
    from tgassist.campaigns.stats import built_count, campaign_rows  # noqa: F401
    from tgassist.campaigns.stats import campaign_file as stored_campaign_file  # noqa: F401
    from tgassist.campaigns.summary import summary_lines  # noqa: F401
    from tgassist.campaigns.wizard import (  # noqa: F401
        FIELD_OF,
        MAX_FILE_BYTES,
        STEPS,
        check_step,
        missing_steps,
        read_keyword_file,
        start_build,
    )

"""The build job: stages wordstat → filter → cluster → generate → export, run by a worker.

One `campaigns.build` event drives a whole build. Stages already recorded in `campaign_stage_results`
are skipped, so a failed, cancelled or killed build resumes at the first unfinished stage. Cancel is
checked between stages and inside the long ones; progress goes through the core TaskManager
(`app.tasks`) as message keys: `campaigns.stage.<name>` and the stage's detail keys.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import select, update

from tgassist.campaigns.events import BuildRequested
from tgassist.campaigns.exceptions import BuildCancelled
from tgassist.campaigns.models import Campaign, StageResult
from tgassist.campaigns.stages import (
    run_cluster,
    run_export,
    run_filter,
    run_generate,
    run_wordstat,
)
from tgassist.core.db import utcnow
from tgassist.core.errors import LocalizedError, TgassistError
from tgassist.core.i18n import Msg
from tgassist.core.models import Task

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.core.worker import StageContext

log = structlog.get_logger(__name__)
TERMINAL = ("done", "failed", "cancelled")


@dataclass(frozen=True)
class BuildStage:
    """One step of a build: its name (its title is the key `campaigns.stage.<name>`), and its
    share of the progress bar."""

    name: str
    start: int
    end: int
    run: Callable[[BuildContext], Awaitable[dict[str, Any]]]


STAGES: tuple[BuildStage, ...] = (
    BuildStage("wordstat", 0, 20, run_wordstat),
    BuildStage("filter", 20, 30, run_filter),
    BuildStage("cluster", 30, 60, run_cluster),
    BuildStage("generate", 60, 90, run_generate),
    BuildStage("export", 90, 100, run_export),
)


@dataclass
class BuildContext:
    """The state of one running build, handed to each stage."""

    app: App
    task_id: str
    campaign_id: int
    stage: BuildStage = STAGES[0]
    _last_write: float = 0.0
    _last_cancel_check: float = 0.0
    _percent: int = -1
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def campaign(self) -> Campaign:
        async with self.app.db.session() as s:
            camp = await s.get(Campaign, self.campaign_id)
        if camp is None:
            raise BuildCancelled("campaigns.build.deleted")
        return camp

    async def result(self, stage: str) -> dict[str, Any]:
        async with self.app.db.session() as s:
            row = await s.scalar(
                select(StageResult).where(
                    StageResult.campaign_id == self.campaign_id, StageResult.stage == stage
                )
            )
        return row.data if row else {}

    async def check_cancel(self, force: bool = False) -> None:
        """Raise BuildCancelled if the user asked to cancel (reads the task row at most every 0.2 s)."""
        now = time.monotonic()
        if not force and now - self._last_cancel_check < 0.2:
            return
        self._last_cancel_check = now
        if await self.app.tasks.is_cancelled(self.task_id):
            raise BuildCancelled("campaigns.build.cancelled")

    async def progress(
        self, fraction: float, key: str | None = None, force: bool = False, **params: Any
    ) -> None:
        """Report the stage, percent and a message key (default: the stage's title), throttled."""
        st = self.stage
        percent = int(st.start + (st.end - st.start) * max(0.0, min(1.0, fraction)))
        now = time.monotonic()
        if not force and percent == self._percent and now - self._last_write < 1.0:
            return
        self._percent, self._last_write = percent, now
        await self.app.tasks.progress(
            self.task_id,
            stage=st.name,
            percent=percent,
            key=key or f"campaigns.stage.{st.name}",
            **params,
        )


def _title(st: BuildStage) -> Msg:
    """A stage as a message parameter: its title in the reader's language, not its name."""
    return Msg(f"campaigns.stage.{st.name}")


async def finish(
    app: App,
    task_id: str,
    campaign_id: int,
    status: str,
    key: str,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    params: dict[str, Any] | None = None,
) -> None:
    """End the campaign and its task with the same outcome (`params` fill the message key)."""
    params = params or {}
    values: dict[str, Any] = {
        "status": "completed" if status == "done" else status,
        "finished_at": utcnow(),
        "error": error,
    }
    if result:
        values["report"] = result
    async with app.db.session() as s:
        await s.execute(update(Campaign).where(Campaign.id == campaign_id).values(**values))
    if status == "done":
        await app.tasks.finish(task_id, result, key=key, **params)
    elif status == "cancelled":
        await app.tasks.cancelled(task_id, key=key, **params)
    else:
        await app.tasks.fail(task_id, key, error=error, **params)


async def run_build(
    app: App, task_id: str, campaign_id: int, attempt: int = 1, last_attempt: bool = True
) -> str:
    """Run (or resume) a build; returns the final task status. Unexpected errors propagate for a retry."""
    async with app.db.session() as s:
        task = await s.get(Task, task_id)
        if task is None or task.status in TERMINAL:
            return task.status if task else "missing"
        done = set(
            (
                await s.scalars(
                    select(StageResult.stage).where(StageResult.campaign_id == campaign_id)
                )
            ).all()
        )
        await s.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id)
            .values(status="processing", error=None)
        )
    bc = BuildContext(app, task_id, campaign_id)
    await app.tasks.start(task_id)
    try:
        for st in STAGES:
            if st.name in done:
                continue
            await bc.check_cancel(force=True)
            bc.stage = st
            await bc.progress(0.0, force=True)
            log.info("campaign stage", campaign=campaign_id, stage=st.name, attempt=attempt)
            bc.results[st.name] = await st.run(bc)
            await bc.progress(1.0, force=True)
        report = {
            name: await bc.result(name) for name in ("filter", "cluster", "generate", "export")
        }
        imported = ((await bc.campaign()).report or {}).get("import")
        if imported:
            report["import"] = imported  # what the keyword file held but did not give
        collected = await bc.result("wordstat")
        report["wordstat"] = {
            "source": collected.get("source"),
            "candidates": len(collected.get("keywords", [])),
        }
        await finish(app, task_id, campaign_id, "done", "campaigns.build.done", result=report)
        return "done"
    except BuildCancelled as err:
        await finish(app, task_id, campaign_id, "cancelled", err.key, params=dict(err.params))
        return "cancelled"
    except TgassistError as err:  # a clear, user-facing problem: fail now, keep the finished stages
        # the error's own key: each door renders it in its user's language
        key, params = (
            (err.key, dict(err.params))
            if isinstance(err, LocalizedError)
            else ("campaigns.build.failed", {"reason": str(err)})
        )
        await finish(
            app,
            task_id,
            campaign_id,
            "failed",
            key,
            error=str(err),
            params={**params, "stage": _title(bc.stage)},
        )
        return "failed"
    except Exception as err:
        # An unexpected error: the user is told which stage failed and a code to quote, not the
        # exception (English, technical); the detail goes to the log and the task's `error`.
        detail = f"{type(err).__name__}: {err}"
        code = task_id[:8]
        log.warning(
            "campaign build crashed", task=task_id, code=code, attempt=attempt, error=detail
        )
        if last_attempt:
            await finish(
                app,
                task_id,
                campaign_id,
                "failed",
                "campaigns.build.crashed",
                error=detail,
                params={"stage": _title(bc.stage), "code": code},
            )
        else:
            await app.tasks.progress(
                task_id,
                stage=bc.stage.name,
                percent=max(bc._percent, 0),
                key="campaigns.build.retrying",
                attempt=attempt + 1,
            )
        raise


async def handle_build(event: BuildRequested, ctx: StageContext) -> None:
    """Worker handler of `campaigns.build`."""
    max_deliveries = ctx.stage.max_deliveries or ctx.app.settings.bus_max_deliveries
    await run_build(
        ctx.app, event.task_id, event.campaign_id, ctx.attempt, ctx.attempt >= max_deliveries
    )

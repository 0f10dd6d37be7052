"""One facility for long jobs: create, report progress (stage, percent, message key + params),
cancel, finish / fail, and `watch` — what every door uses to render live progress.

The task row is the truth; each change is also appended to a short per-task Redis stream so a
watcher wakes at once instead of polling. A watcher that misses the stream (expired, Redis
restarted) still sees every state through its periodic read of the row.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import select, update

from tgassist.core import keys
from tgassist.core.db import utcnow
from tgassist.core.events import dumps
from tgassist.core.i18n import Msg, storable_params
from tgassist.core.models import Task

if TYPE_CHECKING:
    from tgassist.core.db import Database
    from tgassist.core.redis import Redis

log = structlog.get_logger(__name__)

ACTIVE: tuple[str, ...] = ("pending", "running")
TERMINAL: tuple[str, ...] = ("done", "failed", "cancelled")


@dataclass(frozen=True)
class TaskView:
    id: str
    type: str
    status: str
    stage: str | None
    percent: int
    key: str | None
    params: dict[str, Any]
    user_id: int | None
    subject_type: str | None
    subject_id: str | None
    result: dict[str, Any] | None
    error: str | None
    cancel_requested: bool
    created_at: datetime | None
    updated_at: datetime | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    @property
    def message(self) -> Msg | None:
        return Msg(self.key, dict(self.params)) if self.key else None


@dataclass(frozen=True)
class Progress:
    """One observed state of a task."""

    task_id: str
    status: str
    stage: str | None
    percent: int
    key: str | None
    params: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    @property
    def message(self) -> Msg | None:
        return Msg(self.key, dict(self.params)) if self.key else None

    def same_as(self, other: Progress | None) -> bool:
        return other is not None and (
            self.status,
            self.stage,
            self.percent,
            self.key,
            self.params,
        ) == (other.status, other.stage, other.percent, other.key, other.params)


def view_of(task: Task) -> TaskView:
    return TaskView(
        id=task.id,
        type=task.type,
        status=task.status,
        stage=task.stage,
        percent=int(task.percent or 0),
        key=task.key,
        params=dict(task.params or {}),
        user_id=task.user_id,
        subject_type=task.subject_type,
        subject_id=task.subject_id,
        result=task.result,
        error=task.error,
        cancel_requested=bool(task.cancel_requested),
        created_at=task.created_at,
        updated_at=task.updated_at,
        finished_at=task.finished_at,
    )


def progress_of(task: TaskView) -> Progress:
    return Progress(
        task.id, task.status, task.stage, task.percent, task.key, task.params, task.updated_at
    )


class TaskManager:
    """`app.tasks`. Statuses: pending → running → done | failed | cancelled."""

    def __init__(self, db: Database, redis: Redis) -> None:
        self.db = db
        self.redis = redis

    async def create(
        self,
        type: str,
        *,
        user_id: int | None = None,
        subject_type: str | None = None,
        subject_id: object | None = None,
        key: str = "core.task.queued",
        session: Any | None = None,
        **params: Any,
    ) -> TaskView:
        """A pending task. With `session`, it is added to the caller's transaction (the row then
        exists exactly when the caller's data does)."""
        task = Task(
            id=str(uuid.uuid4()),
            user_id=user_id,
            subject_type=subject_type,
            subject_id=None if subject_id is None else str(subject_id),
            type=type,
            status="pending",
            stage=None,
            percent=0,
            key=key,
            params=storable_params(params),
            cancel_requested=False,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        if session is not None:
            session.add(task)
            await session.flush()
            return view_of(task)
        async with self.db.session() as s:
            s.add(task)
            await s.flush()
            view = view_of(task)
        await self._publish(view)
        return view

    async def _set(self, task_id: str, **values: Any) -> TaskView | None:
        if "params" in values:  # a nested message (a storage fault inside "import stopped")
            values["params"] = storable_params(values["params"] or {})
        async with self.db.session() as s:
            await s.execute(
                update(Task).where(Task.id == task_id).values(updated_at=utcnow(), **values)
            )
            task = await s.get(Task, task_id)
            view = view_of(task) if task else None
        if view is not None:
            await self._publish(view)
        return view

    async def _publish(self, view: TaskView) -> None:
        """Advisory: the row is the truth, a watcher re-reads it when the stream is silent."""
        stream = keys.task_progress(view.id)
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.xadd(
                    stream,
                    {
                        "status": view.status,
                        "stage": view.stage or "",
                        "percent": str(view.percent),
                        "key": view.key or "",
                        "params": dumps(view.params),
                        "at": (view.updated_at or utcnow()).isoformat(),
                    },
                    maxlen=keys.TASK_PROGRESS_MAXLEN,
                    approximate=True,
                )
                pipe.expire(stream, keys.TASK_PROGRESS_TTL_SEC)
                await pipe.execute()
        except Exception as err:
            log.warning("task progress publish failed", task=view.id, error=str(err))

    async def start(self, task_id: str, *, key: str = "core.task.started", **params: Any) -> None:
        await self._set(
            task_id, status="running", key=key, params=params, error=None, finished_at=None
        )

    async def progress(
        self,
        task_id: str,
        *,
        stage: str | None,
        percent: int,
        key: str,
        status: str = "running",
        **params: Any,
    ) -> None:
        """Record the current stage, percent (clamped to 0..100) and message of a running task.
        A finished task is left as it is (a late report never reopens it)."""
        percent = max(0, min(100, int(percent)))
        async with self.db.session() as s:
            res = await s.execute(
                update(Task)
                .where(Task.id == task_id, Task.status.in_(ACTIVE))
                .values(
                    status=status,
                    stage=stage,
                    percent=percent,
                    key=key,
                    params=storable_params(params),
                    updated_at=utcnow(),
                )
            )
            changed = bool(getattr(res, "rowcount", 0))
            task = await s.get(Task, task_id) if changed else None
            view = view_of(task) if task else None
        if view is not None:
            await self._publish(view)

    async def cancel(self, task_id: str, *, user_id: int | None = None) -> bool:
        """Ask a running task to stop (the job stops at its next check). With `user_id`, only that
        user's task. False when there is nothing to cancel."""
        q = update(Task).where(Task.id == task_id, Task.status.in_(ACTIVE))
        if user_id is not None:
            q = q.where(Task.user_id == user_id)
        async with self.db.session() as s:
            res = await s.execute(
                q.values(
                    cancel_requested=True,
                    key="core.task.cancelling",
                    params={},
                    updated_at=utcnow(),
                )
            )
            ok = bool(getattr(res, "rowcount", 0))
            task = await s.get(Task, task_id) if ok else None
            view = view_of(task) if task else None
        if view is not None:
            await self._publish(view)
        return ok

    async def is_cancelled(self, task_id: str) -> bool:
        async with self.db.session() as s:
            flag = await s.scalar(select(Task.cancel_requested).where(Task.id == task_id))
        return bool(flag)

    async def finish(
        self,
        task_id: str,
        result: dict[str, Any] | None = None,
        *,
        key: str = "core.task.done",
        **params: Any,
    ) -> None:
        await self._set(
            task_id,
            status="done",
            percent=100,
            result=result,
            key=key,
            params=params,
            finished_at=utcnow(),
        )

    async def fail(
        self, task_id: str, key: str, *, error: str | None = None, **params: Any
    ) -> None:
        """End the task as failed with a user-facing message key (and developer detail)."""
        await self._set(
            task_id, status="failed", key=key, params=params, error=error, finished_at=utcnow()
        )

    async def cancelled(
        self, task_id: str, *, key: str = "core.task.cancelled", **params: Any
    ) -> None:
        """The job saw the cancel request and stopped."""
        await self._set(task_id, status="cancelled", key=key, params=params, finished_at=utcnow())

    async def get(self, task_id: str) -> TaskView | None:
        async with self.db.session() as s:
            task = await s.get(Task, task_id)
            return view_of(task) if task else None

    async def latest(self, subject_type: str, subject_id: object) -> TaskView | None:
        """The newest task of a subject (e.g. the last build of a campaign)."""
        async with self.db.session() as s:
            task = await s.scalar(
                select(Task)
                .where(Task.subject_type == subject_type, Task.subject_id == str(subject_id))
                .order_by(Task.created_at.desc())
                .limit(1)
            )
            return view_of(task) if task else None

    async def list(
        self,
        *,
        status: str | tuple[str, ...] | None = None,
        user_id: int | None = None,
        type: str | None = None,
        limit: int = 50,
    ) -> list[TaskView]:
        q = select(Task)
        if status is not None:
            q = q.where(Task.status.in_((status,) if isinstance(status, str) else status))
        if user_id is not None:
            q = q.where(Task.user_id == user_id)
        if type is not None:
            q = q.where(Task.type == type)
        async with self.db.session() as s:
            rows = await s.scalars(q.order_by(Task.created_at.desc()).limit(limit))
            return [view_of(t) for t in rows]

    async def watch(self, task_id: str, *, poll_sec: float = 1.0) -> AsyncIterator[Progress]:
        """The current state first, then each change; ends after done / failed / cancelled.
        A task that does not exist ends the iteration at once."""
        stream = keys.task_progress(task_id)
        last_id = "$"
        try:  # start after what is already in the stream: the row read below covers it
            info = await self.redis.xinfo_stream(stream)
            last_id = str(info.get("last-generated-id") or "0-0")
        except Exception:
            last_id = "0-0"
        prev: Progress | None = None
        task = await self.get(task_id)
        if task is None:
            return
        prev = progress_of(task)
        yield prev
        while not prev.finished:
            resp: Any
            try:
                resp = await self.redis.xread(
                    {stream: last_id}, count=100, block=max(1, int(poll_sec * 1000))
                )
            except Exception as err:  # Redis trouble: fall back to reading the row
                log.warning("task watch read failed", task=task_id, error=str(err))
                resp = None
                await asyncio.sleep(poll_sec)
            seen = [_entry(task_id, f) for _, entries in resp or [] for _, f in entries]
            for _, entries in resp or []:
                if entries:
                    last_id = entries[-1][0]
            if not seen:  # silence: the row is the truth (a change made without the stream)
                task = await self.get(task_id)
                if task is None:
                    return
                seen = [progress_of(task)]
            for now in seen:
                if now is None or now.same_as(prev):
                    continue
                prev = now
                yield now
                if now.finished:
                    return


def _entry(task_id: str, f: dict[str, str]) -> Progress | None:
    try:
        return Progress(
            task_id,
            f["status"],
            f.get("stage") or None,
            int(f.get("percent") or 0),
            f.get("key") or None,
            json.loads(f.get("params") or "{}"),
            datetime.fromisoformat(f["at"]) if f.get("at") else None,
        )
    except (KeyError, ValueError) as err:
        log.warning("bad task progress entry", task=task_id, error=str(err))
        return None

"""The one place that knows users: find or create the user of a Telegram account, block, limits.

Services take the internal user id (`UserView.id`); only this module maps Telegram ids to users.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import structlog
from sqlalchemy import Table, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tgassist.core.db import utcnow
from tgassist.core.errors import LocalizedError
from tgassist.core.i18n import LANGUAGES, normalize_language
from tgassist.core.models import User
from tgassist.core.usercache import USERS_TOPIC

if TYPE_CHECKING:
    from tgassist.core.db import Database

__all__ = [
    "UserNotFound",
    "UserStats",
    "UserView",
    "ensure_user",
    "find_users",
    "get_by_telegram_id",
    "get_user",
    "list_recipient_ids",
    "mark_bot_blocked",
    "set_blocked",
    "set_language",
    "set_limits",
    "user_stats",
]

log = structlog.get_logger(__name__)

# Limits an admin may set, and what each means (others are refused: a typo must not pass silently).
LIMIT_NAMES: tuple[str, ...] = ("campaigns", "channels", "reminders", "requests_per_minute")


class UserNotFound(LocalizedError):
    def __init__(self, ref: object) -> None:
        super().__init__("core.user.not_found", ref=ref)


@dataclass(frozen=True)
class UserView:
    id: int
    telegram_id: int
    username: str | None
    first_name: str | None
    last_name: str | None
    language: str
    is_admin: bool
    is_blocked: bool
    is_active: bool
    limits: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    last_activity_at: datetime | None = None

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        if self.username:
            return f"{name} (@{self.username})" if name else f"@{self.username}"
        return name or str(self.telegram_id)


@dataclass(frozen=True)
class UserStats:
    total: int
    active_7d: int
    new_today: int


def view_of(user: User) -> UserView:
    return UserView(
        id=user.id,
        telegram_id=user.telegram_id,
        username=user.username,
        first_name=user.first_name,
        last_name=user.last_name,
        language=user.language,
        is_admin=bool(user.is_admin),
        is_blocked=bool(user.is_blocked),
        is_active=bool(user.is_active),
        limits=dict(user.limits or {}),
        created_at=user.created_at,
        last_activity_at=user.last_activity_at,
    )


async def _announce(db: Database, telegram_id: int) -> None:
    """After a commit: every process's user cache drops this user (`core.usercache`). A failed
    announcement does not undo the committed write; the caches' TTL bounds what it leaves."""
    try:
        await db.announce(USERS_TOPIC, str(telegram_id))
    except Exception as err:
        log.warning("user change not announced", telegram_id=telegram_id, error=str(err))


async def ensure_user(
    db: Database,
    *,
    telegram_id: int,
    username: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    language_code: str | None = None,
    is_admin: bool | None = None,
) -> UserView:
    """Find or create the user of a Telegram account and refresh its names and last activity.

    A new user's language comes from Telegram's `language_code` (default language otherwise);
    an existing user's chosen language is kept; a name or admin flag not given is not erased. A
    user who had blocked the bot and writes again is active again. An upsert (INSERT … ON CONFLICT
    DO UPDATE … RETURNING), so safe under concurrency; concurrent calls are written together, one
    statement per batch (200 sign-ups at once are a few transactions, not 200 that queue for
    SQLite's one writer).
    """
    now = utcnow()
    row: dict[str, Any] = {
        "telegram_id": telegram_id,
        "username": username[:100] if username is not None else None,
        "first_name": first_name[:200] if first_name is not None else None,
        "last_name": last_name[:200] if last_name is not None else None,
        "language": normalize_language(language_code),
        "is_admin": bool(is_admin),
        "is_active": True,
        "is_blocked": False,
        "limits": {},
        "counters": {},
        "created_at": now,
        "last_activity_at": now,
    }
    batcher = _BATCHERS.get(db)
    if batcher is None:
        batcher = _BATCHERS[db] = _UpsertBatcher()
    # Not announced: what a refresh changes (names, activity, back from having blocked the bot)
    # each bot copy notices by itself when it compares the cached row with the update.
    return await batcher.submit(db, row, admin_given=is_admin is not None)


_Item = tuple[dict[str, Any], bool, "asyncio.Future[UserView]"]
BATCH_ROWS = 200


class _UpsertBatcher:
    """Group commit for `ensure_user`: calls queue up while a batch is being written."""

    def __init__(self) -> None:  # no reference to its Database: the registry holds it weakly
        self.queue: list[_Item] = []
        self.task: asyncio.Task[None] | None = None

    async def submit(self, db: Database, row: dict[str, Any], admin_given: bool) -> UserView:
        future: asyncio.Future[UserView] = asyncio.get_running_loop().create_future()
        self.queue.append((row, admin_given, future))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(db), name="users-upsert")
        return await future

    async def _run(self, db: Database) -> None:
        batch: list[_Item] = []
        try:
            await asyncio.sleep(0)  # the callers of this loop iteration join the first batch
            while self.queue:
                batch, later, seen = [], [], set()
                for item in self.queue:  # one row per account and statement; the rest next time
                    tid = item[0]["telegram_id"]
                    if tid in seen or len(batch) >= BATCH_ROWS:
                        later.append(item)
                    else:
                        seen.add(tid)
                        batch.append(item)
                self.queue = later
                try:
                    views = await _upsert(db, batch)
                except Exception as err:
                    _fail(batch, err)
                    continue
                for row, _, future in batch:
                    view = views.get(row["telegram_id"])
                    if future.done():
                        continue
                    if view is None:
                        future.set_exception(RuntimeError("the upsert returned no row"))
                    else:
                        future.set_result(view)
                batch = []
        finally:  # cancelled (a shutdown): no caller is left waiting for ever
            _fail(batch + self.queue, RuntimeError("user write cancelled"))
            self.queue = []


def _fail(items: list[_Item], err: BaseException) -> None:
    for *_, future in items:
        if not future.done():
            future.set_exception(err)


async def _upsert(db: Database, batch: list[_Item]) -> dict[int, UserView]:
    insert = pg_insert if db.dialect == "postgresql" else sqlite_insert
    views: dict[int, UserView] = {}
    async with db.session(write=True) as s:
        for admin_given in (True, False):
            rows = [row for row, given, _ in batch if given == admin_given]
            if not rows:
                continue
            # The table, not the mapped class: rows in and columns out, no ORM objects.
            stmt = insert(USERS).values(rows)
            new = stmt.excluded
            refresh: dict[str, Any] = {
                "is_active": True,
                "last_activity_at": new.last_activity_at,
                "username": func.coalesce(new.username, USERS.c.username),
                "first_name": func.coalesce(new.first_name, USERS.c.first_name),
                "last_name": func.coalesce(new.last_name, USERS.c.last_name),
            }
            if admin_given:
                refresh["is_admin"] = new.is_admin
            upsert = stmt.on_conflict_do_update(index_elements=[USERS.c.telegram_id], set_=refresh)
            result = await s.execute(upsert.returning(*_VIEW_COLUMNS))
            views.update((view.telegram_id, view) for view in map(_row_view, result))
    return views


_BATCHERS: weakref.WeakKeyDictionary[Database, _UpsertBatcher] = weakref.WeakKeyDictionary()


async def get_user(db: Database, user_id: int) -> UserView | None:
    async with db.session() as s:
        user = await s.get(User, user_id)
        return view_of(user) if user else None


async def get_by_telegram_id(db: Database, telegram_id: int) -> UserView | None:
    """The user of a Telegram account, or None. Lookups made at the same moment (a wave of new
    users' first updates) are read together, one query per batch of up to BATCH_ROWS accounts."""
    lookups = _LOOKUPS.get(db)
    if lookups is None:
        lookups = _LOOKUPS[db] = _LookupBatcher()
    return await lookups.get(db, telegram_id)


USERS = cast(Table, User.__table__)
_VIEW_COLUMNS = (
    User.id,
    User.telegram_id,
    User.username,
    User.first_name,
    User.last_name,
    User.language,
    User.is_admin,
    User.is_blocked,
    User.is_active,
    User.limits,
    User.created_at,
    User.last_activity_at,
)


def _row_view(row: Any) -> UserView:
    values = dict(row._mapping)
    for flag in ("is_admin", "is_blocked", "is_active"):
        values[flag] = bool(values[flag])
    values["limits"] = dict(values["limits"] or {})
    return UserView(**values)


class _LookupBatcher:
    """Coalesces concurrent `get_by_telegram_id` calls: the accounts asked for while a query
    runs are read by the next one (a column select, no ORM objects)."""

    def __init__(self) -> None:  # no reference to its Database: the registry holds it weakly
        self.waiting: dict[int, list[asyncio.Future[UserView | None]]] = {}
        self.task: asyncio.Task[None] | None = None

    async def get(self, db: Database, telegram_id: int) -> UserView | None:
        future: asyncio.Future[UserView | None] = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(telegram_id, []).append(future)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(db), name="users-lookup")
        return await future

    async def _run(self, db: Database) -> None:
        batch: dict[int, list[asyncio.Future[UserView | None]]] = {}
        try:
            await asyncio.sleep(0)  # the callers of this loop iteration join the first query
            while self.waiting:
                ids = list(self.waiting)[:BATCH_ROWS]
                batch = {tid: self.waiting.pop(tid) for tid in ids}
                try:
                    async with db.session() as s:
                        rows = await s.execute(
                            select(*_VIEW_COLUMNS).where(User.telegram_id.in_(ids))
                        )
                        found = {view.telegram_id: view for view in map(_row_view, rows)}
                except Exception as err:
                    _settle(batch, error=err)
                else:
                    _settle(batch, found=found)
                batch = {}
        finally:  # cancelled (a shutdown): no caller is left waiting for ever
            _settle({**batch, **self.waiting}, error=RuntimeError("user lookup cancelled"))
            self.waiting = {}


def _settle(
    batch: dict[int, list[asyncio.Future[UserView | None]]],
    found: dict[int, UserView] | None = None,
    error: BaseException | None = None,
) -> None:
    for tid, futures in batch.items():
        for future in futures:
            if future.done():  # its caller gave up (cancelled)
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result((found or {}).get(tid))


_LOOKUPS: weakref.WeakKeyDictionary[Database, _LookupBatcher] = weakref.WeakKeyDictionary()


async def _update(db: Database, user_id: int, **values: Any) -> UserView:
    async with db.session() as s:
        user = await s.get(User, user_id)
        if user is None:
            raise UserNotFound(user_id)
        for k, v in values.items():
            setattr(user, k, v)
        await s.flush()
        view = view_of(user)
    await _announce(db, view.telegram_id)
    return view


async def set_language(db: Database, user_id: int, lang: str) -> UserView:
    if lang not in LANGUAGES:
        raise LocalizedError("core.user.language_unknown", value=lang, choices=", ".join(LANGUAGES))
    return await _update(db, user_id, language=lang)


async def set_blocked(db: Database, user_id: int, blocked: bool) -> UserView:
    """Block (or unblock) a user by an admin's decision."""
    return await _update(db, user_id, is_blocked=blocked)


async def set_limits(db: Database, user_id: int, limits: dict[str, Any]) -> UserView:
    """Replace the given limits (a value of None removes that limit: the default applies)."""
    unknown = sorted(set(limits) - set(LIMIT_NAMES))
    if unknown:
        raise LocalizedError(
            "core.user.limit_unknown", names=", ".join(unknown), choices=", ".join(LIMIT_NAMES)
        )
    clean: dict[str, int | None] = {}
    for name, value in limits.items():
        if value is None:
            clean[name] = None
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise LocalizedError("core.user.limit_invalid", name=name, value=value) from None
        if number < 0 or isinstance(value, bool) or str(number) != str(value).strip():
            raise LocalizedError("core.user.limit_invalid", name=name, value=value)
        clean[name] = number
    async with db.session() as s:
        user = await s.get(User, user_id)
        if user is None:
            raise UserNotFound(user_id)
        merged = {**(user.limits or {}), **clean}
        user.limits = {k: v for k, v in merged.items() if v is not None}
        await s.flush()
        view = view_of(user)
    await _announce(db, view.telegram_id)
    return view


async def mark_bot_blocked(db: Database, telegram_id: int) -> bool:
    """The user blocked the bot (Telegram said 403): stop writing to them until they return."""
    async with db.session() as s:
        res = await s.execute(
            update(User).where(User.telegram_id == telegram_id).values(is_active=False)
        )
    await _announce(db, telegram_id)
    return bool(getattr(res, "rowcount", 0))


async def user_stats(db: Database) -> UserStats:
    now = utcnow()
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    async with db.session() as s:
        total = await s.scalar(select(func.count()).select_from(User))
        active = await s.scalar(
            select(func.count())
            .select_from(User)
            .where(User.last_activity_at >= now - timedelta(days=7))
        )
        new = await s.scalar(
            select(func.count()).select_from(User).where(User.created_at >= start_of_day)
        )
    return UserStats(int(total or 0), int(active or 0), int(new or 0))


async def find_users(db: Database, query: str, limit: int = 10) -> list[UserView]:
    """By internal id, Telegram id, @username or a part of the name (case-insensitive)."""
    q = query.strip().lstrip("@")
    if not q:
        return []
    conds = []
    if q.lstrip("-").isdigit():
        n = int(q)
        conds += [User.telegram_id == n]
        if abs(n) < 2**31:
            conds += [User.id == n]
    like = f"%{q.lower()}%"
    conds += [
        func.lower(User.username).like(like),
        func.lower(User.first_name).like(like),
        func.lower(User.last_name).like(like),
    ]
    async with db.session() as s:
        rows = await s.scalars(select(User).where(or_(*conds)).order_by(User.id).limit(limit))
        return [view_of(u) for u in rows]


async def list_recipient_ids(db: Database, *, active_days: int | None = None) -> list[int]:
    """Telegram ids of users a broadcast may reach: not blocked by an admin, not having blocked
    the bot, and (with `active_days`) seen within that many days."""
    q = select(User.telegram_id).where(User.is_blocked.is_(False), User.is_active.is_(True))
    if active_days is not None:
        q = q.where(User.last_activity_at >= utcnow() - timedelta(days=active_days))
    async with db.session() as s:
        return [int(x) for x in (await s.scalars(q.order_by(User.id))).all()]

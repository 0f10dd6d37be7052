"""What a product plugs into the runtime: stages, scheduled jobs, health blocks, start-up hooks.

Each product package declares one `PRODUCT` in its `tasks.py`; `tgassist.products` lists them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tgassist.core.events import Event

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.core.worker import StageContext

Handler = Callable[[Any, "StageContext"], Awaitable[None]]
JobFunc = Callable[["App"], Awaitable[Any]]
HealthCheck = Callable[["App"], Awaitable[dict[str, Any]]]
StartupHook = Callable[["App"], Awaitable[None]]
# After Redis lost its data: re-queue work whose state is missing (posts created before the
# oldest outbox row still kept, or all when None); returns how many items were re-queued.
RedriveHook = Callable[["App", Any], Awaitable[int]]


@dataclass(frozen=True)
class Stage:
    """A consumer group on a stream running `handler` for each `event` entry.

    `dedupe`: skip events whose id this group already processed (Redis key with TTL), so
    re-published or replayed entries cause no second effect.
    """

    name: str
    stream: str
    event: type[Event]
    handler: Handler
    concurrency: int = 8
    max_deliveries: int | None = None  # None: settings.bus_max_deliveries
    dedupe: bool = True
    group: str | None = None  # None: the stage name
    # settings -> a key when the stage must run in one process only (single-process embedded
    # stores); stages with the same key run together in whichever worker holds its lock.
    exclusive: Callable[[Any], str | None] | None = None

    @property
    def group_name(self) -> str:
        return self.group or self.name


@dataclass(frozen=True)
class Job:
    """A scheduled job: `cron` (crontab string, `timezone`) or `every_sec` (interval).

    Each of `cron`, `every_sec` and `timezone` may also be a function of the settings, so a
    schedule can come from configuration (the table is declared before settings exist).
    """

    name: str
    func: JobFunc
    cron: str | Callable[[Any], str] | None = None
    every_sec: float | Callable[[Any], float] | None = None
    timezone: str | Callable[[Any], str] = "UTC"
    lock_ttl_sec: int = 3600
    enabled: Callable[[Any], bool] | None = None  # settings -> bool

    def __post_init__(self) -> None:
        if (self.cron is None) == (self.every_sec is None):
            raise ValueError(f"job {self.name}: give exactly one of cron / every_sec")

    def schedule(self, settings: Any) -> tuple[str | None, float | None, str]:
        """(cron, every_sec, timezone) with settings-dependent values resolved."""
        cron = self.cron(settings) if callable(self.cron) else self.cron
        every = self.every_sec(settings) if callable(self.every_sec) else self.every_sec
        tz = self.timezone(settings) if callable(self.timezone) else self.timezone
        return cron, (float(every) if every is not None else None), tz


@dataclass(frozen=True)
class Product:
    name: str
    stages: tuple[Stage, ...] = ()
    jobs: tuple[Job, ...] = ()
    health: tuple[tuple[str, HealthCheck], ...] = ()
    on_start: tuple[StartupHook, ...] = ()
    on_bus_loss: tuple[RedriveHook, ...] = ()

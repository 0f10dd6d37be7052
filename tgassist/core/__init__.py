"""The core runtime: DB, Redis, bus, outbox, worker, scheduler, health, security."""

from tgassist.core.bus import Bus, Delivery, StreamStats, backoff_delay
from tgassist.core.db import Base, Database, JSONType, UTCDateTime, utcnow
from tgassist.core.errors import BackendUnavailable, ConfigError, CryptoError, TgassistError
from tgassist.core.events import Event
from tgassist.core.outbox import OutboxRelay, add_event, add_events
from tgassist.core.product import Job, Product, Stage
from tgassist.core.ratelimit import TokenBucket
from tgassist.core.worker import StageContext, Worker

__all__ = [
    "BackendUnavailable",
    "Base",
    "Bus",
    "ConfigError",
    "CryptoError",
    "Database",
    "Delivery",
    "Event",
    "Job",
    "JSONType",
    "OutboxRelay",
    "Product",
    "Stage",
    "StageContext",
    "StreamStats",
    "TgassistError",
    "TokenBucket",
    "UTCDateTime",
    "Worker",
    "add_event",
    "add_events",
    "backoff_delay",
    "utcnow",
]

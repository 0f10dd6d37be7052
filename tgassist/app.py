"""The App container: settings plus the live backends, built once per process."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

import structlog

from tgassist.core import keys
from tgassist.core.blobs import BlobStore, LocalBlobStore, S3BlobStore
from tgassist.core.bus import Bus
from tgassist.core.crypto import SecretBox
from tgassist.core.db import Database, upgrade
from tgassist.core.errors import BackendUnavailable, ConfigError
from tgassist.core.i18n import set_default_language
from tgassist.core.outbox import OutboxRelay
from tgassist.core.redact import mask_secrets
from tgassist.core.redis import EmbeddedRedis, Redis, connect
from tgassist.core.tasks import TaskManager
from tgassist.core.usercache import UserCache
from tgassist.settings import Settings

if TYPE_CHECKING:
    import httpx

log = structlog.get_logger(__name__)


async def _publish_change(redis: Redis, topic: str, key: str) -> None:
    await redis.publish(keys.changes_channel(topic), key)


def build_blobs(settings: Settings) -> BlobStore:
    if settings.s3_endpoint_url:
        return S3BlobStore(
            settings.s3_endpoint_url,
            settings.s3_bucket,
            settings.s3_access_key.get_secret_value() if settings.s3_access_key else None,
            settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else None,
        )
    return LocalBlobStore(settings.data_dir / "blobs")


@dataclass(eq=False)
class App:
    """Everything a handler, job, route or command needs. AI and index clients are built lazily."""

    settings: Settings
    db: Database
    redis: Redis
    bus: Bus
    blobs: BlobStore
    outbox: OutboxRelay
    tasks: TaskManager
    embedded_redis: EmbeddedRedis | None = None

    @classmethod
    async def start(cls, settings: Settings, migrate: bool = False) -> App:
        """Connect every backend (and run migrations when asked); errors name the setting."""
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ConfigError(
                "core.config.data_dir_unusable", path=str(settings.data_dir), error=err.strerror
            ) from err
        set_default_language(settings.language)
        db = Database(settings.db_url, settings.db_pool_size)
        try:
            if migrate:
                await upgrade(settings.db_url)
            await db.ping()
        except BackendUnavailable:
            raise
        except Exception as err:
            await db.close()
            if settings.database_url:
                raise BackendUnavailable(
                    "core.backend.database_unusable", error=_short(err)
                ) from err
            raise BackendUnavailable(
                "core.backend.sqlite_unusable", path=str(settings.sqlite_path), error=_short(err)
            ) from err

        try:
            redis, embedded = await connect(
                settings.redis_url, settings.data_dir, settings.redis_max_connections
            )
        except BaseException:
            await db.close()
            raise
        bus = Bus(redis, maxlen=settings.bus_maxlen)
        db.announce = partial(_publish_change, redis)
        return cls(
            settings=settings,
            db=db,
            redis=redis,
            bus=bus,
            blobs=build_blobs(settings),
            outbox=OutboxRelay(db, redis, bus),
            tasks=TaskManager(db, redis),
            embedded_redis=embedded,
        )

    async def close(self) -> None:
        for name in (
            "user_cache",
            "http",
            "embedder",
            "llm",
            "vectors",
            "graph",
            "telegram_sender",
        ):
            obj = self.__dict__.get(name)
            if obj is None:
                continue
            for meth in ("aclose", "close"):
                fn = getattr(obj, meth, None)
                if fn:
                    try:
                        res = fn()
                        if inspect.isawaitable(res):
                            await res
                    except Exception as err:
                        log.warning("close failed", resource=name, error=str(err))
                    break
        await self.db.close()
        if self.embedded_redis:
            await self.embedded_redis.stop_if_unused(self.redis)
        try:
            await self.redis.aclose()
        except Exception:
            pass

    # Lazily built clients; each factory lives with its concern.
    @cached_property
    def user_cache(self) -> UserCache:
        """Users by Telegram id for the bot's per-update read (dropped on every announced change)."""
        return UserCache(self.redis, ttl=self.settings.bot_user_cache_sec)

    @cached_property
    def secrets(self) -> SecretBox:
        keys = self.settings.secret_keys
        return SecretBox(keys.get_secret_value() if keys else None)

    @cached_property
    def http(self) -> httpx.AsyncClient:
        import httpx

        return httpx.AsyncClient(
            timeout=30, follow_redirects=False, headers={"User-Agent": "tgassist/0.1"}
        )

    @cached_property
    def embedder(self) -> Any:
        from tgassist.ai.embeddings import build_embedder

        return build_embedder(self.settings)

    @cached_property
    def llm(self) -> Any:
        """The configured LLM client, or None (offline fallbacks are used)."""
        from tgassist.ai.llm import build_llm

        return build_llm(self.settings, self.redis)

    @cached_property
    def translator(self) -> Any:
        """The batch translator, or None when no LLM/translator is configured."""
        from tgassist.ai.translate import build_translator

        return build_translator(self.settings, self.llm, self.redis)

    @cached_property
    def ocr(self) -> Any:
        from tgassist.ai.vision import build_ocr

        return build_ocr(self.settings)

    @cached_property
    def vectors(self) -> Any:
        from tgassist.channels.index import build_vector_index

        return build_vector_index(self.settings, self.embedder)

    @cached_property
    def graph(self) -> Any:
        from tgassist.channels.graph import build_graph

        return build_graph(self.settings)


def _short(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return mask_secrets(text)[:300]  # a driver may echo the URL, password included

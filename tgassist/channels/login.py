"""Telethon sessions: first sign-in, and the string session stored Fernet-encrypted in the DB.

The session lives in the `telegram_sessions` table (name = TGASSIST_TELEGRAM_SESSION_NAME),
encrypted with TGASSIST_SECRET_KEYS, so every worker host can parse without a session file.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from tgassist.channels.models import TelegramSession
from tgassist.channels.sources.base import SourceError
from tgassist.core.errors import ConfigError, CryptoError, LocalizedError
from tgassist.core.i18n import t

if TYPE_CHECKING:
    from tgassist.app import App
    from tgassist.settings import Settings

ClientFactory = Callable[["Settings", str], Any]


class LoginError(SourceError, LocalizedError):
    """Signing in to Telegram or opening the stored session failed (a `channels.login.*` key)."""


async def load_session(app: App) -> str | None:
    """The decrypted string session, or None when nobody signed in yet."""
    async with app.db.session() as session:
        enc = await session.scalar(
            select(TelegramSession.session_enc).where(
                TelegramSession.name == app.settings.telegram_session_name
            )
        )
    return app.secrets.decrypt(enc) if enc else None


async def save_session(app: App, string_session: str, phone: str | None = None) -> None:
    """Encrypt and store (or replace) the string session."""
    enc = app.secrets.encrypt(string_session)
    name = app.settings.telegram_session_name
    async with app.db.session() as session:
        row = (
            await session.execute(select(TelegramSession).where(TelegramSession.name == name))
        ).scalar_one_or_none()
        if row is None:
            session.add(TelegramSession(name=name, session_enc=enc, phone=phone))
        else:
            row.session_enc, row.phone = enc, phone or row.phone


def telegram_configured(settings: Settings) -> bool:
    return bool(settings.telegram_api_id and settings.telegram_api_hash)


def build_client(settings: Settings, string_session: str) -> Any:
    """A TelegramClient over a string session; API id/hash must be set."""
    if not telegram_configured(settings):
        raise ConfigError("channels.login.api_id_missing")

    from telethon import TelegramClient
    from telethon.sessions import StringSession

    assert settings.telegram_api_hash is not None
    return TelegramClient(
        StringSession(string_session),
        settings.telegram_api_id,
        settings.telegram_api_hash.get_secret_value(),
    )


async def open_client(app: App, factory: ClientFactory = build_client) -> Any:
    """A connected, signed-in client from the stored session; clear errors otherwise."""
    if factory is build_client and not telegram_configured(app.settings):
        build_client(app.settings, "")  # raises the ConfigError naming the settings
    string_session = await load_session(app)
    if not string_session:
        raise LoginError("channels.login.no_session")
    client = factory(app.settings, string_session)
    try:
        await client.connect()
        authorized = await client.is_user_authorized()
    except Exception as err:
        raise LoginError("channels.login.connect_failed", error=str(err)[:300]) from err
    if not authorized:
        await client.disconnect()
        raise LoginError("channels.login.session_expired")
    return client


async def interactive_login(
    app: App,
    phone: str | None = None,
    factory: ClientFactory = build_client,
    ask: Callable[[str], str] = input,
    ask_secret: Callable[[str], str] = getpass.getpass,
) -> str:
    """Sign in (phone → code → 2FA password when enabled) and store the session; returns who we are."""
    if not app.secrets.configured:  # fail before Telegram sends a code we could not store
        raise CryptoError("security.secrets.session_needs_keys")
    client = factory(app.settings, "")
    try:
        await client.start(
            # the prompts speak the operator's language (the CLI's, TGASSIST_LANGUAGE)
            phone=lambda: phone or ask(t("channels.login.ask_phone") + " "),
            code_callback=lambda: ask(t("channels.login.ask_code") + " "),
            password=lambda: ask_secret(t("channels.login.ask_password") + " "),
        )
        me = await client.get_me()
        await save_session(app, client.session.save(), phone or getattr(me, "phone", None))
    except SourceError:
        raise
    except Exception as err:
        raise LoginError("channels.login.failed", error=str(err)[:300]) from err
    finally:
        await client.disconnect()
    return str(
        getattr(me, "username", None) or getattr(me, "first_name", None) or getattr(me, "id", "?")
    )

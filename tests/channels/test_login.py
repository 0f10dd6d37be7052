"""Telethon sign-in and the encrypted session store."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from tgassist.app import App
from tgassist.channels.login import interactive_login, load_session, open_client
from tgassist.channels.models import TelegramSession
from tgassist.channels.sources.base import SourceError
from tgassist.core.crypto import SecretBox
from tgassist.core.errors import CryptoError
from tgassist.core.i18n import t


class FakeSession:
    def __init__(self, value: str) -> None:
        self.value = value

    def save(self) -> str:
        return self.value


class FakeMe:
    id, username, first_name, phone = 5, "reader", "Reader", "79990000000"


class FakeLoginClient:
    """Telethon's sign-in surface: `start` asks phone → code → 2FA password through callbacks."""

    def __init__(self, session: str, authorized: bool = True) -> None:
        self.session = FakeSession(session or "1BVtsOK-string-session")
        self.authorized = authorized
        self.answers: list[str] = []

    async def start(self, phone: Any, code_callback: Any, password: Any) -> None:
        self.answers = [phone(), code_callback(), password()]

    async def get_me(self) -> FakeMe:
        return FakeMe()

    async def connect(self) -> None:
        return None

    async def is_user_authorized(self) -> bool:
        return self.authorized

    async def disconnect(self) -> None:
        return None


async def test_login_stores_session_encrypted_and_client_opens(app: App) -> None:
    app.settings.secret_keys = SecretStr(SecretBox.generate_key())
    clients: list[FakeLoginClient] = []
    asked: list[str] = []

    def factory(settings: Any, session: str) -> FakeLoginClient:
        clients.append(FakeLoginClient(session))
        return clients[-1]

    who = await interactive_login(
        app,
        None,
        factory,
        ask=lambda q: asked.append(q) or ("+79990000000" if len(asked) == 1 else "12345"),
        ask_secret=lambda q: asked.append(q) or "2fa-pass",
    )
    # the prompts speak the operator's language (the suite's is Russian)
    assert asked == [
        t(f"channels.login.{key}", "ru") + " " for key in ("ask_phone", "ask_code", "ask_password")
    ]
    assert who == "reader"
    assert clients[0].answers == ["+79990000000", "12345", "2fa-pass"]
    async with app.db.session() as s:
        stored = await s.scalar(select(TelegramSession.session_enc))
    assert stored and "1BVtsOK" not in stored  # encrypted at rest
    assert await load_session(app) == "1BVtsOK-string-session"
    client = await open_client(app, factory)
    assert isinstance(client, FakeLoginClient)

    def expired(settings: Any, session: str) -> FakeLoginClient:
        return FakeLoginClient(session, authorized=False)

    with pytest.raises(SourceError, match="run `tgassist channels login` again") as err:
        await open_client(app, expired)
    assert err.value.render("ru").startswith("Сохранённая сессия Telegram больше не действует")


async def test_login_needs_secret_keys_and_open_needs_a_session(app: App) -> None:
    with pytest.raises(CryptoError, match="tgassist secret-key"):
        await interactive_login(app, "+7999", lambda s, x: FakeLoginClient(x))
    with pytest.raises(SourceError, match="run `tgassist channels login` once"):
        await open_client(app, lambda s, x: FakeLoginClient(x))

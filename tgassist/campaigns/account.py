"""A user's campaign settings: their own Wordstat credentials (encrypted), the Google e-mail the
Sheets export is shared with, and the default region and budget the wizard offers.

Credentials are checked with Wordstat itself before they are stored (a token Yandex rejects is
never saved) and encrypted with TGASSIST_SECRET_KEYS; nothing here ever returns them.
Region and budget use the brief's own field rules, so a default is always a valid answer.

Defaults live in `users.counters["preferences"]` (the users table has no preferences column yet).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog

from tgassist.campaigns.exceptions import WordstatAuthError, WordstatError
from tgassist.campaigns.sources.wordstat import WordstatConfig
from tgassist.campaigns.sources.wordstat_v1 import LegacyWordstat
from tgassist.campaigns.sources.wordstat_v2 import SearchApiWordstat
from tgassist.campaigns.wizard import check_step
from tgassist.core.errors import CryptoError, LocalizedError
from tgassist.core.models import User

if TYPE_CHECKING:
    from tgassist.app import App

__all__ = [
    "AccountView",
    "SECRETS",
    "clear_setting",
    "get_account",
    "save_search_api_key",
    "save_wordstat_token",
    "set_default_budget",
    "set_default_region",
    "set_google_email",
]

log = structlog.get_logger(__name__)

SECRETS = ("wordstat_token", "search_api_key")
MAX_SECRET = 512
PROBE_PHRASE = "купить"  # one cheap request proves the credentials
PROBE_REGIONS = [225]
_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_TOKEN = re.compile(r"^[A-Za-z0-9._~+/=-]+$")


@dataclass(frozen=True)
class AccountView:
    has_wordstat_token: bool
    has_search_api_key: bool
    google_email: str | None
    region_names: tuple[str, ...]
    region_ids: tuple[int, ...]
    budget: float | None


def _prefs(user: User) -> dict[str, Any]:
    return dict((user.counters or {}).get("preferences") or {})


def _view(user: User) -> AccountView:
    prefs = _prefs(user)
    region = prefs.get("region") or {}
    return AccountView(
        has_wordstat_token=bool(user.wordstat_token_enc),
        has_search_api_key=bool(user.yandex_token_enc),
        google_email=user.google_email,
        region_names=tuple(region.get("names") or ()),
        region_ids=tuple(region.get("ids") or ()),
        budget=prefs.get("budget"),
    )


async def _load(app: App, user_id: int, session: Any) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise LocalizedError("core.user.not_found", ref=user_id)
    return user


async def get_account(app: App, user_id: int) -> AccountView:
    async with app.db.session() as s:
        return _view(await _load(app, user_id, s))


def _clean_secret(value: str) -> str:
    value = value.strip()
    if not value or len(value) > MAX_SECRET or not _TOKEN.match(value):
        raise LocalizedError("account.secret.malformed", limit=MAX_SECRET)
    return value


def _encrypt(app: App, value: str) -> str:
    try:
        return app.secrets.encrypt(value)
    except CryptoError as err:
        raise LocalizedError("account.secret.no_keys") from err


async def _probe(client: LegacyWordstat | SearchApiWordstat) -> None:
    """One real Wordstat request (not cached: the cache would hide a bad token)."""
    try:
        await client._fetch(PROBE_PHRASE, PROBE_REGIONS)
    except WordstatAuthError as err:
        raise LocalizedError("account.wordstat.rejected") from err
    except WordstatError as err:
        log.info("wordstat probe failed", error=str(err)[:200])
        raise LocalizedError("account.wordstat.unreachable") from err


def _config(app: App, base_url: str, token: str, folder_id: str | None = None) -> WordstatConfig:
    s = app.settings
    return WordstatConfig(
        base_url,
        token,
        folder_id,
        rate_per_sec=s.wordstat_rate_per_sec,
        daily_quota=s.wordstat_daily_quota,
        retries=1,
        backoff_sec=min(s.wordstat_backoff_sec, 1.0),
    )


async def save_wordstat_token(app: App, user_id: int, token: str) -> AccountView:
    """Check the OAuth token against Wordstat (API v1), then store it encrypted."""
    token = _clean_secret(token)
    client = LegacyWordstat(_config(app, app.settings.wordstat_v1_url, token), app.redis, app.http)
    await _probe(client)
    enc = _encrypt(app, token)
    async with app.db.session() as s:
        user = await _load(app, user_id, s)
        user.wordstat_token_enc = enc
        await s.flush()
        return _view(user)


async def save_search_api_key(app: App, user_id: int, text: str) -> AccountView:
    """`<API key> [<folder id>]` (the folder defaults to TGASSIST_WORDSTAT_FOLDER_ID): checked
    against the Search API's Wordstat (v2), then stored encrypted."""
    parts = text.split()
    if not parts or len(parts) > 2:
        raise LocalizedError("account.search_key.format")
    key = _clean_secret(parts[0])
    folder = parts[1] if len(parts) == 2 else app.settings.wordstat_folder_id
    if not folder:
        raise LocalizedError("account.search_key.folder_missing")
    folder = _clean_secret(folder)
    config = _config(app, app.settings.wordstat_v2_url, key, folder)
    await _probe(SearchApiWordstat(config, app.redis, app.http))
    enc = _encrypt(app, json.dumps({"api_key": key, "folder_id": folder}))
    async with app.db.session() as s:
        user = await _load(app, user_id, s)
        user.yandex_token_enc = enc
        await s.flush()
        return _view(user)


async def set_google_email(app: App, user_id: int, email: str) -> AccountView:
    email = email.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise LocalizedError("account.email.invalid", value=email[:60])
    async with app.db.session() as s:
        user = await _load(app, user_id, s)
        user.google_email = email
        await s.flush()
        return _view(user)


async def _set_pref(app: App, user_id: int, name: str, value: Any) -> AccountView:
    async with app.db.session() as s:
        user = await _load(app, user_id, s)
        prefs = _prefs(user)
        if value is None:
            prefs.pop(name, None)
        else:
            prefs[name] = value
        user.counters = {**(user.counters or {}), "preferences": prefs}
        await s.flush()
        return _view(user)


async def set_default_region(app: App, user_id: int, text: str) -> AccountView:
    """A region name or geo id (several separated by commas), by the brief's rules."""
    region = check_step("region", text)
    return await _set_pref(app, user_id, "region", region)


async def set_default_budget(app: App, user_id: int, text: str) -> AccountView:
    budget = check_step("budget", text.replace(" ", "").replace(",", "."))
    return await _set_pref(app, user_id, "budget", budget)


async def clear_setting(app: App, user_id: int, name: str) -> AccountView:
    """Forget one setting: wordstat_token, search_api_key, email, region or budget."""
    if name in ("region", "budget"):
        return await _set_pref(app, user_id, name, None)
    column = {
        "wordstat_token": "wordstat_token_enc",
        "search_api_key": "yandex_token_enc",
        "email": "google_email",
    }.get(name)
    if column is None:
        raise LocalizedError("account.setting.unknown", name=name[:40])
    async with app.db.session() as s:
        user = await _load(app, user_id, s)
        setattr(user, column, None)
        await s.flush()
        return _view(user)

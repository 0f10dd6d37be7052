"""Request dependencies: the App container and admin token auth.

Admin routes take `Authorization: Bearer TGASSIST_ADMIN_TOKEN`. Pages a browser opens (`/docs`,
`/redoc`, `/openapi.json`, `/health/details` for the dashboard) also accept the session cookie
that `POST /admin/session` sets after checking the bearer token: an HttpOnly, SameSite=Strict
cookie holding an HMAC of the token (never the token), accepted for reading only, so it cannot
be used to change anything from another site.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tgassist.api.errors import http_error
from tgassist.core.errors import LocalizedError
from tgassist.core.i18n import LANGUAGES, default_language, normalize_language
from tgassist.core.settings import ADMIN_TOKEN_MIN_CHARS

if TYPE_CHECKING:
    from tgassist.app import App

_bearer = HTTPBearer(auto_error=False)
SESSION_COOKIE = "tgassist_admin"
LANG_COOKIE = "tgassist_lang"


def get_app(request: Request) -> App:
    return request.app.state.tgassist  # type: ignore[no-any-return]


def request_language(request: Request) -> str:
    """The requester's language: `?lang=`, then the dashboard's language cookie, then the first
    Accept-Language we speak, then TGASSIST_LANGUAGE."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip()
        lang = normalize_language(code, "-")  # "-": a language we do not speak
        if code and lang in LANGUAGES:
            return lang
    return default_language()


def _token(request: Request) -> str:
    """The configured admin token; 403 when there is none (or one too weak to trust)."""
    secret = get_app(request).settings.admin_token
    token = secret.get_secret_value() if secret is not None else ""
    if len(token) < ADMIN_TOKEN_MIN_CHARS:  # settings refuse these at start; never trust one here
        raise http_error(
            status.HTTP_403_FORBIDDEN,
            LocalizedError("security.api.disabled", min=ADMIN_TOKEN_MIN_CHARS),
            request_language(request),
        )
    return token


def session_value(token: str) -> str:
    """What the session cookie holds: an HMAC of the token, useless anywhere else."""
    return hmac.new(token.encode(), b"tgassist-admin-session-v1", hashlib.sha256).hexdigest()


def _unauthorized(request: Request) -> HTTPException:
    err = http_error(
        status.HTTP_401_UNAUTHORIZED,
        LocalizedError("security.api.bad_token"),
        request_language(request),
    )
    err.headers = {"WWW-Authenticate": "Bearer"}
    return err


def require_admin(
    request: Request, creds: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> None:
    """Bearer TGASSIST_ADMIN_TOKEN, compared in constant time; no token configured = refuse."""
    token = _token(request)
    given = creds.credentials if creds else ""
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise _unauthorized(request)


def require_admin_read(
    request: Request, creds: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> None:
    """For pages a browser opens: the bearer token, or the admin session cookie (GET only)."""
    token = _token(request)
    if creds is not None:
        if hmac.compare_digest(creds.credentials.encode(), token.encode()):
            return
        raise _unauthorized(request)
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if request.method in ("GET", "HEAD") and hmac.compare_digest(
        cookie.encode(), session_value(token).encode()
    ):
        return
    from tgassist.api.dashboard.session import signed_in  # the dashboard's sign-in opens these too

    if request.method in ("GET", "HEAD") and signed_in(request):
        return
    raise _unauthorized(request)

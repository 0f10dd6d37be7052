"""Dashboard sign-in: the admin bearer token, or a signed session cookie set by the login form.

The cookie holds an expiry and an HMAC of it keyed by TGASSIST_ADMIN_TOKEN (changing the token
signs everyone out); forms that change something carry a CSRF token derived from the cookie.
Without TGASSIST_ADMIN_TOKEN the dashboard stays closed.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from fastapi import HTTPException, Request, status

from tgassist.api.deps import get_app, request_language
from tgassist.api.errors import http_error
from tgassist.core.errors import LocalizedError

COOKIE = "tgassist_session"
SESSION_SEC = 12 * 3600
LOGIN_PATH = "/dashboard/login"


def _token(request: Request) -> bytes | None:
    secret = get_app(request).settings.admin_token
    return secret.get_secret_value().encode() if secret is not None else None


def _sign(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def new_session(request: Request, now: float | None = None) -> str:
    key = _token(request)
    assert key is not None
    expiry = str(int((now or time.time()) + SESSION_SEC))
    return f"{expiry}.{_sign(key, 'session:' + expiry)}"


def token_matches(request: Request, given: str) -> bool:
    key = _token(request)
    return key is not None and hmac.compare_digest(given.encode(), key)


def _session_ok(request: Request) -> bool:
    key = _token(request)
    raw = request.cookies.get(COOKIE, "")
    expiry, _, mac = raw.partition(".")
    if key is None or not expiry.isdigit() or int(expiry) < time.time():
        return False
    return hmac.compare_digest(mac, _sign(key, "session:" + expiry))


def signed_in(request: Request) -> bool:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return token_matches(request, header[7:].strip())
    return _session_ok(request)


def require_dashboard(request: Request) -> None:
    """A page dependency: signed-in operators pass, everyone else goes to the login form."""
    if not signed_in(request):
        raise HTTPException(status.HTTP_303_SEE_OTHER, headers={"Location": LOGIN_PATH})


def csrf_token(request: Request) -> str:
    key = _token(request) or b""
    return _sign(key, "csrf:" + request.cookies.get(COOKIE, "bearer"))


def check_csrf(request: Request, given: str) -> None:
    if request.headers.get("authorization"):  # API clients with the bearer token
        return
    if not hmac.compare_digest(given, csrf_token(request)):
        raise http_error(
            status.HTTP_403_FORBIDDEN, LocalizedError("ops.errors.form_expired"), language(request)
        )


def language(request: Request) -> str:
    """?lang=, then the language cookie, then the browser's Accept-Language, then the default."""
    return request_language(request)

"""Request dependencies: the App container and admin token auth."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

if TYPE_CHECKING:
    from tgassist.app import App

_bearer = HTTPBearer(auto_error=False)


def get_app(request: Request) -> App:
    return request.app.state.tgassist  # type: ignore[no-any-return]


def require_admin(
    request: Request, creds: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> None:
    """Bearer TGASSIST_ADMIN_TOKEN, compared in constant time; no token configured = refuse."""
    token = get_app(request).settings.admin_token
    if token is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "admin API disabled: set TGASSIST_ADMIN_TOKEN"
        )
    given = creds.credentials if creds else ""
    if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "invalid admin token",
            headers={"WWW-Authenticate": "Bearer"},
        )

"""Project errors as HTTP answers: the text in the requester's language (`?lang=`, then
Accept-Language, then TGASSIST_LANGUAGE) plus the key and parameters, so a client can render its own."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException

from tgassist.core.errors import LocalizedError, TgassistError
from tgassist.core.i18n import storable_params


def detail(err: TgassistError, lang: str | None = None) -> dict[str, Any]:
    if isinstance(err, LocalizedError):
        return {
            "message": err.render(lang),
            "key": err.key,
            "params": {k: _plain(v) for k, v in storable_params(err.params).items()},
        }
    return {"message": str(err)}


def http_error(code: int, err: TgassistError, lang: str | None = None) -> HTTPException:
    return HTTPException(code, detail(err, lang))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):  # a nested message: {"key", "params"}
        return {k: _plain(v) for k, v in value.items()}
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)

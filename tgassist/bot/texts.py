"""Rendering message keys for Telegram: the bot sends HTML, so parameters are escaped here
(a user's "<b>" in a campaign name must show as typed, not break the message)."""

from __future__ import annotations

import html
from typing import Any

from tgassist.core.errors import LocalizedError
from tgassist.core.i18n import t

__all__ = ["MAX_TEXT", "clip", "esc", "render_error", "tr"]

MAX_TEXT = 4096


def esc(value: object) -> str:
    return html.escape(str(value), quote=False)


def _safe(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value  # keeps format specs such as {n:,} working
    return esc(value)


def tr(lang: str, key: str, /, **params: Any) -> str:
    """`key` in `lang` with every parameter HTML-escaped (catalogue texts may hold HTML)."""
    return t(key, lang, **{k: _safe(v) for k, v in params.items()})


def render_error(lang: str, err: LocalizedError) -> str:
    """A service's error in the user's language, escaped for HTML."""
    return esc(err.render(lang))


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """Telegram refuses texts over 4,096 characters; cut long ones with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"

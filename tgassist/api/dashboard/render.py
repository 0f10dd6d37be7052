"""Jinja2 templates of the dashboard, rendered with the operator's language."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from tgassist.api.dashboard.session import csrf_token, language
from tgassist.api.deps import LANG_COOKIE
from tgassist.core.i18n import LANGUAGES, render_stored, t

WEB = Path(__file__).resolve().parent.parent / "web"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(WEB / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["mib"] = lambda n: f"{(n or 0) / 1_048_576:.1f}"
    return env


def _when(value: datetime | str | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")
        except ValueError:
            return value
    return value.strftime("%Y-%m-%d %H:%M UTC")


def render(request: Request, template: str, *, page: str, **context: Any) -> HTMLResponse:
    lang = language(request)

    def tr(key: str, **params: Any) -> str:
        return t(key, lang, **params)

    html = (
        environment()
        .get_template(template)
        .render(
            t=tr,
            note=lambda value: render_stored(value, lang),
            lang=lang,
            languages=LANGUAGES,
            page=page,
            csrf=csrf_token(request),
            **context,
        )
    )
    response = HTMLResponse(html)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict")
    return response

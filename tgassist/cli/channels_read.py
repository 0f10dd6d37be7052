"""`tgassist channels search|ask|trends|digest …`: the reader commands (JSON contracts with --json)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import typer
from rich.table import Table

from tgassist.channels import service
from tgassist.channels.exceptions import ReadError
from tgassist.cli.channels import channels_app
from tgassist.cli.common import console, fail, load_settings, run, say, with_app


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | set):
        return list(value)
    raise TypeError(type(value).__name__)


def _call(fn: Any) -> Any:
    """Run a reader call; its ReadError becomes one red line (TGASSIST_LANGUAGE) and exit code 1."""
    settings = load_settings()
    try:
        return run(lambda: with_app(fn, settings))
    except ReadError as err:  # pragma: no cover - `run` already turns it into a line
        fail(err.render())


CHANNEL_OPT = typer.Option([], "--channel", help=say("cli.help.channels.channel"))
JSON_LIST_OPT = typer.Option(False, "--json", help=say("cli.help.channels.json_list"))


@channels_app.command("search", help=say("cli.help.channels.search"))
def search_cmd(
    query: str = typer.Argument(..., help=say("cli.help.channels.search.query")),
    channel: list[str] = CHANNEL_OPT,
    since: str = typer.Option(None, "--since", help=say("cli.help.channels.search.since")),
    until: str = typer.Option(None, "--until", help=say("cli.help.channels.search.until")),
    limit: int = typer.Option(10, "--limit", help=say("cli.help.channels.search.limit")),
    as_json: bool = JSON_LIST_OPT,
) -> None:
    result = _call(
        lambda app: service.search_posts(
            app, query, channels=channel, since=since, until=until, limit=limit
        )
    )
    if as_json:
        _print_json(
            [
                {
                    "post_id": h.post_id,
                    "channel": h.channel,
                    "channel_title": h.channel_title,
                    "message_id": h.message_id,
                    "date": h.date,
                    "score": h.score,
                    "snippet": h.snippet,
                    "url": h.url,
                    "source": h.source_label,
                    "matched_in": h.matched_in,
                    "album_id": h.album_id,
                    "duplicates": h.duplicates,
                }
                for h in result.hits
            ]
        )
        return
    if result.lexical_only:
        console.print(f"[yellow]{say('search.lexical_only')}[/]")
    if not result.hits:
        console.print(say("search.no_results", query=query))
        return
    title = say("search.cli.title", shown=len(result.hits), total=result.total, ms=result.took_ms)
    t = Table(title=title)
    for col in ("post", "channel", "date", "score", "snippet", "link"):
        t.add_column(say(f"search.cli.col.{col}"), overflow="fold")
    for h in result.hits:
        t.add_row(
            str(h.post_id),
            h.channel,
            f"{h.date:%Y-%m-%d %H:%M}",
            f"{h.score:.4f}",
            h.snippet,
            h.url or h.source_label,
        )
    console.print(t)


@channels_app.command("ask", help=say("cli.help.channels.ask"))
def ask_cmd(
    question: str = typer.Argument(..., help=say("cli.help.channels.ask.question")),
    channel: list[str] = CHANNEL_OPT,
    as_json: bool = typer.Option(False, "--json", help=say("cli.help.channels.ask.json")),
) -> None:
    answer = _call(lambda app: service.ask_question(app, question, channels=channel))
    text = answer.text or say(answer.message_key or "search.ask.not_found")
    if as_json:
        _print_json(
            {
                "answer": text,
                "found": answer.found,
                "mode": answer.mode,
                "confidence": answer.confidence,
                "sources": [
                    {
                        "n": s.n,
                        "post_id": s.post_id,
                        "channel": s.channel,
                        "message_id": s.message_id,
                        "url": s.url,
                        "quote": s.quote,
                        "source": s.source_label,
                    }
                    for s in answer.sources
                ],
            }
        )
        return
    console.print(text, highlight=False)
    if answer.found and answer.message_key:
        console.print(f"[dim]{say(answer.message_key)}[/]")
    for s in answer.sources:
        console.print(f"  [{s.n}] {s.url or s.source_label}", highlight=False)


@channels_app.command("trends", help=say("cli.help.channels.trends"))
def trends_cmd(
    window_hours: int = typer.Option(
        24, "--window-hours", help=say("cli.help.channels.trends.window_hours")
    ),
    baseline_days: int = typer.Option(
        7, "--baseline-days", help=say("cli.help.channels.trends.baseline_days")
    ),
    until: str = typer.Option(None, "--until", help=say("cli.help.channels.trends.until")),
    as_json: bool = JSON_LIST_OPT,
) -> None:
    found = _call(
        lambda app: service.trends(
            app, until=until, window_hours=window_hours, baseline_days=baseline_days
        )
    )
    if as_json:
        _print_json(
            [
                {
                    "label": t.label,
                    "terms": t.terms,
                    "score": t.score,
                    "channels": t.channels,
                    "post_ids": t.post_ids,
                    "window_count": t.window_count,
                    "baseline_mean": t.baseline_mean,
                    "daily_counts": dict(zip(t.days, t.daily_counts, strict=True)),
                }
                for t in found
            ]
        )
        return
    if not found:
        console.print(say("search.trends.none"))
        return
    t = Table(title=say("search.cli.trends_title"))
    for col in ("label", "score", "posts", "baseline", "channels"):
        t.add_column(say(f"search.cli.col.{col}"), overflow="fold")
    for tr in found:
        t.add_row(
            tr.label,
            f"{tr.score:.2f}",
            str(tr.window_count),
            f"{tr.baseline_mean:.2f}",
            str(len(tr.channels)),
        )
    console.print(t)


@channels_app.command("digest", help=say("cli.help.channels.digest"))
def digest_cmd(
    user: int = typer.Option(..., "--user", help=say("cli.help.channels.digest.user")),
    until: str = typer.Option(None, "--until", help=say("cli.help.channels.digest.until")),
    as_json: bool = JSON_LIST_OPT,
) -> None:
    items = _call(lambda app: service.digest_preview(app, user, until=until))
    if as_json:
        _print_json(
            [
                {
                    "post_id": i.post_id,
                    "channel": i.channel,
                    "message_id": i.message_id,
                    "url": i.url,
                    "summary": i.summary,
                    "score": i.score,
                    "date": i.date,
                }
                for i in items
            ]
        )
        return
    if not items:
        console.print(say("search.digest.empty"))
        return
    for n, i in enumerate(items, 1):
        console.print(f"{n}. {i.summary}\n   {i.url or i.source_label}", highlight=False)

"""`tgassist events …`: ingest, backfill, list, sources, reminders. Logic lives in tgassist.events."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from tgassist.cli.common import console, fail, load_settings, run, say, with_app
from tgassist.core.i18n import render_stored

events_app = typer.Typer(help=say("cli.help.events"), no_args_is_help=True)


INGEST_COLUMNS = (
    "source",
    "status",
    "fetched",
    "saved",
    "updated",
    "skipped",
    "cancelled",
    "invalid",
    "missing_en",
    "errors",
)
SOURCE_COLUMNS = (
    "source",
    "region",
    "configured",
    "enabled",
    "last_run",
    "status",
    "saved",
    "updated",
    "errors",
)


def register(root: typer.Typer) -> None:
    """Add this product's command group to the root app."""
    root.add_typer(events_app, name="events")


@events_app.command("ingest", help=say("cli.help.events.ingest"))
def ingest_cmd(
    source: list[str] = typer.Option(
        None, "--source", "-s", help=say("cli.help.events.ingest.source")
    ),
) -> None:
    from tgassist.events.service import ingest

    settings = load_settings()
    names = [n.strip() for s in source or [] for n in s.split(",") if n.strip()] or None
    report = run(lambda: with_app(lambda app: ingest(app, names, trigger="cli"), settings))
    t = Table(title=say("events.cli.ingest_title", run=report.run_id, status=report.status))
    for col in INGEST_COLUMNS:
        t.add_column(say(f"events.cli.col.{col}"))
    for name, st in report.sources.items():
        t.add_row(
            name,
            st.status,
            *(
                str(v)
                for v in (
                    st.fetched,
                    st.saved,
                    st.updated,
                    st.skipped,
                    st.cancelled,
                    st.invalid,
                    st.missing_translations,
                )
            ),
            "; ".join(render_stored(e)[:160] for e in st.errors[:3]),
        )
    console.print(t)
    tr = report.translation
    console.print(
        say(
            "events.cli.translation",
            requested=tr.requested,
            translated=tr.translated,
            missing=tr.missing,
            calls=tr.calls,
            cached=tr.cached,
            archived=report.archived,
        ),
        highlight=False,
    )
    for err in tr.errors[:3]:
        console.print(
            f"[yellow]{say('events.cli.translation_error', error=err)}[/]", highlight=False
        )
    if report.status == "failed":
        raise typer.Exit(1)


@events_app.command("backfill", help=say("cli.help.events.backfill"))
def backfill_cmd() -> None:
    from tgassist.events.service import backfill

    settings = load_settings()
    report = run(lambda: with_app(backfill, settings))
    console.print(
        say(
            "events.cli.backfill",
            found=report.found,
            translated=report.translated,
            missing=report.missing,
            calls=report.calls,
            batches=report.batches,
        ),
        highlight=False,
    )


@events_app.command("list", help=say("cli.help.events.list"))
def list_cmd(
    city: str = typer.Option(..., help=say("cli.help.events.list.city")),
    date: str = typer.Option("today", help=say("cli.help.events.list.date")),
    lang: str = typer.Option("ru", help=say("cli.help.events.list.lang")),
    limit: int = typer.Option(50, min=1, max=500, help=say("cli.help.events.list.limit")),
) -> None:
    from tgassist.events.service import events_by_city

    settings = load_settings()
    cards = run(
        lambda: with_app(
            lambda app: events_by_city(app, city, date, lang=lang, limit=limit), settings
        )
    )
    if not cards:
        console.print(say("events.cli.no_events", city=city, date=date))
        return
    t = Table(title=say("events.cli.list_title", city=city, date=date, count=len(cards)))
    for col in ("id", "starts", "title", "place", "sources"):
        t.add_column(say(f"events.cli.col.{col}"), overflow="fold")
    for c in cards:
        when = c.local_start.strftime("%Y-%m-%d" if c.all_day else "%Y-%m-%d %H:%M")
        t.add_row(
            str(c.id),
            when,
            c.title,
            c.location_name or "",
            ", ".join(s["source"] for s in c.sources),
        )
    console.print(t)


@events_app.command("sources", help=say("cli.help.events.sources"))
def sources_cmd() -> None:
    from tgassist.events.service import list_sources

    settings = load_settings()
    rows: list[dict[str, Any]] = run(lambda: with_app(list_sources, settings))
    t = Table(title=say("events.cli.sources_title"))
    for col in SOURCE_COLUMNS:
        t.add_column(say(f"events.cli.col.{col}"), overflow="fold")
    yes, no = say("events.cli.yes"), say("events.cli.no")
    for r in rows:
        st = r["last_stats"]
        t.add_row(
            r["name"],
            r["region"],
            yes if r["configured"] else no,
            yes if r["enabled"] else no,
            (r["last_run_at"] or "-")[:16],
            r["last_status"] or "-",
            str(st.get("saved", "-")),
            str(st.get("updated", "-")),
            "; ".join(render_stored(e)[:120] for e in st.get("errors", [])[:2]),
        )
    console.print(t)


@events_app.command("reminders", help=say("cli.help.events.reminders"))
def reminders_cmd(
    due: bool = typer.Option(False, "--due", help=say("cli.help.events.reminders.due")),
) -> None:
    from tgassist.events.service import pending_reminders, run_due_reminders

    settings = load_settings()

    async def go(app: Any) -> Any:
        if not due:
            return await pending_reminders(app)
        return await run_due_reminders(app, log_only=True)

    result = run(lambda: with_app(go, settings))
    if not due:
        t = Table(title=say("events.cli.reminders_title"))
        for col in ("user", "event", "kind", "due"):
            t.add_column(say(f"events.cli.col.{col}"))
        for r in result:
            t.add_row(str(r["user_id"]), str(r["event_id"]), r["kind"], r["due_at"])
        console.print(t if result else say("events.cli.no_reminders"))
        return
    for n in result.notifications:
        who = say("events.cli.reminder_user", user=n.user_id)
        console.print(f"[bold]{who}[/] ({n.kind}): {n.text}", highlight=False)
    console.print(
        say(
            "events.cli.reminders_run",
            produced=result.produced,
            sent=result.sent,
            failed=result.failed,
        )
    )
    if result.failed:
        fail(say("events.cli.reminders_failed", count=result.failed))

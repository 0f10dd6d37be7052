"""`tgassist campaign …`: build a Direct campaign from a brief (with a live progress bar), list, show,
export, repeat, cancel, delete, import a Direct file. Commands call `tgassist.campaigns.service`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from tgassist.cli.common import (
    confirm,
    console,
    err_console,
    error_text,
    fail,
    load_settings,
    run,
    say,
    watch_task,
    with_app,
)
from tgassist.core.errors import TgassistError

if TYPE_CHECKING:
    from tgassist.app import App

campaign_app = typer.Typer(help=say("cli.help.campaign"), no_args_is_help=True)
USER_OPT = typer.Option(0, "--user", help=say("cli.help.campaign.user"))
CAMPAIGN_ID = typer.Argument(..., help=say("cli.help.campaign.id"))
WAIT_OPT = typer.Option(True, help=say("cli.help.campaign.wait"))


def register(root: typer.Typer) -> None:
    """Add this product's command group to the root app."""
    root.add_typer(campaign_app, name="campaign")


async def owner(app: App, telegram_id: int) -> int:
    """The internal user id of the `--user` Telegram id (0 = the local CLI user)."""
    from tgassist.core.users import ensure_user

    return (await ensure_user(app.db, telegram_id=telegram_id)).id


async def follow_build(app: App, task_id: str, *, show: bool = True, poll: float = 0.2) -> Any:
    """Run a worker for campaign builds in this process and watch the task until it ends."""
    from tgassist.campaigns import service

    async with service.local_build_worker(app):
        return await watch_task(app, task_id, show=show, poll=poll)


def _summary(view: Any, task: Any) -> None:
    camp = view.campaign
    report = camp.report or {}
    gen = report.get("generate", {})
    cl = report.get("cluster", {})
    t = Table(title=say("campaigns.cli.title", id=camp.id, name=camp.name), show_header=False)
    t.add_column("", style="bold")
    t.add_column("")
    t.add_row(say("campaigns.cli.status"), camp.status)
    t.add_row(say("campaigns.cli.keywords"), str(camp.keywords))
    silhouette = cl.get("silhouette")
    t.add_row(
        say("campaigns.cli.groups"),
        say("campaigns.cli.groups_silhouette", groups=camp.groups, silhouette=silhouette)
        if silhouette is not None
        else str(camp.groups),
    )
    t.add_row(say("campaigns.cli.ads"), str(camp.ads))
    if gen:
        t.add_row(say("campaigns.cli.compliance"), f"{gen.get('compliance', 0) * 100:.0f} %")
        t.add_row(
            say("campaigns.cli.keyword_in_title"), f"{gen.get('keyword_in_title', 0) * 100:.0f} %"
        )
        t.add_row(say("campaigns.cli.duplicates"), f"{gen.get('duplicates', 0) * 100:.0f} %")
    if task is not None and task.status != "done":
        shown = task.message.render() if task.message else (task.error or "")
        t.add_row(say("campaigns.cli.message"), shown)
        if task.error and task.error not in shown:  # the operator's detail (an exception)
            t.add_row(say("campaigns.cli.detail"), task.error)
    console.print(t)
    for warning in report.get("export", {}).get("warnings", []):
        console.print(say("campaigns.cli.warning", text=warning), soft_wrap=True, highlight=False)
    for violation in gen.get("violations", [])[:5] if gen.get("compliance", 1) < 1 else []:
        console.print(
            say("campaigns.cli.violation", text=violation), soft_wrap=True, highlight=False
        )
    from tgassist.campaigns.service import summary_lines

    for line in summary_lines(report):  # what was left out and why: nothing dropped in silence
        console.print(f"[yellow]•[/] {line}", soft_wrap=True, highlight=False)
    # Paths go outside the table: a narrow terminal would cut them to «…» and the user could not copy them.
    files = [("XLSX", camp.file), ("CSV", report.get("export", {}).get("csv"))]
    for label, path in files:
        if path:
            console.print(f"{label}: {path}", soft_wrap=True, highlight=False)


@campaign_app.command("new", help=say("cli.help.campaign.new"))
def new(
    brief: Path = typer.Option(None, "--brief", help=say("cli.help.campaign.new.brief")),
    name: str = typer.Option(None, help=say("cli.help.campaign.new.name")),
    product: str = typer.Option(None, help=say("cli.help.campaign.new.product")),
    phrase: list[str] = typer.Option(None, "--phrase", help=say("cli.help.campaign.new.phrase")),
    region: list[str] = typer.Option(None, "--region", help=say("cli.help.campaign.new.region")),
    url: str = typer.Option(None, help=say("cli.help.campaign.new.url")),
    budget: float = typer.Option(None, help=say("cli.help.campaign.new.budget")),
    keywords_file: Path = typer.Option(None, help=say("cli.help.campaign.new.keywords_file")),
    user: int = USER_OPT,
    wait: bool = WAIT_OPT,
) -> None:
    from tgassist.campaigns import service
    from tgassist.campaigns.service import load_brief_file

    settings = load_settings()
    try:
        data: dict[str, Any] = load_brief_file(brief) if brief else {}
    except TgassistError as err:  # a missing or broken brief file: one red line, no traceback
        fail(error_text(err))
    for key, value in (
        ("name", name),
        ("product", product),
        ("base_phrases", phrase),
        ("region", region),
        ("url", url),
        ("budget", budget),
        ("keywords_file", str(keywords_file) if keywords_file else None),
    ):
        if (
            value is not None and value != [] and value != ()
        ):  # «--budget 0» must reach the validator
            data[key] = value

    async def go(app: App) -> tuple[Any, Any, Any]:
        uid = await owner(app, user)
        started = await service.create_campaign(app, uid, data)
        if started.resumed:
            console.print(f"[yellow]{say('campaigns.build.resumed', id=started.campaign_id)}[/]")
        task = (
            await follow_build(app, started.task_id)
            if wait
            else await service.get_task(app, started.task_id)
        )
        return started, task, await service.show_campaign(app, uid, started.campaign_id)

    started, task, view = run(lambda: with_app(go, settings))
    _summary(view, task)
    if wait and task is not None and task.status != "done":
        raise typer.Exit(1)


@campaign_app.command("list", help=say("cli.help.campaign.list"))
def list_(
    user: int = USER_OPT,
    all_: bool = typer.Option(False, "--all", help=say("cli.help.campaign.list.all")),
) -> None:
    from tgassist.campaigns import service

    settings = load_settings()

    async def go(app: App) -> Any:
        return await service.list_campaigns(app, await owner(app, user), all_)

    rows = run(lambda: with_app(go, settings))
    t = Table(title=say("campaigns.cli.list_title"))
    for col in ("id", "name", "status", "keywords", "groups", "ads", "created"):
        t.add_column(say(f"campaigns.cli.col_{col}"))
    for c in rows:
        t.add_row(
            str(c.id),
            c.name,
            c.status,
            str(c.keywords),
            str(c.groups),
            str(c.ads),
            f"{c.created_at:%Y-%m-%d %H:%M}",
        )
    console.print(t if rows else say("campaigns.cli.none"))


@campaign_app.command("show", help=say("cli.help.campaign.show"))
def show(campaign_id: int = CAMPAIGN_ID, user: int = USER_OPT) -> None:
    from tgassist.campaigns import service

    settings = load_settings()

    async def go(app: App) -> Any:
        return await service.show_campaign(app, await owner(app, user), campaign_id)

    view = run(lambda: with_app(go, settings))
    _summary(view, view.task)
    if view.task is not None:
        console.print(
            say(
                "campaigns.cli.task_line",
                task_id=view.task.id,
                status=view.task.status,
                percent=view.task.percent,
                stage=view.task.stage or "-",
                stages=", ".join(view.stages) or "-",
            )
        )


@campaign_app.command("export", help=say("cli.help.campaign.export"))
def export(
    campaign_id: int = CAMPAIGN_ID,
    fmt: str = typer.Option("xlsx", "--format", help=say("cli.help.campaign.export.format")),
    share: str = typer.Option(None, "--share", help=say("cli.help.campaign.export.share")),
    user: int = USER_OPT,
) -> None:
    from tgassist.campaigns import service

    settings = load_settings()

    async def go(app: App) -> Any:
        return await service.export_campaign(app, await owner(app, user), campaign_id, fmt, share)

    res = run(lambda: with_app(go, settings))
    if res.message:
        err_console.print(f"[yellow]{res.message.render()}[/]")
    console.print(res.url or str(res.path))


@campaign_app.command("repeat", help=say("cli.help.campaign.repeat"))
def repeat(campaign_id: int = CAMPAIGN_ID, user: int = USER_OPT, wait: bool = WAIT_OPT) -> None:
    from tgassist.campaigns import service

    settings = load_settings()

    async def go(app: App) -> tuple[Any, Any]:
        uid = await owner(app, user)
        started = await service.repeat_campaign(app, uid, campaign_id)
        task = (
            await follow_build(app, started.task_id)
            if wait
            else await service.get_task(app, started.task_id)
        )
        return task, await service.show_campaign(app, uid, started.campaign_id)

    task, view = run(lambda: with_app(go, settings))
    _summary(view, task)


@campaign_app.command("cancel", help=say("cli.help.campaign.cancel"))
def cancel(campaign_id: int = CAMPAIGN_ID, user: int = USER_OPT) -> None:
    from tgassist.campaigns import service

    settings = load_settings()

    async def go(app: App) -> Any:
        return await service.cancel_campaign(app, await owner(app, user), campaign_id)

    run(lambda: with_app(go, settings))
    console.print(say("campaigns.cancel.requested", id=campaign_id))


@campaign_app.command("delete", help=say("cli.help.campaign.delete"))
def delete(
    campaign_id: int = CAMPAIGN_ID,
    user: int = USER_OPT,
    yes: bool = typer.Option(False, "--yes", help=say("cli.help.campaign.delete.yes")),
) -> None:
    from tgassist.campaigns import service

    if not yes:
        confirm(say("campaigns.cli.confirm_delete", id=campaign_id))
    settings = load_settings()

    async def go(app: App) -> Any:
        return await service.delete_campaign(app, await owner(app, user), campaign_id)

    run(lambda: with_app(go, settings))
    console.print(say("campaigns.cli.deleted", id=campaign_id))


@campaign_app.command("import", help=say("cli.help.campaign.import"))
def import_(
    path: Path = typer.Argument(..., help=say("cli.help.campaign.import.path")),
    user: int = USER_OPT,
) -> None:
    from tgassist.campaigns import service

    settings = load_settings()

    async def go(app: App) -> Any:
        uid = await owner(app, user)
        cid = await service.import_direct(app, uid, path)
        return await service.show_campaign(app, uid, cid)

    view = run(lambda: with_app(go, settings))
    _summary(view, None)

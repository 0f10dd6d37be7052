"""A small app of the same Typer with a parameter of every type Typer knows — the ones no
tgassist command has yet (a choice, a required option, dates, UUIDs, paths that must exist,
files, tuples, ranges of floats …) — so the help's type column and each of Typer's refusals of a
value is seen in both languages. Imported in a fresh process, after `tgassist.cli`."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from pathlib import Path
from typing import Literal

import typer

demo = typer.Typer()


class Color(StrEnum):
    red = "red"
    blue = "blue"


class Opaque:
    """A type pydantic cannot validate: Typer passes it through and refuses a string."""

    def __init__(self, value: str) -> None:
        self.value = value


@demo.command()
def export(name: str = typer.Option(...), kind: Literal["xlsx", "csv"] = "xlsx") -> None:
    pass


@demo.command()
def kinds(
    count: int = typer.Option(0),
    ratio: float = typer.Option(0.5),
    flag: bool = typer.Option(False),
    when: dt.datetime = typer.Option(None),
    day: dt.datetime = typer.Option(None, formats=["%Y-%m-%d"]),
    date: dt.date = typer.Option(None),
    uid: uuid.UUID = typer.Option(None),
    src: Path = typer.Option(None, exists=True),
    folder: Path = typer.Option(None, exists=True, file_okay=False),
    doc: Path = typer.Option(None, exists=True, dir_okay=False),
    text: typer.FileText = typer.Option(None),
    nums: list[int] = typer.Option([]),
    pair: tuple[int, str] = typer.Option(None),
    color: Color = Color.red,
    shade: Color = typer.Option(Color.red, show_choices=False),
    level: int = typer.Option(5, min=1, max=10),
    share: float = typer.Option(0.5, min=0),
    opaque: Opaque = typer.Option(None),
) -> None:
    pass


@demo.command()
def pick(mode: Literal["fast", "slow"] = typer.Option(...)) -> None:
    pass


@demo.command()
def solo(tags: list[str] = typer.Option("solo")) -> None:  # a str for a list: not an iterable
    pass


@demo.command()
def args(on: bool = typer.Argument(...), many: list[int] = typer.Argument(None)) -> None:
    pass

"""`tgassist` commands of the events product."""

from __future__ import annotations

import typer


def register(root: typer.Typer) -> None:
    """Add this product's command group to the root app."""

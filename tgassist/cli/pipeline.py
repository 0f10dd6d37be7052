"""`tgassist pipeline …` commands (channels enrichment pipeline)."""

from __future__ import annotations

import typer


def register(root: typer.Typer) -> None:
    """Add the pipeline command group to the root app."""

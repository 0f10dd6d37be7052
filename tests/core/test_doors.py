"""Doors are thin: nothing under tgassist/bot, tgassist/api or tgassist/cli imports sqlalchemy or
a models module (they call a product's service and render its views)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "tgassist"
DOORS = ("bot", "api", "cli")


def forbidden(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "sqlalchemy" or "models" in parts or parts[-1].endswith("_models")


def door_imports() -> list[str]:
    found = []
    for door in DOORS:
        for path in sorted((PACKAGE / door).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                for name in names:
                    if forbidden(name):
                        found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {name}")
    return found


def test_no_door_imports_sqlalchemy_or_models() -> None:
    assert door_imports() == []


def test_the_check_sees_a_violation(tmp_path: Path) -> None:
    assert forbidden("sqlalchemy.orm") and forbidden("tgassist.campaigns.models")
    assert forbidden("tgassist.channels.enrichment_models")
    assert not forbidden("tgassist.campaigns.service") and not forbidden("tgassist.core.tasks")

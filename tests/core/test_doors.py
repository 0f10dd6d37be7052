"""Doors are thin: nothing under tgassist/bot, tgassist/api or tgassist/cli imports sqlalchemy or
a models module, and of a product they import only its `service`, `views` and `exceptions`
modules (they call the service and render its views)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "tgassist"
DOORS = ("bot", "api", "cli")
PRODUCTS = ("campaigns", "channels", "events", "backup")
PRODUCT_DOORS = ("service", "views", "exceptions")


def forbidden(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "sqlalchemy" or "models" in parts or parts[-1].endswith("_models")


def behind_the_service(module: str, names: tuple[str, ...] = ()) -> bool:
    """`import`/`from … import names` reaching into a product other than through its service,
    views or exceptions module (a name taken from the package itself counts as its submodule)."""
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "tgassist" or parts[1] not in PRODUCTS:
        return False
    if len(parts) == 2:  # from tgassist.campaigns import history / service
        return any(n not in PRODUCT_DOORS for n in names) or not names
    return parts[2] not in PRODUCT_DOORS


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


def product_imports() -> list[str]:
    found = []
    for door in DOORS:
        for path in sorted((PACKAGE / door).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                hits: list[str] = []
                if isinstance(node, ast.Import):
                    hits = [a.name for a in node.names if behind_the_service(a.name)]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = tuple(a.name for a in node.names)
                    if behind_the_service(node.module, names):
                        hits = [f"{node.module} import {', '.join(names)}"]
                found += [f"{path.relative_to(PACKAGE)}:{node.lineno} {h}" for h in hits]
    return found


def test_no_door_imports_sqlalchemy_or_models() -> None:
    assert door_imports() == []


def test_the_check_sees_a_violation(tmp_path: Path) -> None:
    assert forbidden("sqlalchemy.orm") and forbidden("tgassist.campaigns.models")
    assert forbidden("tgassist.channels.enrichment_models")
    assert not forbidden("tgassist.campaigns.service") and not forbidden("tgassist.core.tasks")


def test_doors_reach_a_product_only_through_its_service_views_and_exceptions() -> None:
    assert sorted(product_imports()) == []


def test_every_name_a_service_offers_resolves() -> None:
    import importlib

    for product in PRODUCTS:
        service = importlib.import_module(f"tgassist.{product}.service")
        offered = getattr(getattr(service, "__getattr__", None), "exports", ())
        for name in offered:
            assert getattr(service, name) is not None, f"{product}.service.{name}"
        for module in ("views", "exceptions"):
            try:
                importlib.import_module(f"tgassist.{product}.{module}")
            except ModuleNotFoundError:
                continue


def test_the_product_check_sees_a_violation() -> None:
    assert behind_the_service("tgassist.campaigns.history")
    assert behind_the_service("tgassist.campaigns", ("history",))
    assert behind_the_service("tgassist.events", ("service", "browse"))
    assert behind_the_service("tgassist.channels.follows.sub")
    assert behind_the_service("tgassist.backup", ("backup",))
    assert not behind_the_service("tgassist.campaigns.service")
    assert not behind_the_service("tgassist.events", ("service", "views"))
    assert not behind_the_service("tgassist.channels.exceptions")
    assert not behind_the_service("tgassist.core.tasks") and not behind_the_service("tgassist.app")

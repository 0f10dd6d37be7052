"""Lazy re-exports: a product's `service` module offers the door-facing functions that live in
their own modules (history, browse, follows …) without importing them at start-up, since several
of those modules import the service themselves."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(owner: str, table: dict[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `owner`. `table` maps a module to the names it gives, separated
    by spaces; `exported=attr` gives the module's `attr` under another name."""
    where: dict[str, tuple[str, str]] = {}
    for module, names in table.items():
        for item in names.split():
            exported, _, attr = item.partition("=")
            where[exported] = (module, attr or exported)

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {owner!r} has no attribute {name!r}")
        module, attr = where[name]
        return getattr(importlib.import_module(module), attr)

    __getattr__.exports = tuple(where)  # type: ignore[attr-defined]  # (tests resolve each one)
    return __getattr__

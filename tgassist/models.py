"""Imports every product's models so Base.metadata knows every table (Alembic, tests)."""

from __future__ import annotations

import importlib

from tgassist.core import models as core_models

PRODUCT_MODEL_MODULES = (
    "tgassist.channels.models",
    "tgassist.channels.enrichment_models",
    "tgassist.channels.read_models",
    "tgassist.events.models",
    "tgassist.campaigns.models",
)

for _name in PRODUCT_MODEL_MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as err:
        if err.name != _name:  # a real import error inside the module
            raise

__all__ = ["core_models"]

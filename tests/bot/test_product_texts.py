"""Every message key the product screens use exists in RU and EN — also the keys given to
`button(...)` and the families built from a value (status, filter, day, city, step …)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tgassist.bot.ui.campaigns import STATUS_ICON as CAMPAIGN_STATUSES
from tgassist.bot.ui.channels import STATUS_ICON as CHANNEL_STATUSES
from tgassist.campaigns.history import FILTERS, FORMATS
from tgassist.campaigns.wizard import STEPS
from tgassist.core.i18n import load_catalogues
from tgassist.events.browse import BUILTIN_CITIES, REMIND_KINDS, WHEN

PACKAGE = Path(__file__).resolve().parents[2] / "tgassist"
SCREENS = [
    *sorted((PACKAGE / "bot" / "ui").glob("*.py")),
    *[PACKAGE / "bot" / "routers" / f"{m}.py" for m in ("campaigns", "campaign_history")],
    *[PACKAGE / "bot" / "routers" / f"{m}.py" for m in ("events", "channels")],
    PACKAGE / "campaigns" / "history.py",
    PACKAGE / "campaigns" / "wizard.py",
    PACKAGE / "channels" / "follows.py",
    PACKAGE / "events" / "browse.py",
]
KEY = re.compile(r"^(bot|campaigns|events|channels)\.[a-z0-9_]+(\.[a-z0-9_]+)+$")


def literal_keys() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in SCREENS:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if KEY.match(node.value):
                    found.setdefault(node.value, f"{path.name}:{node.lineno}")
    return found


def family_keys() -> set[str]:
    keys = {f"bot.campaigns.ask.{s}" for s in STEPS} | {f"bot.campaigns.edit.{s}" for s in STEPS}
    keys |= {f"bot.campaigns.status.{s}" for s in CAMPAIGN_STATUSES}
    keys |= {f"bot.campaigns.filter.{f}" for f in FILTERS}
    keys |= {f"bot.campaigns.file.{f}" for f in FORMATS}
    keys |= {f"bot.channels.status.{s}" for s in CHANNEL_STATUSES}
    keys |= {f"bot.events.when.{w}" for w in WHEN} | {
        f"bot.events.city.{c}" for c in BUILTIN_CITIES
    }
    keys |= {f"bot.events.remind.{k}" for k, _ in REMIND_KINDS} | {"bot.events.remind.start"}
    return keys


def test_every_screen_key_is_in_both_catalogues() -> None:
    cats = load_catalogues()
    used = literal_keys()
    assert len(used) > 100  # the scan sees the screens' keys
    missing = {
        lang: sorted(k for k in [*used, *family_keys()] if k not in cats[lang])
        for lang in ("ru", "en")
    }
    assert missing == {"ru": [], "en": []}

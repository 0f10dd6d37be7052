"""The run-stat texts of the `events_ingest` domain: every skip reason and every error note has
RU and EN texts, and no key is left unused."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import tgassist
from tests.core.test_i18n import keys_used_in_code
from tgassist.events.sources.base import REASONS, Skip

LOCALES = Path(tgassist.__file__).parent / "locales"


def catalogue(lang: str) -> dict[str, str]:
    with (LOCALES / lang / "LC_MESSAGES" / "events_ingest.po").open("rb") as fh:
        return {str(m.id): str(m.string) for m in read_po(fh, locale=lang) if m.id}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("reason", sorted(REASONS))
def test_every_skip_reason_renders_in_both_languages(reason: str) -> None:
    skip = Skip(reason, "feed.ics: uid-1", "limit 1000", 3)
    ru, en = catalogue("ru"), catalogue("en")
    data = skip.to_dict()
    assert data["key"] in ru and data["key"] in en
    assert fields(ru[data["key"]]) == fields(en[data["key"]]) <= {"item", "detail", "count"}
    assert "feed.ics: uid-1" in en[data["key"]].format(**data["params"])
    assert f"events_ingest.category.{skip.category}" in ru
    assert ru[data["key"]] != en[data["key"]]


def test_no_key_without_a_reason() -> None:
    keys = set(catalogue("en")) | set(catalogue("ru"))
    errors = {k for k in keys_used_in_code() if k.startswith("events_ingest.error.")}
    expected = (
        {f"events_ingest.skip.{r}" for r in REASONS}
        | {f"events_ingest.category.{c}" for c in set(REASONS.values())}
        | errors  # what went wrong in a run, as the sources and the ingest note it
    )
    assert len(errors) >= 10
    assert keys == expected and set(catalogue("en")) == set(catalogue("ru"))
    for key in errors:
        assert fields(catalogue("ru")[key]) == fields(catalogue("en")[key]), key

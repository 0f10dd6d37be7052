"""The catalogues: every key in both languages with the same placeholders, every key used in
code present, rendering with fallbacks."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tgassist.core.errors import LocalizedError
from tgassist.core.i18n import (
    LANGUAGES,
    Msg,
    load_catalogues,
    locale_language,
    normalize_language,
    placeholders,
    t,
)
from tgassist.settings import Settings

PACKAGE = Path(__file__).resolve().parents[2] / "tgassist"
DOMAINS = (
    "core",
    "bot",
    "admin",
    "campaigns",
    "campaigns_report",
    "events",
    "events_ingest",
    "channels",
    "channels_import",
    "search",
    "ops",
    "backup",
    "account",
    "security",
    "cli",
)
KEY_ARGS = {"key", "text_key", "error_key"}


def _is_key(value: object) -> bool:
    return (
        isinstance(value, str)
        and value.split(".", 1)[0] in DOMAINS
        and value.count(".") >= 2
        and " " not in value
        and value == value.lower()
    )


def _parse(source: str) -> ast.Module:
    """ast.parse, once more when CPython 3.11 fails spuriously: its AST validator keeps one
    recursion depth per interpreter, not per thread (gh-106905), so a parse while a thread left
    by an earlier test builds an AST can raise "AST constructor recursion depth mismatch"
    (seen once in a CI run)."""
    for attempt in range(3):
        try:
            return ast.parse(source)
        except SystemError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def keys_used_in_code() -> dict[str, str]:
    """Literal keys given to t(), Msg(), *Error(), or as key=/text_key=, or a "text_key" value."""
    found: dict[str, str] = {}
    for path in PACKAGE.rglob("*.py"):
        tree = _parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            candidates: list[ast.AST] = []
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
                if node.args and name in ("t", "Msg", "fail", "render_key", "say"):
                    candidates.append(node.args[0])
                elif name.endswith(("Error", "Exception", "NotFound", "Unavailable", "Exceeded")):
                    candidates += node.args  # a key may follow other arguments (ParseBudgetError)

                candidates += [kw.value for kw in node.keywords if kw.arg in KEY_ARGS]
            elif isinstance(node, ast.Dict):
                candidates += [
                    v
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant) and k.value in KEY_ARGS
                ]
            for c in candidates:
                if isinstance(c, ast.Constant) and _is_key(c.value):
                    found.setdefault(str(c.value), f"{path.relative_to(PACKAGE)}:{c.lineno}")
    return found


def test_every_key_in_both_languages_with_the_same_placeholders() -> None:
    cats = load_catalogues()
    assert set(cats) == set(LANGUAGES)
    assert cats["ru"] and cats["en"]
    missing = {lang: sorted(set().union(*cats.values()) - set(cats[lang])) for lang in LANGUAGES}
    assert missing == {lang: [] for lang in LANGUAGES}
    differ = {
        k: (placeholders(cats["ru"][k]), placeholders(cats["en"][k]))
        for k in cats["ru"]
        if placeholders(cats["ru"][k]) != placeholders(cats["en"][k])
    }
    assert differ == {}


def test_every_key_used_in_code_is_in_the_catalogues() -> None:
    cats = load_catalogues()
    used = keys_used_in_code()
    assert len(used) > 20  # the scan finds keys (it would pass vacuously otherwise)
    missing = {k: where for k, where in used.items() if k not in cats["ru"]}
    assert missing == {}


def test_render_in_each_language_and_fallbacks() -> None:
    assert t("core.task.failed", "ru", error="x") == "Не удалось: x"
    assert t("core.task.failed", "en", error="x") == "Failed: x"
    assert t("core.task.failed", "de", error="x") == t("core.task.failed", None, error="x")
    assert t("core.no.such_key", "en") == "core.no.such_key"
    # a missing parameter stays visible instead of raising
    assert t("core.task.failed", "en") == "Failed: {error}"
    assert Msg("core.task.done").render("en") == "Done"
    # a parameter that is a message itself is rendered in the same language
    inner = LocalizedError("core.user.not_found", ref=7)
    assert t("core.task.failed", "ru", error=inner) == "Не удалось: Пользователь 7 не найден"
    assert Msg("core.task.failed", {"error": Msg("core.task.done")}).render("en") == "Failed: Done"


@pytest.mark.parametrize(
    ("code", "lang"),
    [("ru-RU", "ru"), ("en_US", "en"), ("uk", "ru"), ("EN", "en"), (None, "ru"), ("de", "ru")],
)
def test_language_from_telegram_code(code: str | None, lang: str) -> None:
    assert normalize_language(code, "ru") == lang


def test_localized_error_carries_key_and_params() -> None:
    err = LocalizedError("core.user.not_found", ref=42)
    assert (err.key, err.params) == ("core.user.not_found", {"ref": 42})
    assert str(err) == "User 42 not found"
    assert err.render("ru") == "Пользователь 42 не найден"


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({"LANG": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "ru_RU.UTF-8", "LC_MESSAGES": "en_US.UTF-8", "LC_ALL": "ru_RU"}, "ru"),
        ({"LANG": "ru_RU.UTF-8", "LC_ALL": "C"}, "en"),
        ({"LANG": "ru_RU.UTF-8", "LC_ALL": ""}, "ru"),  # set but empty: not set
    ],
)
def test_language_from_the_system_locale(environ: dict[str, str], lang: str) -> None:
    assert locale_language(environ) == lang


def test_the_language_setting_defaults_to_the_system_locale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("TGASSIST_LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    assert Settings(_env_file=None).language == "ru"  # type: ignore[call-arg]
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert Settings(_env_file=None).language == "en"  # type: ignore[call-arg]
    monkeypatch.setenv("TGASSIST_LANGUAGE", "ru")
    assert Settings(_env_file=None).language == "ru"  # type: ignore[call-arg]


def test_a_nested_message_survives_storage_as_json() -> None:
    import json

    from tgassist.core.i18n import storable_params

    inner = LocalizedError("core.user.not_found", ref=7)
    stored = json.loads(json.dumps(storable_params({"error": inner, "n": 1})))
    assert stored == {"error": {"key": "core.user.not_found", "params": {"ref": 7}}, "n": 1}
    assert t("core.task.failed", "ru", **stored) == "Не удалось: Пользователь 7 не найден"
    assert t("core.task.failed", "en", **stored) == "Failed: User 7 not found"
    assert Msg("core.task.failed", {"error": Msg("core.task.done")}).to_dict() == {
        "key": "core.task.failed",
        "params": {"error": {"key": "core.task.done", "params": {}}},
    }


def test_config_and_backend_errors_are_keyed_in_both_languages() -> None:
    from tgassist.core.db import async_url
    from tgassist.core.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        async_url("mysql://root@localhost/db")
    err = caught.value
    assert (err.key, err.params) == ("core.config.database_unsupported", {"backend": "mysql"})
    assert "use sqlite or postgresql" in str(err).lower()
    assert "Используйте sqlite или postgresql" in err.render("ru")


def test_a_keyed_error_survives_pickling_with_its_params() -> None:
    import pickle

    from tgassist.ai.base import AIError
    from tgassist.events.exceptions import ParseBudgetError

    err = pickle.loads(pickle.dumps(AIError("core.ai.ocr_timeout", seconds=30)))
    assert type(err) is AIError and (err.key, err.params) == (
        "core.ai.ocr_timeout",
        {"seconds": 30},
    )
    budget = ParseBudgetError("memory", "feed x", "events.source.parse_memory", megabytes=64)
    again = pickle.loads(pickle.dumps(budget))
    assert (again.kind, again.what, again.render("ru")) == ("memory", "feed x", budget.render("ru"))

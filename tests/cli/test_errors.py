"""What the CLI says when it is used wrongly — a mistyped command or option, a missing argument, a
bad value, a bad setting — speaks TGASSIST_LANGUAGE: Typer's usage errors, its error panel and
pydantic's validation errors are catalogue texts (`cli.usage.*`, `cli.value.*`, `cli.settings.*`)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any, Literal

import pytest
import typer
from pydantic import BaseModel, Field, HttpUrl, ValidationError
from typer import BadParameter
from typer._param_types import coerce_cli_path

from tests.cli.test_help import CYRILLIC, _clean_env, english_chrome, run_json
from tgassist.cli.usage_errors import value_error_text
from tgassist.cli.validation import validation_text
from tgassist.core.i18n import default_language, set_default_language

# Each case: the arguments, and the environment added for it (a bad setting).
CASES: dict[str, tuple[list[str], dict[str, str]]] = {
    "no such command": (["campaign", "nosuch"], {}),
    "did you mean": (["chanels"], {}),
    "missing argument": (["channels", "add"], {}),
    "no such option": (["events", "list", "--hel"], {}),
    "not an integer": (["events", "list", "--limit", "abc"], {}),
    "too small": (["events", "list", "--limit", "0"], {}),
    "too large": (["events", "list", "--limit", "501"], {}),
    "option needs a value": (["events", "list", "--limit"], {}),
    "flag takes no value": (["campaign", "new", "--wait=3"], {}),
    "extra argument": (["campaign", "list", "a", "b"], {}),
    "setting int": (["status"], {"TGASSIST_API_PORT": "eighty"}),
    "setting bool": (["status"], {"TGASSIST_SCHEDULER_ENABLED": "maybe"}),
    "setting gt": (["status"], {"TGASSIST_BUS_BLOCK_MS": "0"}),
    "setting float": (["status"], {"TGASSIST_BUS_RETRY_MAX_SEC": "soon"}),
    "setting literal": (["status"], {"TGASSIST_EMBEDDER": "word2vec"}),
    "setting validator": (["status"], {"TGASSIST_BOT_ADMIN_IDS": "12,bob"}),
    "secret validator": (["status"], {"TGASSIST_ADMIN_TOKEN": "hunter2"}),
    # no tgassist command has these parameters: a small app of the same Typer shows them
    "invalid choice": (["demo", "export", "--name", "x", "--kind", "pdf"], {}),
    "missing option": (["demo", "export", "--kind", "csv"], {}),
    "missing choice": (["demo", "pick"], {}),
    "datetime": (["demo", "kinds", "--when", "someday"], {}),
    "datetime formats": (["demo", "kinds", "--day", "2020/01/31"], {}),
    "date": (["demo", "kinds", "--date", "nope"], {}),
    "uuid": (["demo", "kinds", "--uid", "zz"], {}),
    "float": (["demo", "kinds", "--ratio", "half"], {}),
    "float range": (["demo", "kinds", "--share", "-1"], {}),
    "list item": (["demo", "kinds", "--nums", "1", "--nums", "z"], {}),
    "tuple item": (["demo", "kinds", "--pair", "z", "x"], {}),
    "bool argument": (["demo", "args", "maybe"], {}),
    "path missing": (["demo", "kinds", "--src", "nowhere"], {}),
    "dir is a file": (["demo", "kinds", "--folder", "afile"], {}),
    "file is a dir": (["demo", "kinds", "--doc", "adir"], {}),
    "file not found": (["demo", "kinds", "--text", "nowhere.txt"], {}),
    "file is a dir to open": (["demo", "kinds", "--text", "adir"], {}),
    "not a list": (["demo", "solo"], {}),
    "unknown type": (["demo", "kinds", "--opaque", "x"], {}),
}
# Runs in a fresh interpreter: Typer's texts are set once, when the CLI is imported.
RUN = """
import json, pathlib, sys
from typer.testing import CliRunner
from tgassist.cli import app
from tests.cli.demo import demo

pathlib.Path("afile").touch()  # a file and a folder, for the options that want the other
pathlib.Path("adir").mkdir(exist_ok=True)
cases = json.loads(sys.argv[1])
runner = CliRunner()
out = {}
for name, (args, env) in cases.items():
    if args[0] == "demo":
        r = runner.invoke(demo, args[1:], env=env, prog_name="tgassist")
    else:
        r = runner.invoke(app, args, env=env, prog_name="tgassist")
    out[name] = {"code": r.exit_code, "err": r.stderr, "out": r.stdout}
json.dump(out, sys.stdout, ensure_ascii=False)
"""
QUOTED = re.compile(r"'[^']*'|`[^`]*`|--[\w-]+|TGASSIST_\w+")
LATIN_WORD = re.compile(r"\b[A-Za-z]{3,}\b")
# Latin words a Russian message may hold: the values a boolean setting takes, names
NOT_ENGLISH = {"true", "false", "yes", "off", "Telegram", "API", "UUID"}
# raised by Typer's option parser, which knows no command: no usage line, no hint
PARSER_ERRORS = {"option needs a value", "flag takes no value"}
SCRIPT = Path(sys.executable).parent / "tgassist"


def _run(tmp: Path, lang: str) -> dict[str, dict[str, Any]]:
    return run_json(  # type: ignore[no-any-return]
        tmp,
        RUN,
        json.dumps(CASES),
        timeout=120,
        TGASSIST_LANGUAGE=lang,
        TGASSIST_DATA_DIR=str(tmp / "data"),
    )


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("cli-errors")
    return {lang: _run(tmp, lang) for lang in ("ru", "en")}


def _message(result: dict[str, Any]) -> str:
    """The error itself: the panel's text, or the one-line `error: …` of a bad setting."""
    err: str = result["err"]
    panel = [line.strip("│ ").rstrip() for line in err.splitlines() if line.startswith("│")]
    return " ".join(panel) if panel else err.strip()


ERRORS = [
    ("no such command", "Нет такой команды 'nosuch'.", "No such command 'nosuch'."),
    (
        "did you mean",
        "Нет такой команды 'chanels'. Возможно, имелось в виду 'channels'?",
        "No such command 'chanels'. Did you mean 'channels'?",
    ),
    ("missing argument", "Не указан аргумент 'ref'.", "Missing argument 'ref'."),
    (
        "no such option",
        "Нет такой опции: --hel (возможные опции: --help)",
        "No such option: --hel (Possible options: --help)",
    ),
    (
        "not an integer",
        "Недопустимое значение '--limit': нужно целое число, а получено 'abc'",
        "Invalid value for '--limit': should be a whole number, got 'abc'",
    ),
    (
        "too small",
        "Недопустимое значение '--limit': значение должно быть не меньше 1, а получено '0'",
        "Invalid value for '--limit': should be at least 1, got '0'",
    ),
    ("too large", "не больше 500, а получено '501'", "should be at most 500, got '501'"),
    ("option needs a value", "Опции '--limit' нужно значение.", "Option '--limit' requires"),
    ("flag takes no value", "Опция '--wait' не принимает значения.", "does not take a value"),
    ("extra argument", "Лишние аргументы: a b", "Got unexpected extra argument(s) (a b)"),
    ("setting int", "TGASSIST_API_PORT: нужно целое число", "TGASSIST_API_PORT: should be a"),
    ("setting bool", "нужно true или false", "should be true or false"),
    ("setting gt", "TGASSIST_BUS_BLOCK_MS: значение должно быть больше 0", "greater than 0"),
    ("setting float", "нужно число, а получено 'soon'", "should be a number, got 'soon'"),
    (
        "setting literal",
        "TGASSIST_EMBEDDER: нужно одно из значений 'use', 'e5', 'openai', 'gigachat'",
        "TGASSIST_EMBEDDER: should be one of 'use', 'e5', 'openai', 'gigachat'",
    ),
    ("setting validator", "'bob' — не Telegram id", "'bob' is not a Telegram id"),
    ("secret validator", "слишком короткий (символов: 7)", "is too short (7 characters)"),
    (
        "invalid choice",
        "Недопустимое значение '--kind': нужно одно из значений 'xlsx', 'csv', а получено 'pdf'",
        "Invalid value for '--kind': should be one of 'xlsx', 'csv', got 'pdf'",
    ),
    ("missing option", "Не указана опция '--name'.", "Missing option '--name'."),
    (
        "missing choice",
        "Не указана опция '--mode'. Возможные значения: 'fast', 'slow'.",
        "Missing option '--mode'. Choose from: 'fast', 'slow'.",
    ),
    (
        "datetime",
        "'--when': нужны дата и время (ГГГГ-ММ-ДД или ГГГГ-ММ-ДД ЧЧ:ММ[:СС]), а получено 'someday'",
        "'--when': should be a date and time (YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]), got 'someday'",
    ),
    (
        "datetime formats",
        "'2020/01/31' не подходит ни под один из форматов 'ГГГГ-ММ-ДД'",
        "'2020/01/31' matches none of the formats '%Y-%m-%d'",
    ),
    ("date", "нужна дата (ГГГГ-ММ-ДД), а получено 'nope'", "should be a date (YYYY-MM-DD), got"),
    ("uuid", "'--uid': нужен UUID, а получено 'zz'", "'--uid': should be a UUID, got 'zz'"),
    ("float", "'--ratio': нужно число, а получено 'half'", "should be a number, got 'half'"),
    ("float range", "не меньше 0.0, а получено '-1'", "should be at least 0.0, got '-1'"),
    ("list item", "'--nums': нужно целое число, а получено 'z'", "whole number, got 'z'"),
    ("tuple item", "'--pair': нужно целое число, а получено 'z'", "whole number, got 'z'"),
    ("bool argument", "'on': нужно true или false", "'on': should be true or false"),
    (
        "path missing",
        "Недопустимое значение '--src': путь 'nowhere' не существует",
        "Invalid value for '--src': path 'nowhere' does not exist",
    ),
    (
        "dir is a file",
        "'--folder': ожидается папка, а 'afile' — это файл",
        "'--folder': dir 'afile' is a file, not a directory",
    ),
    (
        "file is a dir",
        "'--doc': ожидается файл, а 'adir' — это папка",
        "'--doc': file 'adir' is a directory, not a file",
    ),
    (
        "file not found",
        "'--text': не удалось открыть 'nowhere.txt': нет такого файла или папки",
        "'--text': cannot open 'nowhere.txt': no such file or directory",
    ),
    (
        "file is a dir to open",
        "не удалось открыть 'adir': это папка",
        "cannot open 'adir': it is a directory",
    ),
    (
        "not a list",
        "'--tags': нужен список значений, а получено 'solo'",
        "'--tags': should be a list of values, got 'solo'",
    ),
    (  # a refusal we do not know: its parameter and input, at least
        "unknown type",
        "Недопустимое значение '--opaque': значение 'x' не подходит",
        "Invalid value for '--opaque': 'x' is not a valid value here",
    ),
]


@pytest.mark.parametrize(("case", "ru", "en"), ERRORS, ids=[e[0] for e in ERRORS])
def test_each_error_in_both_languages(
    shown: dict[str, dict[str, dict[str, Any]]], case: str, ru: str, en: str
) -> None:
    assert ru in _message(shown["ru"][case])
    assert en in _message(shown["en"][case])
    assert shown["ru"][case]["code"] == shown["en"][case]["code"] != 0


def test_nothing_english_is_left_in_russian_errors(
    shown: dict[str, dict[str, dict[str, Any]]],
) -> None:
    assert set(shown["ru"]) == set(CASES) == {e[0] for e in ERRORS}  # each ran and is checked
    for case, result in shown["ru"].items():
        message = _message(result)
        # what the user typed, option and setting names stay as they are; nothing else Latin
        left = set(LATIN_WORD.findall(QUOTED.sub("", message))) - NOT_ENGLISH
        assert left == set(), (case, message)
        err = result["err"]
        if "│" in err:  # a usage error: the panel, and the usage line and hint where Typer
            assert "╭─ Ошибка ─" in err, err  # knows the command (not for a missing value)
            if case not in PARSER_ERRORS:
                assert "Использование: tgassist" in err and "Справка: 'tgassist" in err, err
        else:
            assert err.startswith("ошибка: TGASSIST_"), err
        for text in english_chrome():
            assert text not in err, (case, text)


def test_english_errors_are_typers_own(shown: dict[str, dict[str, dict[str, Any]]]) -> None:
    for result in shown["en"].values():
        assert not CYRILLIC.search(result["err"]), result["err"]
    err = shown["en"]["missing argument"]["err"]
    assert "Usage: tgassist channels add [OPTIONS] {ref}" in err
    assert "Try 'tgassist channels add --help' for help." in err and "╭─ Error ─" in err


def test_a_secret_is_never_shown(shown: dict[str, dict[str, dict[str, Any]]]) -> None:
    for lang in ("ru", "en"):
        assert "hunter2" not in shown[lang]["secret validator"]["err"]


def _script(tmp: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed `tgassist` script, as an operator runs it."""
    return subprocess.run(
        [str(SCRIPT), *args],
        cwd=tmp,
        env=_clean_env(TGASSIST_DATA_DIR=str(tmp / "data"), **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.skipif(not SCRIPT.exists(), reason="the tgassist script is not installed")
def test_the_installed_script_speaks_russian(tmp_path: Path) -> None:
    r = _script(tmp_path, "campaign", "nosuch", TGASSIST_LANGUAGE="ru")
    assert r.returncode == 2
    assert "Нет такой команды 'nosuch'." in r.stderr and "╭─ Ошибка ─" in r.stderr
    assert "Использование: tgassist campaign [ОПЦИИ] КОМАНДА [АРГУМЕНТЫ]..." in r.stderr
    r = _script(tmp_path, "campaign", "show", LANG="ru_RU.UTF-8")  # the locale decides
    assert r.returncode == 2 and "Не указан аргумент 'campaign_id'." in r.stderr
    r = _script(tmp_path, "campaign", "nosuch", TGASSIST_LANGUAGE="en")
    assert "No such command 'nosuch'." in r.stderr and not CYRILLIC.search(r.stderr)


@pytest.mark.skipif(not SCRIPT.exists(), reason="the tgassist script is not installed")
def test_a_bad_language_setting_is_told_in_the_locale_language(tmp_path: Path) -> None:
    # TGASSIST_LANGUAGE itself is refused: the system locale chooses the language
    for locale, words in (("ru_RU.UTF-8", "должно соответствовать шаблону"), ("C.UTF-8", "match")):
        r = _script(tmp_path, "status", LANG=locale, TGASSIST_LANGUAGE="de")
        assert r.returncode == 1
        assert "TGASSIST_LANGUAGE:" in r.stderr and words in r.stderr, r.stderr


class _Form(BaseModel):
    """Fields no tgassist setting has today, so each common pydantic error type is seen."""

    site: HttpUrl
    code: str = Field(min_length=3)
    kind: Literal["a", "b"] = "a"
    when: datetime | None = None
    host: IPv4Address | None = None


@pytest.mark.parametrize(
    ("data", "ru", "en"),
    [
        ({}, "значение обязательно", "a value is required"),
        (
            {"site": "not a url", "code": "abc"},
            "нужен URL, а получено 'not a url'",
            "should be a URL",
        ),
        ({"site": "ftp://x.org", "code": "abc"}, "нужен URL со схемой 'http', 'https'", "scheme"),
        ({"site": "http://x.org", "code": "ab"}, "длина должна быть не меньше 3", "at least 3"),
        (
            {"site": "http://x.org", "code": "abc", "kind": "c"},
            "нужно одно из значений 'a', 'b', а получено 'c'",
            "should be one of 'a', 'b', got 'c'",
        ),
        (
            {"site": "http://x.org", "code": "abc", "when": "someday"},
            "нужны дата и время (ГГГГ-ММ-ДД или ГГГГ-ММ-ДД ЧЧ:ММ[:СС]), а получено 'someday'",
            "should be a date and time (YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]), got 'someday'",
        ),
        (  # a type without its own key: named, with the input
            {"site": "http://x.org", "code": "abc", "host": "localhost"},
            "недопустимое значение 'localhost' (ошибка pydantic ip_v4_address)",
            "invalid value 'localhost' (pydantic error ip_v4_address)",
        ),
    ],
)
def test_pydantic_errors_in_both_languages(data: dict[str, str], ru: str, en: str) -> None:
    with pytest.raises(ValidationError) as info:
        _Form.model_validate(data)
    error = info.value.errors()[0]
    before = default_language()
    try:
        for lang, words in (("ru", ru), ("en", en)):
            set_default_language(lang)
            assert words in validation_text(error)
        if isinstance(error["input"], str):  # a secret's value is never told
            assert error["input"] not in validation_text(error, show_input=False)
    finally:
        set_default_language(before)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may read and write any file")
@pytest.mark.parametrize(
    ("flags", "ru", "en"),
    [
        ({"readable": True}, "нельзя прочитать: нет прав", "cannot be read: permission denied"),
        (
            {"readable": False, "writable": True},
            "нельзя изменить: нет прав на запись",
            "cannot be written: permission denied",
        ),
    ],
)
def test_a_path_without_permission(
    tmp_path: Path, flags: dict[str, bool], ru: str, en: str
) -> None:
    """Typer's own check of a path option (`exists=True, readable=…, writable=…`)."""
    locked = tmp_path / "locked"
    locked.touch()
    locked.chmod(0)
    with pytest.raises(BadParameter) as info:
        coerce_cli_path(str(locked), typer.Option(None, exists=True, **flags), path_type=None)
    before = default_language()
    try:
        for lang, words in (("ru", f"путь {str(locked)!r} {ru}"), ("en", en)):
            set_default_language(lang)
            assert words in value_error_text(info.value)
    finally:
        set_default_language(before)

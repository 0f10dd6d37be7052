"""`tgassist --help` speaks the operator's language: every help text of every command, group,
option and argument comes from the catalogues (`cli.help.*`), and so does Typer's own chrome around
them (`cli.chrome.*`: «Usage:», the panel titles, [default: …], the --help and completion
options), rendered in TGASSIST_LANGUAGE, else in the language of the system locale."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tgassist.cli.common import cli_language
from tgassist.core.i18n import load_catalogues

ROOT = Path(__file__).resolve().parents[2]
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
LATIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Runs in a fresh interpreter: help texts are rendered once, when the CLI modules are imported.
DUMP = """
import json, os, sys
import typer.main
from typer.testing import CliRunner
from tgassist.cli import app

found = []

def walk(command, path):
    found.append({"what": "command", "path": path, "help": command.help})
    for param in command.params:
        found.append({"what": "param", "path": path, "name": param.name,
                      "help": getattr(param, "help", None), "default": str(param.default)})
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        walk(sub, f"{path} {name}")

walk(typer.main.get_command(app), "tgassist")
runner = CliRunner()
shown = {" ".join(args): runner.invoke(app, args, prog_name="tgassist").output
         for args in (["--help"], ["campaign", "new", "--help"], ["db", "upgrade", "--help"],
                      ["channels", "add", "--help"], ["events", "list", "--help"])}
from tests.cli.demo import demo  # the parameter types no tgassist command has yet
for name in ("kinds", "args"):
    shown[f"demo {name} --help"] = runner.invoke(demo, [name, "--help"], prog_name="tgassist").output
os.environ["COLUMNS"] = "1000"  # every help text on one line, to be found whole
pages = {i["path"]: runner.invoke(app, [*i["path"].split()[1:], "--help"], prog_name="tgassist").output
         for i in found if i["what"] == "command"}
json.dump({"items": found, "shown": shown, "pages": pages}, sys.stdout, ensure_ascii=False)
"""


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TGASSIST_") and k not in ("LC_ALL", "LC_MESSAGES", "LANG")
    }
    env.update(PYTHONPATH=str(ROOT), COLUMNS="200", **extra)
    return env


def run_json(tmp: Path, code: str, *args: str, timeout: int = 90, **env: str) -> Any:
    """What a Python snippet printed as JSON, run in a fresh process in `tmp` (no .env of the
    repository) with a clean environment plus `env`."""
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=tmp,
        env=_clean_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def _run_dump(tmp: Path, **env: str) -> dict[str, Any]:
    return run_json(tmp, DUMP, **env)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def dumps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("cli-help")
    return {lang: _run_dump(tmp, TGASSIST_LANGUAGE=lang) for lang in ("ru", "en")}


def english_chrome() -> list[str]:
    """The literal pieces (placeholders cut out) of Typer's English words and errors."""
    pieces: list[str] = []
    for key, text in load_catalogues()["en"].items():
        if key.split(".")[1] in ("chrome", "type", "usage", "value", "settings", "completion"):
            pieces += [p.strip() for p in re.split(r"\{[^}]*\}", text) if len(p.strip()) >= 5]
    assert len(pieces) > 40  # the catalogue has them (the checks would pass vacuously otherwise)
    return pieces


def test_every_help_text_comes_from_the_catalogue(dumps: dict[str, dict[str, Any]]) -> None:
    cats = load_catalogues()
    items = {lang: d["items"] for lang, d in dumps.items()}
    # the walk sees the whole CLI (it would pass vacuously otherwise)
    assert len([i for i in items["en"] if i["what"] == "command"]) > 40
    assert len([i for i in items["en"] if i["what"] == "param"]) > 60
    for lang in ("ru", "en"):
        # Typer's --install-completion / --show-completion: cli.chrome.*
        texts = {v for k, v in cats[lang].items() if k.startswith(("cli.help.", "cli.chrome."))}
        stray = [
            (i["path"], i.get("name"), i["help"]) for i in items[lang] if i["help"] not in texts
        ]
        assert stray == [], f"{lang}: help texts missing or not from the catalogue"
    # the same CLI in both languages, each text different: no English left in the Russian help
    assert [(i["path"], i.get("name")) for i in items["ru"]] == [
        (i["path"], i.get("name")) for i in items["en"]
    ]
    same = [
        (ru["path"], ru.get("name"), ru["help"])
        for ru, en in zip(items["ru"], items["en"], strict=True)
        if ru["help"] == en["help"]
    ]
    assert same == []


def test_help_is_russian_in_ru_and_english_in_en(dumps: dict[str, dict[str, Any]]) -> None:
    ru, en = dumps["ru"]["shown"], dumps["en"]["shown"]
    assert "Миграции базы данных" in ru["--help"] and "Кампании Яндекс Директа" in ru["--help"]
    assert "Database migrations" in en["--help"] and "Yandex Direct campaigns" in en["--help"]
    assert "Название кампании" in ru["campaign new --help"]
    assert "Campaign name" in en["campaign new --help"]
    for text in ru.values():
        assert "Campaign name" not in text and "Database migrations" not in text
    for text in en.values():
        assert not CYRILLIC.search(text), text


def test_typers_chrome_speaks_the_language(dumps: dict[str, dict[str, Any]]) -> None:
    ru, en = dumps["ru"]["shown"], dumps["en"]["shown"]
    assert "Использование: tgassist [ОПЦИИ] КОМАНДА [АРГУМЕНТЫ]..." in ru["--help"]
    assert "Usage: tgassist [OPTIONS] COMMAND [ARGS]..." in en["--help"]
    for title_ru, title_en, page in (
        ("Опции", "Options", "--help"),
        ("Команды", "Commands", "--help"),
        ("Аргументы", "Arguments", "db upgrade --help"),
    ):
        assert f"╭─ {title_ru} ─" in ru[page] and f"╭─ {title_en} ─" in en[page]
    assert "Показать эту справку и выйти." in ru["campaign new --help"]
    assert "Show this message and exit." in en["campaign new --help"]
    assert "Установить автодополнение команд для текущей оболочки." in ru["--help"]
    assert "Install completion for the current shell." in en["--help"]
    assert "[по умолчанию: heads]" in ru["db upgrade --help"]
    assert "[default: heads]" in en["db upgrade --help"]
    assert (
        "[обязательно]" in ru["channels add --help"] and "[required]" in en["channels add --help"]
    )
    # nothing of Typer's English is left in the Russian pages
    left = {
        (page, piece) for piece in english_chrome() for page, text in ru.items() if piece in text
    }
    assert left == set()


# Typer's type column, as Typer writes it (en) and as the catalogue tells it (ru): page, then
# (option, ru, en); choices stay as typed
TYPE_COLUMN = {
    "campaign new --help": [
        ("--brief", "<путь>", "<path>"),
        ("--name", "<текст>", "<str>"),
        ("--phrase", "<список: текст>", "<list[str]>"),
        ("--budget", "<число>", "<float>"),
        ("--user", "<целое число>", "<int>"),
        ("--no-wait", "<да/нет>", "<bool>"),
    ],
    "events list --help": [
        ("--limit", "<целое число из диапазона> [от 1 до 500]", "<int range> [1<=x<=500]"),
    ],
    "demo kinds --help": [
        ("--when", "<дата-время>", "<datetime>"),
        ("--day", "<ГГГГ-ММ-ДД>", "<%Y-%m-%d>"),
        ("--date", "<дата>", "<date>"),
        ("--uid", "<UUID>", "<UUID>"),
        ("--src", "<путь>", "<path>"),
        ("--folder", "<папка>", "<dir>"),
        ("--doc", "<файл>", "<file>"),
        ("--text", "<файл>", "<FileText>"),
        ("--nums", "<список: целое число>", "<list[int]>"),
        ("--pair", "<целое число,текст>...", "<int,str>..."),
        ("--color", "<red|blue>", "<red|blue>"),
        ("--shade", "<значение>", "<value>"),  # a choice that hides its values: an Enum class
        ("--level", "<целое число из диапазона> [от 1 до 10]", "<int range> [1<=x<=10]"),
        ("--share", "<число из диапазона> [не меньше 0]", "<float range> [x>=0]"),
        ("--opaque", "<значение>", "<value>"),  # a class of the command's own
    ],
    "demo args --help": [("many...", "<список: целое число>", "<list[int]>")],
}


@pytest.mark.parametrize("page", sorted(TYPE_COLUMN))
def test_the_type_column_speaks_the_language(dumps: dict[str, Any], page: str) -> None:
    for lang, column in (("ru", 1), ("en", 2)):
        lines = dumps[lang]["shown"][page].splitlines()
        for row in TYPE_COLUMN[page]:
            line = next((text for text in lines if row[0] in text.split()), "")
            assert f" {row[column]} " in line, (lang, page, row[0], line)


def test_every_russian_help_page_is_russian_but_for_names(dumps: dict[str, Any]) -> None:
    """On every page, with our help texts taken out, what is Latin is a name the user types
    (a command, an option, a parameter, a default value): no English chrome is left."""
    helps = sorted(
        (v for k, v in load_catalogues()["ru"].items() if k.startswith("cli.help.")),
        key=len,
        reverse=True,
    )
    names: set[str] = set()
    for item in dumps["ru"]["items"]:
        for text in (item["path"], item.get("name") or "", item.get("default") or ""):
            names.update(LATIN.findall(text))
    pages = dumps["ru"]["pages"]
    assert len(pages) > 40  # the whole CLI
    for path, page in pages.items():
        for text in helps:
            page = page.replace(text, " ")
        left = set(LATIN.findall(re.sub(r"(?<!\w)--?[\w-]+", " ", page))) - names
        assert left == set(), (path, left)


def test_without_tgassist_language_the_system_locale_decides(tmp_path: Path) -> None:
    shown = _run_dump(tmp_path, LANG="ru_RU.UTF-8")["shown"]["campaign new --help"]
    assert "Название кампании" in shown
    shown = _run_dump(tmp_path, LANG="ru_RU.UTF-8", LC_ALL="C.UTF-8")["shown"]["--help"]
    assert "Database migrations" in shown and not CYRILLIC.search(shown)


@pytest.mark.parametrize(
    ("environ", "dotenv", "lang"),
    [
        ({"TGASSIST_LANGUAGE": "en", "LANG": "ru_RU.UTF-8"}, None, "en"),
        ({"TGASSIST_LANGUAGE": "RU ", "LANG": "C.UTF-8"}, None, "ru"),
        ({"LANG": "ru_RU.UTF-8"}, None, "ru"),
        ({"LANG": "ru_RU.UTF-8", "LC_MESSAGES": "en_GB.UTF-8"}, None, "en"),
        ({"LANG": "en_US.UTF-8", "LC_ALL": "ru_UA.UTF-8"}, None, "ru"),
        ({"LANG": "C.UTF-8"}, None, "en"),
        ({}, None, "en"),
        ({"LANG": "ru_RU.UTF-8"}, "TGASSIST_LANGUAGE=en\n", "en"),
        ({"TGASSIST_LANGUAGE": "ru"}, "TGASSIST_LANGUAGE=en\n", "ru"),
        # a wrong value: the settings will refuse it; until then the locale speaks
        ({"TGASSIST_LANGUAGE": "de", "LANG": "ru_RU.UTF-8"}, None, "ru"),
    ],
)
def test_cli_language(
    tmp_path: Path, environ: dict[str, str], dotenv: str | None, lang: str
) -> None:
    env_file = tmp_path / ".env"
    if dotenv is not None:
        env_file.write_text(dotenv, encoding="utf-8")
    assert cli_language(environ, env_file) == lang

"""A yes/no question of the CLI (`campaign delete` without --yes) speaks TGASSIST_LANGUAGE: the
question's «[д/Н]», the answers it takes (д/да/н/нет as well as y/yes/n/no), the nudge after
another answer, and «Прервано.» when the answer is no."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.cli.test_help import run_json

# Runs in a fresh interpreter: Typer's texts are set once, when the CLI is imported.
ASK = """
import json, sys
from typer.testing import CliRunner
from tgassist.cli import app

runner = CliRunner()
out = {}
for answer in json.loads(sys.argv[1]):
    r = runner.invoke(app, ["campaign", "delete", "5"], input=answer, prog_name="tgassist")
    out[answer] = {"code": r.exit_code, "out": r.stdout, "err": r.stderr}
json.dump(out, sys.stdout, ensure_ascii=False)
"""
ANSWERS = ["x\nнет\n", "\n", "n\n", "д\n", "yes\n"]


@pytest.fixture(scope="module")
def asked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("cli-confirm")
    return {
        lang: run_json(
            tmp,
            ASK,
            json.dumps(ANSWERS),
            timeout=120,
            TGASSIST_LANGUAGE=lang,
            TGASSIST_DATA_DIR=str(tmp / lang),
        )
        for lang in ("ru", "en")
    }


@pytest.mark.parametrize(
    ("lang", "question", "again", "aborted", "not_found"),
    [
        (
            "ru",
            "Удалить кампанию №5? [д/Н]: ",
            "Ответьте «да» или «нет» (д/н).",
            "Прервано.",
            "Кампания №5 не найдена",
        ),
        (
            "en",
            "Delete campaign #5? [y/N]: ",
            "Please answer yes or no (y/n).",
            "Aborted.",
            "Campaign #5 not found",
        ),
    ],
)
def test_the_question_and_its_answers(
    asked: dict[str, dict[str, dict[str, Any]]],
    lang: str,
    question: str,
    again: str,
    aborted: str,
    not_found: str,
) -> None:
    shown = asked[lang]
    # another answer: asked again; then no
    assert shown["x\nнет\n"]["out"] == question * 2
    assert shown["x\nнет\n"]["err"] == f"{again}\n{aborted}\n"
    for no in ("\n", "n\n"):  # no is the default
        assert shown[no]["out"] == question and shown[no]["err"] == f"{aborted}\n"
        assert shown[no]["code"] == 1
    for yes in ("д\n", "yes\n"):  # yes in either language: the command goes on to the campaign
        assert shown[yes]["out"] == question and not_found in shown[yes]["err"], shown[yes]
        assert aborted not in shown[yes]["err"]

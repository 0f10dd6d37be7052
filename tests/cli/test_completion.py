"""`--install-completion` and `--show-completion` speak TGASSIST_LANGUAGE: what they report, and
why they refuse (a shell without completion, a shell not found, a broken completion script's
instruction) are catalogue texts (`cli.completion.*`), Typer's English in English."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_errors import LATIN_WORD, QUOTED
from tests.cli.test_help import CYRILLIC, _clean_env, english_chrome

# Runs the CLI as its script does, in a fresh interpreter (Typer's texts are set on import).
# "undetected": a machine where no shell is found (shellingham, the probe Typer asks, fails).
CLI = """
import sys
if sys.argv[1] == "undetected":
    import shellingham

    def detect_shell(*args, **kwargs):
        raise shellingham.ShellDetectionFailure()

    shellingham.detect_shell = detect_shell
from tgassist.cli import app
app(args=sys.argv[2:], prog_name="tgassist")
"""
SHELLS = "bash, zsh, fish, powershell, pwsh"


def _cli(
    tmp: Path, lang: str, *args: str, probe: str = "detected", sh: bool = False, **env: str
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", CLI, probe, *args]
    if sh:  # started from `sh`, a shell Typer has no completion for
        command = ["sh", "-c", '"$0" "$@"; exit $?', *command]
    return subprocess.run(
        command,
        cwd=tmp,
        env=_clean_env(HOME=str(tmp), TGASSIST_LANGUAGE=lang, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _russian(text: str) -> None:
    """Nothing English: what is Latin is quoted, an option, a path or a shell's name."""
    assert set(LATIN_WORD.findall(QUOTED.sub("", text))) <= set(SHELLS.split(", ")), text
    for piece in english_chrome():
        assert piece not in text, piece


CHOSEN = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}  # the shell is named, not found


def test_install_reports_where_in_both_languages(tmp_path: Path) -> None:
    script = tmp_path / ".bash_completions" / "tgassist.sh"
    for lang, installed, restart in (
        ("ru", "Автодополнение для bash установлено в", "когда вы перезапустите терминал"),
        ("en", "bash completion installed in", "Completion will take effect once you restart"),
    ):
        r = _cli(tmp_path, lang, "--install-completion", "bash", **CHOSEN)
        assert r.returncode == 0, r.stderr
        assert f"{installed} {script}" in r.stdout and restart in r.stdout
        assert "_tgassist_completion" in script.read_text(encoding="utf-8")
    ru = _cli(tmp_path, "ru", "--install-completion", "bash", **CHOSEN).stdout
    _russian(ru.replace(str(script), ""))


def test_show_prints_the_script(tmp_path: Path) -> None:
    for lang in ("ru", "en"):
        r = _cli(tmp_path, lang, "--show-completion", "zsh", **CHOSEN)
        assert r.returncode == 0 and "#compdef tgassist" in r.stdout, r.stderr


@pytest.mark.parametrize("option", ["--install-completion", "--show-completion"])
def test_a_shell_without_completion_is_named(tmp_path: Path, option: str) -> None:
    ru = _cli(tmp_path, "ru", option, sh=True)
    assert ru.returncode == 1
    assert f"Оболочка sh не поддерживается (автодополнение есть для {SHELLS})" in ru.stderr
    _russian(ru.stderr)
    en = _cli(tmp_path, "en", option, sh=True)
    assert en.returncode == 1 and "Shell sh is not supported" in en.stderr
    assert not (tmp_path / ".bashrc").exists() and not (tmp_path / ".zshrc").exists()


@pytest.mark.parametrize("option", ["--install-completion", "--show-completion"])
def test_a_shell_not_found_is_told(tmp_path: Path, option: str) -> None:
    ru = _cli(tmp_path, "ru", option, probe="undetected")
    assert ru.returncode == 1
    assert f"Не удалось определить оболочку (автодополнение есть для {SHELLS})" in ru.stderr
    _russian(ru.stderr)
    en = _cli(tmp_path, "en", option, probe="undetected")
    assert en.returncode == 1 and "Could not detect the shell" in en.stderr
    assert not CYRILLIC.search(en.stderr)


def test_a_broken_completion_instruction_is_told(tmp_path: Path) -> None:
    ru = _cli(tmp_path, "ru", _TGASSIST_COMPLETE="complete_tcsh")
    assert ru.returncode == 1
    assert "Неверная инструкция автодополнения complete_tcsh" in ru.stderr
    _russian(ru.stderr.replace("complete_tcsh", ""))
    en = _cli(tmp_path, "en", _TGASSIST_COMPLETE="complete_tcsh")
    assert en.returncode == 1 and "Invalid completion instruction complete_tcsh" in en.stderr
    # what an installed script asks still completes
    ok = _cli(
        tmp_path,
        "ru",
        _TGASSIST_COMPLETE="complete_bash",
        COMP_WORDS="tgassist cha",
        COMP_CWORD="1",
    )
    assert ok.returncode == 0 and ok.stdout.split() == ["channels"], ok.stderr

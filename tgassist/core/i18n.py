"""Messages as keys: gettext catalogues (one .po file per area and language) read with Babel.

`tgassist/locales/{ru,en}/LC_MESSAGES/<domain>.po`: msgid is the dotted key
(`campaigns.brief.url_invalid`), msgstr the text with `{name}` placeholders (str.format).
Every door renders a key in its user's language with `t(key, lang, **params)`; services hold keys,
never sentences.
"""

from __future__ import annotations

import string
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES: tuple[str, ...] = ("ru", "en")
_default_language = "ru"
_lock = threading.Lock()
_catalogues: dict[str, dict[str, str]] | None = None


def load_catalogues(root: Path = LOCALES_DIR) -> dict[str, dict[str, str]]:
    """{lang: {key: text}} from every domain file under `root` (later domains never overwrite)."""
    from babel.messages.pofile import read_po

    out: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        texts: dict[str, str] = {}
        for po in sorted((root / lang / "LC_MESSAGES").glob("*.po")):
            with po.open("rb") as fh:
                catalog = read_po(fh, locale=lang, domain=po.stem)
            for msg in catalog:
                if msg.id and isinstance(msg.id, str) and msg.string:
                    texts.setdefault(msg.id, str(msg.string))
        out[lang] = texts
    return out


def catalogues() -> dict[str, dict[str, str]]:
    global _catalogues
    if _catalogues is None:
        with _lock:
            if _catalogues is None:
                _catalogues = load_catalogues()
    return _catalogues


def reload() -> None:
    """Drop the cached catalogues (tests that edit them, a hot reload)."""
    global _catalogues
    _catalogues = None


def set_default_language(lang: str) -> None:
    """The language of `t(key)` without one, and of unknown languages (from settings)."""
    global _default_language
    _default_language = normalize_language(lang, "ru")


def default_language() -> str:
    return _default_language


def normalize_language(code: str | None, fallback: str | None = None) -> str:
    """'ru-RU' → 'ru', 'en_US' → 'en'; Belarusian/Ukrainian/Kazakh readers get Russian;
    anything else → `fallback` (the default language when not given)."""
    base = (code or "").replace("_", "-").split("-")[0].strip().lower()
    if base in LANGUAGES:
        return base
    if base in ("be", "uk", "kk", "ky", "uz", "tg"):
        return "ru"
    return fallback or _default_language


def locale_language(environ: Mapping[str, str]) -> str:
    """The operator's language from the system locale, as POSIX reads it: the first of LC_ALL,
    LC_MESSAGES, LANG that is set; `ru…` → ru, anything else (C, POSIX, en_US, de_DE …) → en.
    The default of TGASSIST_LANGUAGE."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "").strip()
        if value:
            return "ru" if value.lower().startswith("ru") else "en"
    return "en"


class _Params(dict[str, Any]):
    """Format mapping that leaves an unknown placeholder visible instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def t(key: str, lang: str | None = None, /, **params: Any) -> str:
    """The text of `key` in `lang` (unknown language → default; missing text → the other
    language, then the key itself, with a warning)."""
    cats = catalogues()
    lang = lang if lang in cats else _default_language
    text = cats.get(lang, {}).get(key)
    if text is None:
        for other in LANGUAGES:
            text = cats.get(other, {}).get(key)
            if text is not None:
                break
        log.warning("message key missing", key=key, lang=lang)
        if text is None:
            return key
    if not params:
        return text
    # a parameter that is itself a message (a Msg, a LocalizedError) speaks the same language
    params = {k: _nested(v, lang) for k, v in params.items()}
    try:
        return string.Formatter().vformat(text, (), _Params(params))
    except (ValueError, IndexError, AttributeError) as err:
        log.warning("message format failed", key=key, lang=lang, error=str(err))
        return text


def _nested(value: Any, lang: str) -> Any:
    render = getattr(value, "render", None)
    if isinstance(value, Msg) or (callable(render) and hasattr(value, "key")):
        return render(lang)  # type: ignore[misc]
    if _is_stored_msg(value):
        return t(value["key"], lang, **value["params"])
    return value


def _is_stored_msg(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"key", "params"}
        and isinstance(value["key"], str)
        and isinstance(value["params"], dict)
    )


def render_stored(value: Any, lang: str | None = None) -> str:
    """A stored message (`{"key", "params"}`, from `Msg.to_dict()`), a `Msg` or a LocalizedError
    in `lang`; anything else (a note stored as plain text before it was a key) as it is."""
    return str(_nested(value, lang if lang in catalogues() else _default_language))


def stored_msg(value: Any) -> Msg | str:
    """A stored message (`{"key", "params"}`) as a `Msg`; anything else as text."""
    if _is_stored_msg(value):
        return Msg(value["key"], dict(value["params"]))
    return str(value)


def storable_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as JSON can hold them: a parameter that is a message (a Msg, a LocalizedError)
    becomes `{"key", "params"}`, which `t` renders again in the reader's language."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        msg = value if isinstance(value, Msg) else getattr(value, "msg", None)
        out[name] = msg.to_dict() if isinstance(msg, Msg) else value
    return out


def placeholders(text: str) -> set[str]:
    """Names of the `{name}` placeholders of a catalogue text."""
    names: set[str] = set()
    for _, name, _, _ in string.Formatter().parse(text):
        if name is not None and name != "":
            names.add(name.split(".")[0].split("[")[0])
    return names


@dataclass(frozen=True)
class Msg:
    """A message key with its parameters: what services return, what doors render."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, lang: str | None = None) -> str:
        return t(self.key, lang, **self.params)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "params": storable_params(self.params)}

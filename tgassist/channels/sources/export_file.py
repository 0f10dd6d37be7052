"""Reading `result.json` of a Telegram Desktop export: every way it can be broken gets its own answer.

Truncated (a copy or an export that stopped half-way, even in the middle of a multi-byte letter),
not UTF-8, not JSON, nested too deeply, a whole-account export, a group instead of a channel: each
is an `ExportError` naming the file and what to do. Strings PostgreSQL cannot store (NUL, lone
UTF-16 surrogates from `\\ud800` escapes) are repaired here, once, so no record fails in the DB.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tgassist.channels.sources.base import SourceError
from tgassist.core.errors import LocalizedError

# Telegram Desktop's chat types (export_output_json.cpp). Only channels are followed.
CHANNEL_KINDS = {"public_channel", "private_channel"}
_LITERALS = ("true", "false", "null", "NaN", "Infinity", "-Infinity", "-")


class ExportError(SourceError, LocalizedError):
    """An export that cannot be imported; a message key (channels_import.export.*) and params."""


def read_export(path: Path | str) -> tuple[Path, dict[str, Any]]:
    """(result.json, its data) for an export folder or its result.json; ExportError otherwise."""
    path = Path(path).expanduser()
    file = path / "result.json" if path.is_dir() else path
    if not file.exists():
        raise ExportError("channels_import.export.not_found", file=str(file))
    try:
        raw = file.read_bytes()
    except OSError as err:
        raise ExportError(
            "channels_import.export.unreadable", file=str(file), reason=err.strerror or str(err)
        ) from err
    data = _parse(file, raw)
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        key = (
            "channels_import.export.whole_account"
            if isinstance(data, dict) and "chats" in data
            else "channels_import.export.no_messages"
        )
        raise ExportError(key, file=str(file))
    kind = data.get("type")
    if kind is not None and kind not in CHANNEL_KINDS:
        raise ExportError("channels_import.export.not_channel", file=str(file), kind=str(kind)[:40])
    return file, data


def _parse(file: Path, raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        if err.reason == "unexpected end of data" and err.end >= len(raw):
            # cut in the middle of a multi-byte letter: truncated, not "not UTF-8"
            raise ExportError(
                "channels_import.export.truncated", file=str(file), size=len(raw)
            ) from err
        raise ExportError(
            "channels_import.export.not_utf8", file=str(file), offset=err.start
        ) from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        if _cut_off(text, err):
            raise ExportError(
                "channels_import.export.truncated", file=str(file), size=len(raw)
            ) from err
        raise ExportError(
            "channels_import.export.not_json",
            file=str(file),
            reason=err.msg,
            line=err.lineno,
            column=err.colno,
        ) from err
    except RecursionError as err:
        raise ExportError("channels_import.export.too_deep", file=str(file)) from err
    if "\\u" in text and ("\\u0000" in text or "\\ud" in text.lower()):
        data = _repair_strings(data)
    return data


def _cut_off(text: str, err: json.JSONDecodeError) -> bool:
    """Whether the parse failed because the document simply stops (not because it is not JSON)."""
    end = len(text.rstrip())
    if err.pos == 0:
        return False
    if err.pos >= end - 1:
        return True
    rest = text[err.pos : end]
    if err.msg.startswith("Expecting value"):  # cut inside a literal: "tru", "nul", "-"
        return any(word.startswith(rest) for word in _LITERALS)
    # "Unterminated string starting at …": the string runs to the end of the file
    return err.msg.startswith("Unterminated string") and '"' not in rest[1:]


def _clean(s: str) -> str:
    if "\x00" in s:
        s = s.replace("\x00", "")
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a "\ud83d" escape: not storable anywhere
        s = s.encode("utf-8", "replace").decode("utf-8")
    return s


def _repair_strings(data: Any) -> Any:
    """NUL and lone surrogates out of every string (keys too), iteratively: no recursion limit."""
    root = [data]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        parent, key = stack.pop()
        value = parent[key]
        if isinstance(value, str):
            parent[key] = _clean(value)
        elif isinstance(value, list):
            stack.extend((value, i) for i in range(len(value)))
        elif isinstance(value, dict):
            fixed = {_clean(k) if isinstance(k, str) else k: v for k, v in value.items()}
            parent[key] = fixed
            stack.extend((fixed, k) for k in fixed)
    return root[0]


__all__ = ["CHANNEL_KINDS", "ExportError", "read_export"]

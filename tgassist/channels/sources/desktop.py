"""Telegram Desktop export reader: `result.json` of one channel, with its `photos/` and `files/`.

Exports do not mark albums. We detect them: consecutive media messages from the same sender
with the same `date_unixtime`, the caption (text) on the first, at most 10 items. Such a run gets
the synthetic `grouped_id = -<id of its first message>` (negative, so it never collides with
Telegram's own positive grouped ids).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tgassist.channels.sources.base import (
    MISSING_FILE,
    MISSING_NOT_EXPORTED,
    ChannelInfo,
    RawMedia,
    RawMessage,
    SourceError,
)

ALBUM_MAX_ITEMS = 10
# Media types Telegram can put in an album (stickers, voice and round videos cannot be grouped).
ALBUM_KINDS = {"photo", "video_file", "file", "audio_file"}
_EXPORT_HELP = (
    "Export the channel again in Telegram Desktop (channel menu → Export chat history, "
    "format: Machine-readable JSON) and import the folder that holds result.json."
)


@dataclass
class ExportStats:
    """What reading the export skipped or could not find."""

    messages: int = 0
    service: int = 0
    unknown: int = 0
    invalid: int = 0
    missing_media: int = 0

    @property
    def skipped(self) -> int:
        return self.service + self.unknown + self.invalid


class DesktopExport:
    """A Telegram Desktop export of one channel; `messages()` yields `RawMessage`s in id order."""

    def __init__(self, root: Path, data: dict[str, Any], file: Path) -> None:
        self.root = root
        self.file = file
        self.data = data
        self.stats = ExportStats()
        self._parsed: list[RawMessage] | None = None

    @classmethod
    def open(cls, path: Path | str) -> DesktopExport:
        """Read and validate `path` (an export folder or its result.json); errors name the file."""
        path = Path(path).expanduser()
        file = path / "result.json" if path.is_dir() else path
        if not file.exists():
            raise SourceError(f"{file} does not exist. {_EXPORT_HELP}")
        try:
            data = json.loads(file.read_bytes())
        except json.JSONDecodeError as err:
            raise SourceError(
                f"{file} is not valid JSON ({err.msg} at line {err.lineno}, column {err.colno}); the file is "
                f"truncated or is not a Telegram Desktop export. {_EXPORT_HELP}"
            ) from err
        except UnicodeDecodeError as err:
            raise SourceError(f"{file} is not valid JSON (not UTF-8 text). {_EXPORT_HELP}") from err
        except OSError as err:
            raise SourceError(f"{file} cannot be read ({err}). {_EXPORT_HELP}") from err
        if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
            hint = (
                " It is a whole-account export; export a single channel instead."
                if isinstance(data, dict) and "chats" in data
                else ""
            )
            raise SourceError(
                f"{file} has no `messages` list: not a Telegram Desktop chat export.{hint} {_EXPORT_HELP}"
            )
        return cls(file.parent.resolve(), data, file)

    async def info(self) -> ChannelInfo:
        raw_id = self.data.get("id")
        return ChannelInfo(
            telegram_id=int(raw_id)
            if isinstance(raw_id, int | str) and str(raw_id).isdigit()
            else None,
            username=None,
            title=self.data.get("name"),
        )

    def parse(self) -> list[RawMessage]:
        """Every regular message, with album ids filled in; counts skips in `stats`."""
        if self._parsed is None:
            self.stats = ExportStats()
            self._parsed = self._parse()
        return self._parsed

    async def messages(self, min_id: int = 0) -> AsyncIterator[RawMessage]:
        for msg in self.parse():
            if msg.message_id > min_id:
                yield msg

    def batches(self, size: int) -> Iterator[list[RawMessage]]:
        """Messages in batches of about `size`, never cutting an album in two."""
        batch: list[RawMessage] = []
        for msg in self.parse():
            if len(batch) >= size and (
                msg.grouped_id is None or msg.grouped_id != batch[-1].grouped_id
            ):
                yield batch
                batch = []
            batch.append(msg)
        if batch:
            yield batch

    # --- parsing -------------------------------------------------------------------------------

    def _parse(self) -> list[RawMessage]:
        out: list[RawMessage] = []
        run: list[tuple[RawMessage, dict[str, Any]]] = []  # current album candidate

        def close_run() -> None:
            if len(run) >= 2:
                gid = -run[0][0].message_id
                for m, _ in run:
                    m.grouped_id = gid
            run.clear()

        for item in self.data["messages"]:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind == "service":
                self.stats.service += 1
                close_run()
                continue
            if kind != "message":
                if kind is None:
                    self.stats.invalid += 1
                else:
                    self.stats.unknown += 1
                close_run()
                continue
            try:
                msg = self._message(item)
            except (KeyError, TypeError, ValueError):
                self.stats.invalid += 1
                close_run()
                continue
            self.stats.messages += 1
            self.stats.missing_media += sum(1 for m in msg.media if m.missing)
            if not _album_candidate(msg):
                close_run()
            elif run and not _continues(run[-1][1], item, msg, len(run)):
                close_run()
                run.append((msg, item))
            else:
                run.append((msg, item))
            out.append(msg)
        close_run()
        out.sort(key=lambda m: m.message_id)
        return out

    def _message(self, item: dict[str, Any]) -> RawMessage:
        text, entities = _text(
            item.get("text_entities") if "text_entities" in item else item.get("text", "")
        )
        reply = item.get("reply_to_message_id")
        return RawMessage(
            message_id=int(item["id"]),
            date=_date(item, "date"),
            edit_date=_date(item, "edited")
            if ("edited" in item or "edited_unixtime" in item)
            else None,
            text=text,
            entities=entities,
            author=item.get("author"),
            sender_id=item.get("from_id") or item.get("from"),
            views=item.get("views") if isinstance(item.get("views"), int) else None,
            forwards=item.get("forwards") if isinstance(item.get("forwards"), int) else None,
            reactions=_reactions(item.get("reactions")),
            forward_from=item.get("forwarded_from") or item.get("saved_from"),
            forward_from_id=_peer_id(item.get("forwarded_from_id")),
            reply_to_message_id=int(reply) if isinstance(reply, int) else None,
            media=self._media(item),
        )

    def _media(self, item: dict[str, Any]) -> list[RawMedia]:
        if "photo" in item:
            return [
                self._file(
                    item["photo"],
                    RawMedia(
                        kind="photo",
                        mime="image/jpeg",
                        size=item.get("photo_file_size"),
                        width=item.get("width"),
                        height=item.get("height"),
                    ),
                )
            ]
        if "file" in item:
            return [
                self._file(
                    item["file"],
                    RawMedia(
                        kind=item.get("media_type") or "file",
                        mime=item.get("mime_type"),
                        size=item.get("file_size"),
                        width=item.get("width"),
                        height=item.get("height"),
                        duration=item.get("duration_seconds"),
                        file_name=item.get("file_name"),
                    ),
                )
            ]
        return []

    def _file(self, rel: Any, media: RawMedia) -> RawMedia:
        # "(File not included. Change data exporting settings to download.)" and the like
        if not isinstance(rel, str) or not rel or rel.startswith("("):
            media.missing = MISSING_NOT_EXPORTED
            return media
        clean = os.path.normpath(rel)  # no `..` escape from the export folder
        path = self.root / clean
        if os.path.isabs(clean) or clean.startswith("..") or not path.is_file():
            media.missing = MISSING_FILE
            media.file_name = media.file_name or Path(rel).name
            return media
        media.path = path
        return media


def _album_candidate(msg: RawMessage) -> bool:
    return bool(msg.media) and msg.media[0].kind in ALBUM_KINDS and msg.forward_from is None


def _continues(prev: dict[str, Any], item: dict[str, Any], msg: RawMessage, size: int) -> bool:
    """Whether `item` joins the album run ending with `prev` (caption only on the first item)."""
    return (
        size < ALBUM_MAX_ITEMS
        and not msg.text
        and item.get("date_unixtime", item.get("date"))
        == prev.get("date_unixtime", prev.get("date"))
        and (item.get("from_id") or item.get("from")) == (prev.get("from_id") or prev.get("from"))
    )


def _date(item: dict[str, Any], name: str) -> datetime:
    unix = item.get(f"{name}_unixtime")
    if unix is not None:
        return datetime.fromtimestamp(int(unix), UTC)
    # Older exports carry only the exporter's local time; taken as UTC.
    parsed = datetime.fromisoformat(str(item[name]))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


_EXTRA_KEYS = (("user_id", "user_id"), ("document_id", "document_id"), ("language", "language"))


def _text(raw: Any) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities (UTF-16 offsets) from a string or a mixed string/object array."""
    if isinstance(raw, str):
        return raw, []
    parts: list[str] = []
    entities: list[dict[str, Any]] = []
    offset = 0
    for part in raw or ():
        if part.__class__ is str:
            chunk, kind = part, None
        elif isinstance(part, dict):
            chunk = part.get("text", "")
            if chunk.__class__ is not str:
                chunk = str(chunk)
            kind = part.get("type")
            if kind == "plain":
                kind = None
        else:
            raise TypeError("text part is neither a string nor an object")
        # UTF-16 length (Telegram's unit): astral characters such as most emoji count twice
        length = len(chunk) if chunk.isascii() else len(chunk.encode("utf-16-le")) >> 1
        if kind is not None:
            entity: dict[str, Any] = {
                "type": kind,
                "offset": offset,
                "length": length,
                "text": chunk,
            }
            href = part.get("href")
            if href:
                entity["url"] = href
            elif kind == "link":
                entity["url"] = chunk
            for src, dst in _EXTRA_KEYS:
                if src in part and part[src]:
                    entity[dst] = part[src]
            entities.append(entity)
        parts.append(chunk)
        offset += length
    return "".join(parts), entities


def _reactions(raw: Any) -> list[dict[str, Any]]:
    out = []
    for r in raw or []:
        if not isinstance(r, dict):
            continue
        entry: dict[str, Any] = {"type": r.get("type", "emoji"), "count": int(r.get("count") or 0)}
        if r.get("emoji"):
            entry["emoji"] = r["emoji"]
        if r.get("document_id"):
            entry["document_id"] = r["document_id"]
        out.append(entry)
    return out


def _peer_id(raw: Any) -> int | None:
    """`channel123` / `user123` → 123."""
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        digits = raw.lstrip("abcdefghijklmnopqrstuvwxyz")
        return int(digits) if digits.isdigit() else None
    return None

"""Telegram Desktop export reader: `result.json` of one channel, with its `photos/` and `files/`.

Exports do not mark albums. We detect them: consecutive media messages from the same sender
with the same `date_unixtime`, the caption (text) on the first, at most 10 items. Such a run gets
the synthetic `grouped_id = -<id of its first message>` (negative, so it never collides with
Telegram's own positive grouped ids).

Every record is checked by `export_models` first: one that does not fit is skipped and counted
with its reason, never half-read. Exports made before Telegram Desktop wrote `date_unixtime`
carry only the exporter's local time: those are read in the zone given (`timezone`), and the
count of such messages is reported, with the zone used and whether it was assumed.
Exports from before 2021 write a channel's id in Telegram Desktop's old peer encoding (the id
plus 2**33); `info()` gives the real id, so both exports land in one channel.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from tgassist.channels.sources.base import (
    MISSING_FILE,
    MISSING_NOT_EXPORTED,
    ChannelInfo,
    RawMedia,
    RawMessage,
)
from tgassist.channels.sources.export_file import CHANNEL_KINDS, read_export
from tgassist.channels.sources.export_models import ExportMessage, TextPart, validate_message

ALBUM_MAX_ITEMS = 10
# Media types Telegram can put in an album (stickers, voice and round videos cannot be grouped).
ALBUM_KINDS = {"photo", "video_file", "file", "audio_file"}
# Telegram Desktop before 2.6 (2021) wrote peer ids with a type shift; channels got 2**33 added.
LEGACY_CHANNEL_SHIFT = 2**33
INVALID_EXAMPLES = 5


@dataclass
class ExportStats:
    """What reading the export skipped or could not find."""

    messages: int = 0
    service: int = 0
    unknown: int = 0
    invalid: int = 0
    missing_media: int = 0
    local_times: int = 0  # messages with only a local time (no date_unixtime)
    invalid_examples: list[str] = field(default_factory=list)  # "#12: views: …" (the first few)

    def reject(self, where: str, reason: str) -> None:
        self.invalid += 1
        if len(self.invalid_examples) < INVALID_EXAMPLES:
            self.invalid_examples.append(f"{where}: {reason}"[:200])

    @property
    def skipped(self) -> int:
        return self.service + self.unknown + self.invalid


class DesktopExport:
    """A Telegram Desktop export of one channel; `messages()` yields `RawMessage`s in id order."""

    def __init__(
        self, root: Path, data: dict[str, Any], file: Path, timezone: tzinfo | None = None
    ) -> None:
        self.root = root
        self.file = file
        self.data = data
        self.timezone = timezone or UTC
        self.timezone_assumed = timezone is None  # UTC taken for local times: say so
        self.stats = ExportStats()
        self._parsed: list[RawMessage] | None = None

    @classmethod
    def open(cls, path: Path | str, timezone: tzinfo | None = None) -> DesktopExport:
        """Read and check `path` (an export folder or its result.json); errors name the file.

        `timezone`: the zone of the computer that made the export, for exports without
        `date_unixtime` (their times are local); UTC, reported as assumed, when not given.
        """
        file, data = read_export(path)
        return cls(file.parent.resolve(), data, file, timezone)

    @property
    def kind(self) -> str:
        return str(self.data.get("type") or "public_channel")

    @property
    def raw_id(self) -> int | None:
        raw = self.data.get("id")
        if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit():
            return None
        value = int(raw)
        return value if 0 < value < 2**63 else None

    @property
    def legacy_id(self) -> bool:
        """Whether the export's id is in the pre-2021 encoding (channel id + 2**33)."""
        raw = self.raw_id
        return (
            raw is not None
            and self.kind in CHANNEL_KINDS
            and LEGACY_CHANNEL_SHIFT <= raw < LEGACY_CHANNEL_SHIFT + 2**32
        )

    async def info(self) -> ChannelInfo:
        raw = self.raw_id
        if raw is not None and self.legacy_id:
            real = raw - LEGACY_CHANNEL_SHIFT
            return ChannelInfo(
                telegram_id=real, username=None, title=self._title(), legacy_ids=(raw,)
            )
        legacy = (
            (raw + LEGACY_CHANNEL_SHIFT,) if raw is not None and raw < 2**32 else ()
        )  # an older import of the same channel may have stored the old encoding
        return ChannelInfo(telegram_id=raw, username=None, title=self._title(), legacy_ids=legacy)

    def _title(self) -> str | None:
        name = self.data.get("name")
        return name[:300] if isinstance(name, str) and name else None

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

        for n, item in enumerate(self.data["messages"]):
            kind = item.get("type") if isinstance(item, dict) else None
            if kind == "service":
                self.stats.service += 1
                close_run()
                continue
            if kind != "message":
                if kind is None:
                    self.stats.reject(f"record {n + 1}", "not a message object")
                else:
                    self.stats.unknown += 1
                close_run()
                continue
            try:
                record = validate_message(item)
                msg = self._message(record)
            except (TypeError, ValueError, OverflowError) as err:
                where = item.get("id") if isinstance(item.get("id"), int) else f"record {n + 1}"
                self.stats.reject(f"#{where}" if isinstance(where, int) else where, str(err))
                close_run()
                continue
            self.stats.messages += 1
            if record.date_unixtime is None and record.date.tzinfo is None:
                self.stats.local_times += 1
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

    def _message(self, item: ExportMessage) -> RawMessage:
        raw_text = item.text_entities if item.text_entities is not None else item.text
        text, entities = _text(raw_text)
        return RawMessage(
            message_id=item.id,
            date=self._date(item.date, item.date_unixtime),
            edit_date=self._date(item.edited, item.edited_unixtime)
            if (item.edited is not None or item.edited_unixtime is not None)
            else None,
            text=text,
            entities=entities,
            author=item.author,
            sender_id=_str(item.from_id) or item.from_,
            views=item.views,
            forwards=item.forwards,
            reactions=[
                {
                    "type": r.type,
                    "count": r.count,
                    **({"emoji": r.emoji} if r.emoji else {}),
                    **({"document_id": r.document_id} if r.document_id else {}),
                }
                for r in item.reactions
            ],
            forward_from=item.forwarded_from or item.saved_from,
            forward_from_id=_peer_id(item.forwarded_from_id),
            reply_to_message_id=item.reply_to_message_id,
            media=self._media(item),
        )

    def _date(self, local: datetime | None, unix: int | None) -> datetime:
        if unix is not None:
            return datetime.fromtimestamp(unix, UTC)
        if local is None:
            raise ValueError("edited_unixtime without edited")
        if local.tzinfo is not None:
            return local.astimezone(UTC)
        return local.replace(tzinfo=self.timezone).astimezone(UTC)

    def _media(self, item: ExportMessage) -> list[RawMedia]:
        if item.photo is not None:
            return [
                self._file(
                    item.photo,
                    RawMedia(
                        kind="photo",
                        mime="image/jpeg",
                        size=item.photo_file_size,
                        width=item.width,
                        height=item.height,
                    ),
                )
            ]
        if item.file is not None:
            return [
                self._file(
                    item.file,
                    RawMedia(
                        kind=item.media_type or "file",
                        mime=item.mime_type,
                        size=item.file_size,
                        width=item.width,
                        height=item.height,
                        duration=item.duration_seconds,
                        file_name=item.file_name,
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


_EXTRA_KEYS = ("user_id", "document_id", "language")


def _text(raw: str | Sequence[str | TextPart]) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities (UTF-16 offsets) from a string or a mixed string/object array."""
    if isinstance(raw, str):
        return raw, []
    parts: list[str] = []
    entities: list[dict[str, Any]] = []
    offset = 0
    for part in raw:
        if isinstance(part, str):
            chunk, kind = part, None
        else:
            chunk, kind = part.text, (None if part.type == "plain" else part.type)
        # UTF-16 length (Telegram's unit): astral characters such as most emoji count twice
        length = len(chunk) if chunk.isascii() else len(chunk.encode("utf-16-le")) >> 1
        if kind is not None and not isinstance(part, str):
            entity: dict[str, Any] = {
                "type": kind,
                "offset": offset,
                "length": length,
                "text": chunk,
            }
            if part.href:
                entity["url"] = part.href
            elif kind == "link":
                entity["url"] = chunk
            for name in _EXTRA_KEYS:
                value = getattr(part, name)
                if value:
                    entity[name] = value
            entities.append(entity)
        parts.append(chunk)
        offset += length
    return "".join(parts), entities


def _str(value: str | int | None) -> str | None:
    return None if value is None else str(value)


def _peer_id(raw: Any) -> int | None:
    """`channel123` / `user123` → 123."""
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        digits = raw.lstrip("abcdefghijklmnopqrstuvwxyz")
        return int(digits) if digits.isdigit() else None
    return None

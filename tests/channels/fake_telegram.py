"""A fake Telethon client serving Telethon's own TL objects (Message, Channel …) from memory.

It implements only what `TelethonSource` uses: `get_entity`, `iter_messages(entity, min_id,
reverse, limit)` and `download_media(msg, file=bytes)`. Faults are scripted per message id:
a `FloodWaitError` (constructed as Telethon does, around the request that failed), a network
error, or a failing download.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from telethon.errors import FloodWaitError
from telethon.tl import functions, types

BASE_DATE = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)


def flood_wait(seconds: int, channel_id: int = 1) -> FloodWaitError:
    request = functions.messages.GetHistoryRequest(
        peer=types.InputPeerChannel(channel_id, 0),
        offset_id=0,
        offset_date=None,
        add_offset=0,
        limit=100,
        max_id=0,
        min_id=0,
        hash=0,
    )
    return FloodWaitError(request=request, capture=seconds)


def photo(photo_id: int, w: int = 800, h: int = 600, size: int = 2048) -> types.MessageMediaPhoto:
    return types.MessageMediaPhoto(
        photo=types.Photo(
            id=photo_id,
            access_hash=1,
            file_reference=b"",
            date=BASE_DATE,
            dc_id=2,
            sizes=[
                types.PhotoStrippedSize(type="i", bytes=b"\x01"),
                types.PhotoSize(type="m", w=w // 2, h=h // 2, size=size // 4),
                types.PhotoSize(type="y", w=w, h=h, size=size),
            ],
        )
    )


def video(doc_id: int, size: int = 4096, name: str = "clip.mp4") -> types.MessageMediaDocument:
    return types.MessageMediaDocument(
        document=types.Document(
            id=doc_id,
            access_hash=1,
            file_reference=b"",
            date=BASE_DATE,
            mime_type="video/mp4",
            size=size,
            dc_id=2,
            attributes=[
                types.DocumentAttributeVideo(duration=12.5, w=1280, h=720),
                types.DocumentAttributeFilename(file_name=name),
            ],
        )
    )


def message(msg_id: int, text: str = "", channel_id: int = 1, **kw: Any) -> types.Message:
    kw.setdefault("date", BASE_DATE + timedelta(minutes=msg_id))
    return types.Message(
        id=msg_id, peer_id=types.PeerChannel(channel_id), message=text, post=True, **kw
    )


def service(msg_id: int, channel_id: int = 1) -> types.MessageService:
    return types.MessageService(
        id=msg_id,
        peer_id=types.PeerChannel(channel_id),
        date=BASE_DATE + timedelta(minutes=msg_id),
        action=types.MessageActionPinMessage(),
    )


@dataclass
class FakeChannel:
    entity: types.Channel
    messages: dict[int, Any] = field(default_factory=dict)

    def add(self, *msgs: Any) -> None:
        for msg in msgs:
            self.messages[msg.id] = msg


class FakeTelegram:
    """The three client methods, with scripted faults and bookkeeping for assertions."""

    def __init__(self, delay: float = 0.0) -> None:
        self.channels: dict[str, FakeChannel] = {}
        self.delay = delay
        self.calls: list[dict[str, Any]] = []
        self.downloads: list[int] = []
        self.active = 0
        self.max_active = 0
        self.fail_before: dict[
            tuple[str, int], list[BaseException]
        ] = {}  # raised before yielding that id
        self.fail_download: dict[int, int] = {}  # message id → failures left

    def channel(self, username: str, telegram_id: int, title: str = "Test channel") -> FakeChannel:
        entity = types.Channel(
            id=telegram_id,
            title=title,
            photo=types.ChatPhotoEmpty(),
            date=BASE_DATE,
            broadcast=True,
            username=username,
            access_hash=7,
        )
        self.channels[username] = FakeChannel(entity)
        return self.channels[username]

    async def get_entity(self, ref: Any) -> types.Channel:
        for ch in self.channels.values():
            if ref == ch.entity.username or (
                isinstance(ref, types.PeerChannel) and ref.channel_id == ch.entity.id
            ):
                return ch.entity
        raise ValueError(f'Cannot find any entity corresponding to "{ref}"')

    async def iter_messages(
        self,
        entity: types.Channel,
        limit: int | None = None,
        *,
        min_id: int = 0,
        reverse: bool = False,
    ) -> AsyncIterator[Any]:
        self.calls.append(
            {"channel": entity.username, "min_id": min_id, "reverse": reverse, "limit": limit}
        )
        ch = self.channels[entity.username]
        ids = sorted((i for i in ch.messages if i > min_id), reverse=not reverse)
        if limit is not None:
            ids = ids[:limit]
        probe = limit == 1  # "what is the newest id?": not a channel being read
        self.active += 0 if probe else 1
        self.max_active = max(self.max_active, self.active)
        try:
            for msg_id in ids:
                faults = self.fail_before.get((entity.username, msg_id))
                if faults:
                    raise faults.pop(0)
                if self.delay:
                    await asyncio.sleep(self.delay)
                yield ch.messages[msg_id]
        finally:
            self.active -= 0 if probe else 1

    async def download_media(self, msg: types.Message, file: Any = None) -> bytes:
        assert file is bytes
        left = self.fail_download.get(msg.id, 0)
        if left:
            self.fail_download[msg.id] = left - 1
            raise ConnectionError("Connection to Telegram failed 5 time(s)")
        self.downloads.append(msg.id)
        media = msg.media
        ident = media.photo.id if isinstance(media, types.MessageMediaPhoto) else media.document.id
        return f"media-bytes-{ident}".encode()

    async def disconnect(self) -> None:
        return None

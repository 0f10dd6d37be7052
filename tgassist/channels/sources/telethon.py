"""Live source: a Telethon client reading a channel in ascending id order from a high-water mark.

Only a few client methods are used (`get_entity`, `iter_messages`, `download_media`), so tests
serve Telethon's own TL objects from a small fake client. `FloodWaitError` is not handled here:
it propagates to the parser, which knows the channel's retry budget.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from telethon.errors import FloodWaitError
from telethon.tl import types

from tgassist.channels.sources.base import (
    MISSING_DOWNLOAD_FAILED,
    MISSING_TOO_LARGE,
    ChannelInfo,
    RawMedia,
    RawMessage,
    SourceError,
)

ENTITY_TYPES = {
    "MessageEntityTextUrl": "text_link",
    "MessageEntityUrl": "link",
    "MessageEntityStrike": "strikethrough",
    "MessageEntityMentionName": "mention_name",
    "InputMessageEntityMentionName": "mention_name",
}


class MessageFetchError(SourceError):
    """One message could not be read (its media failed to download); messages before it are fine."""

    def __init__(self, message_id: int, error: str) -> None:
        super().__init__("channels.parse.media_failed", id=message_id, error=error)
        self.message_id = message_id


class TelethonSource:
    """Messages of one channel through a Telethon client (or any object with the same three methods)."""

    def __init__(
        self,
        client: Any,
        ref: str | int,
        media_max_bytes: int = 20_000_000,
        accept_failed: set[int] | None = None,
    ) -> None:
        self.client = client
        self.ref = ref
        self.media_max_bytes = media_max_bytes
        self.accept_failed = (
            accept_failed or set()
        )  # ids whose media failed too often: saved without it
        self.skipped = 0
        self._entity: Any = None

    async def entity(self) -> Any:
        if self._entity is None:
            ref = types.PeerChannel(self.ref) if isinstance(self.ref, int) else self.ref
            self._entity = await self.client.get_entity(ref)
        return self._entity

    async def info(self) -> ChannelInfo:
        ent = await self.entity()
        return ChannelInfo(
            telegram_id=getattr(ent, "id", None),
            username=(getattr(ent, "username", None) or None),
            title=getattr(ent, "title", None),
        )

    async def latest_id(self) -> int:
        """The newest message id of the channel (0 when empty)."""
        async for msg in self.client.iter_messages(await self.entity(), limit=1):
            return int(msg.id)
        return 0

    async def messages(
        self, min_id: int = 0, limit: int | None = None
    ) -> AsyncIterator[RawMessage]:
        entity = await self.entity()
        async for msg in self.client.iter_messages(
            entity, min_id=min_id, reverse=True, limit=limit
        ):
            if not isinstance(msg, types.Message):  # MessageService, MessageEmpty
                self.skipped += 1
                continue
            raw = to_raw(msg)
            for media in raw.media:
                await self._download(msg, media)
            yield raw

    async def _download(self, msg: Any, media: RawMedia) -> None:
        if media.size is not None and media.size > self.media_max_bytes:
            media.missing = MISSING_TOO_LARGE
            return
        try:
            data = await self.client.download_media(msg, file=bytes)
        except FloodWaitError:
            raise
        except Exception as err:
            if msg.id in self.accept_failed:
                media.missing = MISSING_DOWNLOAD_FAILED
                return
            raise MessageFetchError(msg.id, str(err)) from err

        if not data:
            media.missing = MISSING_DOWNLOAD_FAILED
            return
        media.content = bytes(data)


def to_raw(msg: types.Message) -> RawMessage:
    """Telethon `Message` → `RawMessage` (media described, not downloaded)."""
    text = msg.message or ""
    fwd = msg.fwd_from
    forward_from, forward_from_id = None, None
    if fwd is not None:
        forward_from_id = _peer_id(fwd.from_id)
        forward_from = fwd.from_name or (f"channel{forward_from_id}" if forward_from_id else None)
    reply = (
        msg.reply_to.reply_to_msg_id if isinstance(msg.reply_to, types.MessageReplyHeader) else None
    )
    return RawMessage(
        message_id=msg.id,
        date=msg.date,
        edit_date=msg.edit_date,
        text=text,
        entities=[_entity(e, text) for e in (msg.entities or [])],
        author=msg.post_author,
        sender_id=str(_peer_id(msg.from_id) or _peer_id(msg.peer_id) or "") or None,
        views=msg.views,
        forwards=msg.forwards,
        replies=msg.replies.replies if msg.replies is not None else None,
        reactions=_reactions(msg.reactions),
        forward_from=forward_from,
        forward_from_id=forward_from_id,
        reply_to_message_id=reply,
        grouped_id=msg.grouped_id,
        media=_media(msg.media),
    )


def _entity(ent: Any, text: str) -> dict[str, Any]:
    name = type(ent).__name__
    kind = (
        ENTITY_TYPES.get(name)
        or re.sub(r"(?<!^)(?=[A-Z])", "_", name.removeprefix("MessageEntity")).lower()
    )
    units = text.encode("utf-16-le")
    piece = units[ent.offset * 2 : (ent.offset + ent.length) * 2].decode(
        "utf-16-le", errors="replace"
    )
    out: dict[str, Any] = {"type": kind, "offset": ent.offset, "length": ent.length, "text": piece}
    if getattr(ent, "url", None):
        out["url"] = ent.url
    elif kind == "link":
        out["url"] = piece
    if getattr(ent, "document_id", None):
        out["document_id"] = str(ent.document_id)
    if getattr(ent, "language", None):
        out["language"] = ent.language
    if isinstance(getattr(ent, "user_id", None), int):
        out["user_id"] = ent.user_id
    return out


def _reactions(reactions: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rc in getattr(reactions, "results", None) or []:
        r = rc.reaction
        if isinstance(r, types.ReactionEmoji):
            out.append({"type": "emoji", "emoji": r.emoticon, "count": rc.count})
        elif isinstance(r, types.ReactionCustomEmoji):
            out.append(
                {"type": "custom_emoji", "document_id": str(r.document_id), "count": rc.count}
            )
        else:
            out.append({"type": "paid", "count": rc.count})
    return out


def _media(media: Any) -> list[RawMedia]:
    if isinstance(media, types.MessageMediaPhoto) and isinstance(media.photo, types.Photo):
        best = max(
            (
                s
                for s in media.photo.sizes
                if isinstance(s, types.PhotoSize | types.PhotoSizeProgressive)
            ),
            key=lambda s: s.w * s.h,
            default=None,
        )
        size = None
        if isinstance(best, types.PhotoSize):
            size = best.size
        elif isinstance(best, types.PhotoSizeProgressive) and best.sizes:
            size = max(best.sizes)
        return [
            RawMedia(
                kind="photo",
                mime="image/jpeg",
                size=size,
                width=best.w if best else None,
                height=best.h if best else None,
            )
        ]
    if isinstance(media, types.MessageMediaDocument) and isinstance(media.document, types.Document):
        doc = media.document
        item = RawMedia(kind="file", mime=doc.mime_type, size=doc.size)
        for attr in doc.attributes:
            if isinstance(attr, types.DocumentAttributeFilename):
                item.file_name = attr.file_name
            elif isinstance(attr, types.DocumentAttributeVideo):
                item.kind = "video_message" if attr.round_message else "video_file"
                item.width, item.height, item.duration = attr.w, attr.h, float(attr.duration)
            elif isinstance(attr, types.DocumentAttributeAudio):
                item.kind = "voice_message" if attr.voice else "audio_file"
                item.duration = float(attr.duration)
            elif isinstance(attr, types.DocumentAttributeAnimated):
                item.kind = "animation"
            elif isinstance(attr, types.DocumentAttributeSticker):
                item.kind = "sticker"
        return [item]
    return []


def _peer_id(peer: Any) -> int | None:
    for attr in ("channel_id", "user_id", "chat_id"):
        value = getattr(peer, attr, None)
        if isinstance(value, int):
            return value
    return None

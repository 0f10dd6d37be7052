"""The chat side of the fake Bot API: messages as the user sees them, Telegram's HTML parsing
and the scripted user (`FakeUser`). See `tests.fakes.telegram_server` for the whole picture."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.telegram_server import FakeTelegram

__all__ = ["Button", "FakeMessage", "FakeUser", "Reply", "TelegramError", "visible_text"]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
_HTML_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "code", "pre", "blockquote", "tg-emoji", "br",
}  # fmt: skip


_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?>")


class TelegramError(Exception):
    """An error answer: `{"ok": false, "error_code", "description", "parameters"}`."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            out["parameters"] = {"retry_after": self.retry_after}
        return out


@dataclass(frozen=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass
class FakeMessage:
    """A message the bot sent (live: edits update it, `history` keeps earlier texts)."""

    message_id: int
    chat_id: int
    kind: str  # text | document | photo | location
    text: str = ""
    buttons: list[list[Button]] = field(default_factory=list)
    markup: dict[str, Any] | None = None
    document: bytes | None = None
    filename: str | None = None
    photo: bytes | None = None
    location: tuple[float, float] | None = None
    history: list[str] = field(default_factory=list)
    deleted: bool = False
    date: int = field(default_factory=lambda: int(time.time()))

    @property
    def button_texts(self) -> list[str]:
        return [b.text for row in self.buttons for b in row]


@dataclass(frozen=True)
class Reply:
    """What the user saw at one moment: a new message or an edit of one."""

    message: FakeMessage
    text: str
    buttons: list[list[Button]]
    is_edit: bool
    at: float = field(default_factory=time.monotonic)  # when the server recorded it

    @property
    def message_id(self) -> int:
        return self.message.message_id

    @property
    def button_texts(self) -> list[str]:
        return [b.text for row in self.buttons for b in row]

    @property
    def document(self) -> bytes | None:
        return self.message.document

    @property
    def filename(self) -> str | None:
        return self.message.filename

    @property
    def photo(self) -> bytes | None:
        return self.message.photo

    @property
    def location(self) -> tuple[float, float] | None:
        return self.message.location


class _HtmlText(HTMLParser):
    """Telegram's HTML parse mode: the visible text, or an error for what Telegram refuses."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            self.error = self.error or f'Unsupported start tag "{tag}"'
        elif tag != "br":
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f'Unmatched end tag "{tag}"'
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible_text(text: str, parse_mode: str | None) -> str:
    if (parse_mode or "").upper() != "HTML":
        return text
    for match in re.finditer("<", text):
        if not _TAG.match(text, match.start()):
            raise TelegramError(
                400,
                "Bad Request: can't parse entities: Unexpected end of name token at byte offset "
                f"{len(text[: match.start()].encode())}",
            )
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    if parser.error or parser.stack:
        what = (
            parser.error or f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
        )
        raise TelegramError(400, f"Bad Request: can't parse entities: {what}")
    return "".join(parser.parts)


def parse_buttons(markup: dict[str, Any] | None) -> list[list[Button]]:
    rows = (markup or {}).get("inline_keyboard") or (markup or {}).get("keyboard") or []
    out: list[list[Button]] = []
    for row in rows:
        out_row = []
        for b in row:
            b = {"text": b} if isinstance(b, str) else b
            data = b.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                raise TelegramError(400, "Bad Request: BUTTON_DATA_INVALID")
            out_row.append(Button(b.get("text", ""), data, b.get("url")))
        out.append(out_row)
    return out


class FakeUser:
    """A scripted Telegram user in a private chat with the bot (chat id = user id)."""

    def __init__(
        self,
        server: FakeTelegram,
        telegram_id: int,
        language_code: str | None,
        first_name: str,
        username: str | None,
    ) -> None:
        self.server, self.id = server, telegram_id
        self.language_code, self.first_name, self.username = language_code, first_name, username
        self._cursor = 0
        self._last_callback: str | None = None

    # -- what the user does -----------------------------------------------------------------
    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            out["username"] = self.username
        if self.language_code:
            out["language_code"] = self.language_code
        return out

    def _message(self, **fields: Any) -> dict[str, Any]:
        chat = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.username:
            chat["username"] = self.username
        mid = self.server._next_message_id(self.id)
        self.server.user_messages[self.id].add(mid)
        msg = {
            "message_id": mid,
            "date": int(time.time()),
            "chat": chat,
            "from": self.as_dict(),
        }
        msg.update(fields)
        return msg

    async def send(self, text: str) -> dict[str, Any]:
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        msg = self._message(**fields)
        await self.server.push_update({"message": msg})
        return msg

    async def send_document(
        self, data: bytes, filename: str, mime_type: str = "application/octet-stream"
    ) -> dict[str, Any]:
        file = self.server._store_file(data, f"documents/{filename}")
        doc = {**file, "file_name": filename, "mime_type": mime_type}
        msg = self._message(document=doc)
        await self.server.push_update({"message": msg})
        return msg

    async def send_location(self, lat: float, lng: float) -> dict[str, Any]:
        msg = self._message(location={"latitude": lat, "longitude": lng})
        await self.server.push_update({"message": msg})
        return msg

    async def send_sticker(self, emoji: str = "👍") -> dict[str, Any]:
        file = self.server._store_file(b"RIFF-sticker", "stickers/sticker.webp")
        sticker = {
            **file,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        msg = self._message(sticker=sticker)
        await self.server.push_update({"message": msg})
        return msg

    async def send_photo(
        self, data: bytes = b"\xff\xd8fake-jpeg", caption: str | None = None
    ) -> dict[str, Any]:
        file = self.server._store_file(data, "photos/photo.jpg")
        fields: dict[str, Any] = {"photo": [{**file, "width": 640, "height": 480}]}
        if caption:
            fields["caption"] = caption
        msg = self._message(**fields)
        await self.server.push_update({"message": msg})
        return msg

    async def send_voice(self, data: bytes = b"OggS-voice", duration: int = 3) -> dict[str, Any]:
        file = self.server._store_file(data, "voice/voice.ogg")
        msg = self._message(voice={**file, "duration": duration, "mime_type": "audio/ogg"})
        await self.server.push_update({"message": msg})
        return msg

    async def forward_from_channel(
        self, chat_id: int, username: str | None, message_id: int, text: str = "a post"
    ) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": "channel", "title": username or "Channel"}
        if username:
            chat["username"] = username
        origin = {
            "type": "channel",
            "chat": chat,
            "message_id": message_id,
            "date": int(time.time()),
        }
        msg = self._message(
            text=text,
            forward_origin=origin,
            forward_from_chat=chat,
            forward_from_message_id=message_id,
            forward_date=origin["date"],
        )
        await self.server.push_update({"message": msg})
        return msg

    async def press(self, label: str, *, message: FakeMessage | Reply | None = None) -> str:
        """Press the button whose text or callback_data is `label` on `message` (default: the
        newest message in the chat that has one). Returns the callback query id."""
        target = message.message if isinstance(message, Reply) else message
        candidates = [target] if target else list(reversed(self.messages))
        for msg in candidates:
            if msg is None or msg.deleted:
                continue
            for row in msg.buttons:
                for b in row:
                    if label in (b.text, b.callback_data) and b.callback_data is not None:
                        return await self.press_data(b.callback_data, message=msg)
        shown = [m.button_texts for m in candidates[:3] if m]
        raise AssertionError(f"no button {label!r} for user {self.id}; latest buttons: {shown}")

    async def press_data(self, data: str, *, message: FakeMessage | None = None) -> str:
        """Send a callback query with any data (a forged or stale button) on `message`."""
        msg = message or (self.messages[-1] if self.messages else None)
        query_id = str(next(self.server._ids))
        query: dict[str, Any] = {
            "id": query_id,
            "from": self.as_dict(),
            "chat_instance": str(self.id),
            "data": data,
        }
        if msg is not None:
            query["message"] = self.server._message_json(msg)
        self._last_callback = query_id
        await self.server.push_update({"callback_query": query})
        return query_id

    # -- what the user sees -----------------------------------------------------------------
    @property
    def messages(self) -> list[FakeMessage]:
        return [m for m in self.server.chats[self.id] if not m.deleted]

    @property
    def last(self) -> FakeMessage | None:
        return self.messages[-1] if self.messages else None

    async def reply(self, timeout: float = 5.0) -> Reply:  # noqa: ASYNC109
        """The next new or edited message in this chat, waiting up to `timeout` seconds."""
        events = self.server.events[self.id]
        deadline = time.monotonic() + timeout
        while self._cursor >= len(events):
            left = deadline - time.monotonic()
            if left <= 0:
                seen = [m.text[:80] for m in self.messages[-3:]]
                raise AssertionError(
                    f"user {self.id}: no reply within {timeout}s; last messages: {seen}"
                )
            await self.server.wait_chat(self.id, left)
        reply = events[self._cursor]
        self._cursor += 1
        return reply

    async def reply_until(self, predicate: Any, timeout: float = 5.0) -> Reply:  # noqa: ASYNC109
        """Skip replies until one satisfies `predicate(reply)` (e.g. a progress message's end)."""
        deadline = time.monotonic() + timeout
        while True:
            reply = await self.reply(max(0.01, deadline - time.monotonic()))
            if predicate(reply):
                return reply

    async def no_reply(self, within: float = 0.5) -> None:
        await asyncio.sleep(within)
        extra = self.server.events[self.id][self._cursor :]
        assert not extra, f"user {self.id}: unexpected replies {[r.text[:80] for r in extra]}"

    def skip_replies(self) -> None:
        """Forget what arrived so far: the next `reply()` waits for something new."""
        self._cursor = len(self.server.events[self.id])

    async def callback_answer(self, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
        """answerCallbackQuery's parameters for the last press."""
        deadline = time.monotonic() + timeout
        while self._last_callback not in self.server.callback_answers:
            if time.monotonic() > deadline:
                raise AssertionError(f"user {self.id}: callback query was not answered")
            await asyncio.sleep(0.01)
        return self.server.callback_answers[self._last_callback or ""]

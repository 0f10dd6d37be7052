"""Outgoing Telegram messages from any process: an outbox row on `bot.outgoing`, written in the
caller's transaction; the bot role's sender stage (`tgassist.bot.sender`) delivers it paced to
Telegram's limits and renders key + params in the recipient's language at send time.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tgassist.core.errors import LocalizedError
from tgassist.core.events import Event
from tgassist.core.keys import OUTGOING_STREAM
from tgassist.core.outbox import add_event

__all__ = ["OUTGOING_STREAM", "OutgoingMessage", "enqueue_message"]

MAX_TEXT = 4096
MAX_CAPTION = 1024


class OutgoingMessage(Event):
    """One message for one chat. `dedupe_key` (default: the event id) is never sent twice."""

    TYPE = "bot.outgoing"

    chat_id: int
    key: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    text: str | None = None
    lang: str | None = None
    buttons: list[list[dict[str, str]]] | None = None
    document_blob: str | None = None
    photo_blob: str | None = None
    filename: str | None = None
    dedupe_key: str | None = None
    broadcast_id: int | None = None

    @property
    def marker(self) -> str:
        return self.dedupe_key or f"event:{self.event_id}"


def _check_buttons(buttons: list[list[dict[str, str]]] | None) -> None:
    for row in buttons or []:
        for b in row:
            if ("text_key" in b) == ("text" in b) or ("callback_data" in b) == ("url" in b):
                raise LocalizedError("core.outgoing.button_invalid", button=str(b))
            if len(b.get("callback_data", "").encode()) > 64:
                raise LocalizedError("core.outgoing.callback_too_long", value=b["callback_data"])


async def enqueue_message(
    session: Any,
    *,
    chat_id: int,
    key: str | None = None,
    params: dict[str, Any] | None = None,
    text: str | None = None,
    lang: str | None = None,
    buttons: list[list[dict[str, str]]] | None = None,
    document_blob: str | None = None,
    filename: str | None = None,
    photo_blob: str | None = None,
    dedupe_key: str | None = None,
    broadcast_id: int | None = None,
) -> None:
    """Stage a message for `chat_id` in the caller's transaction (`session` from
    `app.db.session()`). Give a message `key` (+ `params`), or a ready `text`, or a file."""
    if key is None and text is None and document_blob is None and photo_blob is None:
        raise LocalizedError("core.outgoing.empty")
    if document_blob is not None and photo_blob is not None:
        raise LocalizedError("core.outgoing.two_files")
    if text is not None and len(text) > MAX_TEXT:
        raise LocalizedError("core.outgoing.too_long", length=len(text), limit=MAX_TEXT)
    if dedupe_key is not None and len(dedupe_key) > 200:
        raise LocalizedError("core.outgoing.dedupe_key_too_long", limit=200)
    _check_buttons(buttons)
    add_event(
        session,
        OUTGOING_STREAM,
        OutgoingMessage(
            chat_id=chat_id,
            key=key,
            params=params or {},
            text=text,
            lang=lang,
            buttons=buttons,
            document_blob=document_blob,
            photo_blob=photo_blob,
            filename=filename,
            dedupe_key=dedupe_key,
            broadcast_id=broadcast_id,
        ),
    )


async def delivered(db: Any, marker: str) -> bool:
    """Whether a message with this dedupe key was already answered by Telegram."""
    from sqlalchemy import select

    from tgassist.core.models import OutgoingDelivery

    async with db.session() as s:
        found = await s.scalar(
            select(OutgoingDelivery.dedupe_key).where(OutgoingDelivery.dedupe_key == marker)
        )
    return found is not None


async def record_delivery(
    db: Any,
    msg: OutgoingMessage,
    status: str,
    *,
    message_id: int | None = None,
    error: str | None = None,
) -> bool:
    """Write the sent-marker of `msg` (sent | blocked | failed); False when one existed."""
    from sqlalchemy.exc import IntegrityError

    from tgassist.core.models import OutgoingDelivery

    try:
        async with db.session() as s:
            s.add(
                OutgoingDelivery(
                    dedupe_key=msg.marker,
                    chat_id=msg.chat_id,
                    status=status,
                    telegram_message_id=message_id,
                    broadcast_id=msg.broadcast_id,
                    error=error[:1000] if error else None,
                )
            )
    except IntegrityError:  # a concurrent copy recorded it first: one marker is enough
        return False
    return True

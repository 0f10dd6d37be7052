"""Pydantic models of Telegram Desktop export records: types and ranges checked before any use.

A record that does not fit (a list where a number belongs, an id past 64 bits, a view count past
the database column, a date outside 1970–2100 …) is skipped and counted with its reason; it never
reaches the database layer. Unknown keys are ignored: Telegram Desktop adds fields over time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, ValidationError

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
# Telegram was launched in 2013; anything outside these bounds is a broken or hostile record.
UNIX_MIN, UNIX_MAX = 0, 4_102_444_800  # 1970-01-01 .. 2100-01-01 UTC
YEAR_MIN, YEAR_MAX = 1970, 2100


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):  # JSON true/false is no number here
        raise ValueError("a boolean is not a number")
    return value


# Strict: JSON true/false or "12" are no numbers here (checked in Rust, no Python call per field)
MessageId = Annotated[int, Strict(), Field(ge=1, le=INT64_MAX)]
Id64 = Annotated[int, Strict(), Field(ge=-INT64_MAX, le=INT64_MAX)]
Count = Annotated[int, Strict(), Field(ge=0, le=INT32_MAX)]
Size = Annotated[int, Strict(), Field(ge=0, le=INT64_MAX)]
Seconds = Annotated[float, BeforeValidator(_not_bool), Field(ge=0, allow_inf_nan=False)]
# Telegram Desktop writes "1689611019" (a string); lax int parsing, booleans refused
UnixTime = Annotated[int, BeforeValidator(_not_bool), Field(ge=UNIX_MIN, le=UNIX_MAX)]
PeerRef = Annotated[str, Field(max_length=100)] | Id64  # "channel123", "user42" or a bare id


def _local_time(value: Any) -> Any:
    """An ISO date-time as Telegram Desktop writes it (the exporter's local time, no zone)."""
    if not isinstance(value, str):
        raise ValueError("not a date string")
    parsed = datetime.fromisoformat(value)
    if not YEAR_MIN <= parsed.year < YEAR_MAX:
        raise ValueError(f"year {parsed.year} outside {YEAR_MIN}–{YEAR_MAX}")
    return parsed


LocalTime = Annotated[datetime, BeforeValidator(_local_time)]


class TextPart(BaseModel):
    """One piece of a message text: `{"type": "bold", "text": "…"}` (entity) or plain."""

    model_config = ConfigDict(extra="ignore")

    type: str = Field("plain", max_length=100)
    text: str = ""
    href: str | None = None
    user_id: Id64 | str | None = None
    document_id: Id64 | str | None = None
    language: str | None = Field(None, max_length=100)


class Reaction(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str = Field("emoji", max_length=50)
    count: Count = 0
    emoji: str | None = Field(None, max_length=100)
    document_id: Id64 | str | None = None


class ExportMessage(BaseModel):
    """A `"type": "message"` record of `result.json`; `from` is `from_` here."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: MessageId
    type: str
    date: LocalTime
    date_unixtime: UnixTime | None = None
    edited: LocalTime | None = None
    edited_unixtime: UnixTime | None = None
    text: str | list[str | TextPart] = ""
    text_entities: list[TextPart] | None = None
    author: str | None = Field(None, max_length=200)
    from_: str | None = Field(None, alias="from", max_length=300)
    from_id: PeerRef | None = None
    views: Count | None = None
    forwards: Count | None = None
    reactions: list[Reaction] = []
    forwarded_from: str | None = Field(None, max_length=300)
    forwarded_from_id: PeerRef | None = None
    saved_from: str | None = Field(None, max_length=300)
    reply_to_message_id: Id64 | None = None
    photo: str | None = None
    photo_file_size: Size | None = None
    file: str | None = None
    file_name: str | None = Field(None, max_length=1000)
    file_size: Size | None = None
    media_type: str | None = Field(None, max_length=30)
    mime_type: str | None = Field(None, max_length=100)
    width: Count | None = None
    height: Count | None = None
    duration_seconds: Seconds | None = None

    @property
    def reactions_total(self) -> int:
        return sum(r.count for r in self.reactions)


def validate_message(item: dict[str, Any]) -> ExportMessage:
    """The checked record; ValueError with a short reason (field: problem) when it does not fit."""
    try:
        msg = ExportMessage.model_validate(item)
    except ValidationError as err:
        first = err.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "record"
        raise ValueError(f"{where}: {first['msg']}") from None
    if msg.reactions_total > INT32_MAX:
        raise ValueError("reactions: total count out of range")
    return msg


__all__ = ["ExportMessage", "Reaction", "TextPart", "validate_message"]

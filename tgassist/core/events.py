"""Typed bus events: pydantic models with a schema version and a trace id."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import ClassVar, Self
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field


def new_id() -> str:
    return uuid4().hex


class Event(BaseModel):
    """Base of every event. Subclasses set TYPE and, when their shape changes, schema_version.

    `event_id` is the idempotency key: a replayed or re-published event keeps it.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    TYPE: ClassVar[str] = "event"

    schema_version: int = 1
    event_id: str = Field(default_factory=new_id)
    trace_id: str = Field(default_factory=new_id)
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def encode(self) -> dict[str, str]:
        """Stream entry fields."""
        return {"type": self.TYPE, "data": self.model_dump_json()}

    @classmethod
    def decode(cls, fields: dict[str, str]) -> Self:
        """Validate stream entry fields; raises pydantic.ValidationError or ValueError."""
        if "data" not in fields:
            raise ValueError(f"stream entry has no 'data' field (fields: {sorted(fields)})")
        return cls.model_validate_json(fields["data"])

    def child(self, cls: type[Event], **data: object) -> Event:
        """A follow-up event carrying this event's trace id."""
        return cls(trace_id=self.trace_id, **data)


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str)

"""Typed, bounded request parameters shared by the admin routes: every id, limit and name has a
range, so malformed input is a 422 that names the parameter, never a 500 from the database."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

INT64_MAX = 2**63 - 1  # BIGINT: larger ids cannot exist, and would overflow the database driver

Limit = Annotated[int, Query(ge=1, le=1000, description="how many items, 1–1000")]
RecordId = Annotated[int, Path(ge=1, le=INT64_MAX, description="a record id (1 … 2^63−1)")]
TelegramId = Annotated[int, Query(ge=0, le=INT64_MAX, description="a Telegram user id")]
StreamGroup = Annotated[
    str | None,
    Query(min_length=1, max_length=200, pattern=r"^[\w.:-]+$", description="a consumer group"),
]
ChannelRef = Annotated[
    str, Path(min_length=1, max_length=200, description="@username, Telegram id or our id")
]

"""Which errors mean "a backend is unreachable" (pause, keep the delivery) and which are the
message's own (retry, then dead-letter)."""

from __future__ import annotations

import sqlite3

import redis.exceptions as rexc
from sqlalchemy import exc as saexc

from tgassist.core.breaker import DB, REDIS, Breaker, infrastructure_backend
from tgassist.core.errors import TgassistError


def _wrapped(orig: BaseException) -> saexc.OperationalError:
    return saexc.OperationalError("INSERT …", {}, orig)


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def test_classification() -> None:
    assert infrastructure_backend(_wrapped(sqlite3.OperationalError("database is locked"))) == DB
    assert infrastructure_backend(_wrapped(sqlite3.OperationalError("no such table: x"))) is None
    assert infrastructure_backend(rexc.ConnectionError("Connection refused")) == REDIS
    assert infrastructure_backend(rexc.ResponseError("WRONGTYPE")) is None
    assert infrastructure_backend(_PgError("57P01")) == DB  # admin shutdown
    assert infrastructure_backend(_PgError("08006")) == DB  # connection failure
    assert infrastructure_backend(_PgError("23505")) is None  # unique violation: the data's
    assert infrastructure_backend(ValueError("bad")) is None
    try:  # a product error raised from an outage still counts as the outage
        try:
            raise rexc.TimeoutError("timed out")
        except rexc.TimeoutError as err:
            raise TgassistError("could not save") from err
    except TgassistError as outer:
        assert infrastructure_backend(outer) == REDIS


async def test_breaker_opens_on_a_failed_probe_and_closes_when_it_answers() -> None:
    up = False

    async def probe() -> None:
        if not up:
            raise ConnectionRefusedError("down")

    breaker = Breaker(DB, probe, base_sec=0.05, max_sec=0.1)
    assert await breaker.confirm(ConnectionRefusedError("down"))
    assert breaker.is_open and breaker.state().state == "open"
    up = True
    await breaker.wait_closed()
    assert not breaker.is_open
    # A backend that answers at once was not the problem: the error is the message's.
    assert not await breaker.confirm(ConnectionRefusedError("blip"))
    await breaker.close()

"""Why a channel's parse or import stopped, as its reader understands it.

A reason is a message key with parameters (a `Msg`), stored on the channel (`error_key`,
`error_params`) and in its run's notes, and rendered by each door in its reader's language. The
raw English detail (`str(err)`) is kept beside it, for operators and logs only: a reader never
sees exception text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telethon import errors as tg

from tgassist.channels.sources.telethon import MessageFetchError
from tgassist.core.i18n import Msg, storable_params

FLOOD_WAIT = "channels.error.flood_wait"
MEDIA_FAILED = "channels.error.media_failed"
PRIVATE = "channels.error.private"
NOT_FOUND = "channels.error.not_found"
SIGNED_OUT = "channels.error.signed_out"
NETWORK = "channels.error.network"
INTERRUPTED = "channels.error.interrupted"
IMPORT_STOPPED = "channels.error.import_stopped"
MERGED = "channels.error.merged"
UNKNOWN = "channels.error.unknown"

# Telegram refuses this account the channel: private, banned here, or needs rights we lack.
_PRIVATE = (
    tg.ChannelPrivateError,
    tg.ChannelBannedError,
    tg.ChannelPublicGroupNaError,
    tg.ChatAdminRequiredError,
    tg.ChatForbiddenError,
)
_NOT_FOUND = (tg.UsernameNotOccupiedError, tg.UsernameInvalidError, tg.ChannelInvalidError)
# what Telethon's get_entity raises (a ValueError) for a name nobody has
_NOT_FOUND_TEXT = ("Cannot find any entity", "No user has", "Could not find the input entity")
_NETWORK = (ConnectionError, TimeoutError, tg.ServerError, tg.TimedOutError)


def flood_wait(until: datetime) -> Msg:
    """Telegram asked us to wait: parsing of the channel resumes by itself after `until`."""
    return Msg(FLOOD_WAIT, {"until": until.strftime("%Y-%m-%d %H:%M UTC")})


def reason_of(err: BaseException) -> Msg:
    """The reader's reason for an error the parser caught (never its technical text)."""
    if isinstance(err, MessageFetchError):
        return Msg(MEDIA_FAILED, {"id": err.message_id})
    if isinstance(err, _PRIVATE):
        return Msg(PRIVATE)
    if isinstance(err, _NOT_FOUND) or (
        isinstance(err, ValueError) and str(err).startswith(_NOT_FOUND_TEXT)
    ):
        return Msg(NOT_FOUND)
    if isinstance(err, tg.UnauthorizedError):
        return Msg(SIGNED_OUT)
    if isinstance(err, _NETWORK):
        return Msg(NETWORK)
    return Msg(UNKNOWN)


def stored_reason(key: str | None, params: dict[str, Any] | None, detail: str | None) -> Msg | None:
    """A channel's reason from its columns; a row written before reasons were stored (free
    English text only) reads as the generic one."""
    if key:
        return Msg(key, dict(params or {}))
    return Msg(UNKNOWN) if detail else None


def columns(reason: Msg | None, detail: str | None) -> dict[str, Any]:
    """The channel columns that record `reason` (None: no error)."""
    return {
        "last_error": detail,
        "error_key": reason.key if reason else None,
        "error_params": storable_params(reason.params) if reason else None,
    }


def run_note(reason: Msg, detail: str | None) -> dict[str, Any]:
    """One entry of `ParserRun.errors`: the reason, and the detail for operators."""
    return {**reason.to_dict(), "error": detail}


def note_reason(note: Any) -> Msg:
    """The reason of a `ParserRun.errors` entry (older entries are a bare string or
    `{"error": …}`: the generic reason)."""
    if isinstance(note, dict) and isinstance(note.get("key"), str):
        params = note.get("params")
        return Msg(note["key"], dict(params) if isinstance(params, dict) else {})
    if isinstance(note, dict) and str(note.get("error", "")).startswith("interrupted:"):
        return Msg(INTERRUPTED)
    return Msg(UNKNOWN)


__all__ = [
    "FLOOD_WAIT",
    "INTERRUPTED",
    "MEDIA_FAILED",
    "NETWORK",
    "NOT_FOUND",
    "PRIVATE",
    "UNKNOWN",
    "columns",
    "flood_wait",
    "note_reason",
    "reason_of",
    "run_note",
    "stored_reason",
]

"""Redis keys and stream names owned by the core's bot-facing facilities (one place to read them)."""

from __future__ import annotations

OUTGOING_STREAM = "bot.outgoing"
TASK_PROGRESS_MAXLEN = 200
TASK_PROGRESS_TTL_SEC = 86_400


def task_progress(task_id: str) -> str:
    """Stream of one task's progress changes (watched by the bot, the CLI and the dashboard)."""
    return f"tasks:progress:{task_id}"


def telegram_bucket_global() -> str:
    return "telegram:global"


def telegram_bucket_chat(chat_id: int) -> str:
    return f"telegram:chat:{chat_id}"


def telegram_pause() -> str:
    """Set (with a TTL) when Telegram answered 429 for the whole bot: every sender waits."""
    return "telegram:pause"


def changes_channel(topic: str) -> str:
    """Pub/sub channel announcing committed changes of `topic` (e.g. "users"); the message is the
    changed row's key, and in-process caches drop it (`core.usercache`)."""
    return f"changes:{topic}"

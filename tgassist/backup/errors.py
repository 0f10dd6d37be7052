"""Backup and restore errors: a message key with parameters (rendered by the door)."""

from __future__ import annotations

from tgassist.core.errors import LocalizedError


class BackupError(LocalizedError):
    """A backup or restore refused or failed; nothing half-written is left behind. A message
    key (`backup.*`, in the ops catalogues) with parameters, rendered by the door."""

"""Backup and restore of a whole install (database, Redis, vectors, graph, blobs)."""

from tgassist.backup.errors import BackupError
from tgassist.backup.service import BackupReport, RestoreReport, backup, default_name, restore

__all__ = ["BackupError", "BackupReport", "RestoreReport", "backup", "default_name", "restore"]

"""Backup and restore errors: a message key with parameters (rendered by the door)."""

from __future__ import annotations

from typing import Any

from tgassist.core.errors import TgassistError

# English texts of the keys; the catalogue entries (ops domain) carry RU and EN.
MESSAGES = {
    "backup.archive_missing": "no backup archive at {path}",
    "backup.not_an_archive": "this is not a tgassist backup ({reason})",
    "backup.format_newer": "the archive has format version {version}, newer than this tgassist reads; upgrade tgassist",
    "backup.manifest_invalid": "the archive's manifest cannot be read: {reason}",
    "backup.unsafe_member": "the archive holds an unexpected or unsafe entry {name!r}; refused",
    "backup.archive_corrupted": "the archive {path} is corrupted or truncated ({reason}); nothing was restored",
    "backup.part_missing": "the archive lacks {name}, listed in its manifest; nothing was restored",
    "backup.checksum_mismatch": "{name} in the archive does not match its checksum (corrupted); nothing was restored",
    "backup.target_not_empty": "{what} is not empty; restore into an empty install, or pass --force to overwrite it",
    "backup.migration_unknown": "the archive's database is at migration {revision}, unknown to this tgassist (a newer version made it); upgrade tgassist first",
    "backup.backend_mismatch": "the archive holds a {archived} database but this install uses {target}; restore into the same kind of database",
    "backup.tool_failed": "{tool} failed: {reason}",
    "backup.tool_missing": "{tool} is not installed (needed for PostgreSQL); install the PostgreSQL client tools",
    "backup.output_exists": "{path} exists; choose another file name",
}


class BackupError(TgassistError):
    """A backup or restore refused or failed; nothing half-written is left behind."""

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(MESSAGES[key].format(**params))

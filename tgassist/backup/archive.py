"""The backup archive: a gzip'd tar of parts plus `manifest.json` with their SHA-256 sums.

Reading never trusts the archive: members must be plain files with safe relative names, every
part listed in the manifest must be present with its checksum, and nothing is extracted outside
the staging directory the caller gives.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from tgassist.backup.errors import BackupError

FORMAT = "tgassist-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Part:
    """One file of the archive: its name inside the archive, size and checksum."""

    name: str
    size: int
    sha256: str


@dataclass
class Manifest:
    created_at: str
    tgassist_version: str
    database: str  # "sqlite" | "postgresql"
    redis: str  # "embedded" | "server"
    vectors: str  # "local" | "server"
    blobs: str  # "local" | "s3"
    migrations: list[str]
    counts: dict[str, Any] = field(default_factory=dict)
    parts: list[Part] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise BackupError("backup.not_an_archive", reason="manifest format")
            if int(data.get("format_version", 0)) > FORMAT_VERSION:
                raise BackupError("backup.format_newer", version=data.get("format_version"))
            data["parts"] = [Part(**p) for p in data.get("parts", [])]
            return cls(**data)
        except BackupError:
            raise
        except (ValueError, TypeError, KeyError) as err:
            raise BackupError("backup.manifest_invalid", reason=str(err)[:200]) from err


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def collect_parts(stage: Path) -> list[Part]:
    """Every file under `stage` as a Part (names relative, POSIX)."""
    parts = []
    for path in sorted(p for p in stage.rglob("*") if p.is_file()):
        name = path.relative_to(stage).as_posix()
        if name == MANIFEST:
            continue
        parts.append(Part(name=name, size=path.stat().st_size, sha256=sha256_file(path)))
    return parts


def write_archive(stage: Path, manifest: Manifest, out: Path) -> None:
    """Write `out` atomically (a `.partial` file renamed at the end): manifest first, then parts."""
    manifest.parts = collect_parts(stage)
    (stage / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    partial = out.with_name(out.name + ".partial")
    with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
        tar.add(stage / MANIFEST, arcname=MANIFEST)
        for part in manifest.parts:
            tar.add(stage / part.name, arcname=part.name)
    os.replace(partial, out)


def _safe_name(name: str) -> bool:
    p = PurePosixPath(name)
    return bool(name) and not p.is_absolute() and ".." not in p.parts and "\\" not in name


def read_archive(archive: Path, stage: Path) -> Manifest:
    """Extract `archive` into the empty directory `stage` and verify it; raise BackupError."""
    if not archive.is_file():
        raise BackupError("backup.archive_missing", path=str(archive))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            names = [m.name for m in members]
            if MANIFEST not in names:
                raise BackupError("backup.not_an_archive", reason="no manifest.json")
            for member in members:
                if not member.isfile() or not _safe_name(member.name):
                    raise BackupError("backup.unsafe_member", name=member.name)
            manifest_member = tar.extractfile(MANIFEST)
            assert manifest_member is not None
            manifest = Manifest.from_json(manifest_member.read())
            expected = {p.name: p for p in manifest.parts}
            unknown = set(names) - set(expected) - {MANIFEST}
            if unknown:
                raise BackupError("backup.unsafe_member", name=sorted(unknown)[0])
            for member in members:
                if member.name == MANIFEST:
                    continue
                target = stage / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                src = tar.extractfile(member)
                assert src is not None
                with open(target, "wb") as fh:
                    for chunk in iter(lambda: src.read(1 << 20), b""):  # noqa: B023
                        fh.write(chunk)
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, OSError, zlib.error) as err:
        raise BackupError(
            "backup.archive_corrupted", path=str(archive), reason=str(err)[:200]
        ) from err
    for part in manifest.parts:
        path = stage / part.name
        if not path.is_file():
            raise BackupError("backup.part_missing", name=part.name)
        if path.stat().st_size != part.size or sha256_file(path) != part.sha256:
            raise BackupError("backup.checksum_mismatch", name=part.name)
    return manifest

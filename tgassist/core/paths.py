"""Paths a remote caller may name: only files inside the data directory.

The admin API once read any file on the server through a brief's `keywords_file`
(`/etc/passwd` became 16 keywords). A path from outside is resolved (symlinks and `..` included)
and must stay inside `TGASSIST_DATA_DIR`; uploads are written there under a name we choose.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from tgassist.core.errors import LocalizedError

UPLOADS = "uploads"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def inside_data_dir(data_dir: Path, path: str) -> Path:
    """`path` (absolute, or relative to the data dir) resolved; LocalizedError when outside it."""
    root = data_dir.expanduser().resolve()
    raw = Path(path).expanduser()
    candidate = (raw if raw.is_absolute() else root / raw).resolve()
    if not candidate.is_relative_to(root):
        raise LocalizedError("security.path.outside_data_dir", path=path[:200], data_dir=str(root))
    if not candidate.is_file():
        raise LocalizedError("security.path.not_found", path=path[:200])
    return candidate


def upload_path(data_dir: Path, area: str, filename: str) -> Path:
    """A fresh file under `<data_dir>/uploads/<area>/`, keeping only a safe form of the name."""
    name = _SAFE.sub("_", Path(filename or "upload").name)[-80:].lstrip(".") or "upload"
    folder = data_dir.expanduser().resolve() / UPLOADS / area
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{uuid.uuid4().hex[:12]}_{name}"


__all__ = ["UPLOADS", "inside_data_dir", "upload_path"]

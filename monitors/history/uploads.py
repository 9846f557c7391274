"""Series files the user uploads on the Impact page, kept in the data folder and never lost.

Each upload is stored once under `business/uploads/` (local folder or object store, through
the one Store) as `<UTC time>-<sanitised original name>-<content hash><ext>`:
  1. the name is made from the bytes, so two different files never share one;
  2. the same bytes uploaded again (under any name) return the file already kept;
  3. an existing file is never written over: if a name is taken by other bytes (a short
     hash collision), the full hash is used instead.
The mapping the user chose for an upload (a `[[business.series]]` table) is kept beside it
as `<name>.series.json`, so the upload is read the same way after a restart.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from monitors.history.store import Store

FOLDER = "business/uploads"
EXTENSIONS = (".csv", ".parquet")
MAX_BYTES = 50 * 1024 * 1024  # a year of hourly rows by channel is a few MB; refuse far more
NAME_CHARS = 60  # of the sanitised original name
SHORT_HASH = 12
MAPPING_SUFFIX = ".series.json"
_STAMP = "%Y%m%dT%H%M%SZ"
_STORED = re.compile(
    r"^(?P<stamp>\d{8}T\d{6}Z)-(?P<name>[A-Za-z0-9._-]+)-(?P<hash>[0-9a-f]{12,64})"
    r"(?P<ext>\.csv|\.parquet)$")


class UploadError(ValueError):
    """An upload that cannot be kept: the message is one line for the user."""


@dataclass(frozen=True, slots=True)
class Upload:
    """One kept upload: where it is in the data folder and what it was."""

    rel: str  # path relative to the data root: business/uploads/<file>
    original: str  # sanitised original name (no folders, safe characters only)
    sha256: str  # the hash part of the name (12 hex digits, or all 64 after a collision)
    uploaded_at: datetime  # UTC, from the name
    size: int = 0
    new: bool = False  # True when this call stored it; False: the same bytes were kept already

    @property
    def name(self) -> str:
        """The stored file's base name."""
        return self.rel.rsplit("/", 1)[-1]

    @property
    def kind(self) -> str:
        """csv or parquet."""
        return "parquet" if self.rel.endswith(".parquet") else "csv"


def sanitise(name: str) -> str:
    """A safe file-name part from a user's file name: no folders, ASCII letters, digits,
    `.`, `_` and `-` only, no leading dot, at most NAME_CHARS characters ("upload" if empty).
    The extension is dropped (the stored name adds its own)."""
    base = re.split(r"[\\/]", str(name))[-1]
    stem = base[: -len(ext)] if (ext := _extension(base)) else base
    ascii_only = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_only)
    safe = re.sub(r"_{2,}", "_", safe).strip("._-")[:NAME_CHARS].strip("._-")
    return safe or "upload"


def _extension(name: str) -> str:
    lower = name.lower()
    return next((ext for ext in EXTENSIONS if lower.endswith(ext)), "")


def check_upload(name: str, data: bytes) -> str:
    """The extension of an acceptable upload; UploadError (one line) otherwise."""
    ext = _extension(re.split(r"[\\/]", str(name))[-1])
    if not ext:
        raise UploadError(f"{sanitise(name)}: only .csv and .parquet files can be uploaded")
    if not data:
        raise UploadError(f"{sanitise(name)}{ext}: the file is empty")
    if len(data) > MAX_BYTES:
        raise UploadError(f"{sanitise(name)}{ext}: {len(data) / 1e6:.1f} MB is over the "
                          f"{MAX_BYTES / 1e6:.0f} MB limit for an upload")
    if ext == ".parquet" and not data.startswith(b"PAR1"):
        raise UploadError(f"{sanitise(name)}{ext}: not a Parquet file (no PAR1 header)")
    return ext


def save_upload(store: Store, name: str, data: bytes, *, now: datetime | None = None) -> Upload:
    """Keep an uploaded file in the data folder and return where it is.

    1. Check it (extension, size, Parquet magic): UploadError with one line if not.
    2. If the same bytes are kept already, return that file (`new` False).
    3. Else write `<time>-<name>-<hash><ext>` once; a name taken by other bytes gets the
       full hash; nothing is ever overwritten.
    """
    ext = check_upload(name, data)
    digest = hashlib.sha256(data).hexdigest()
    for kept in list_uploads(store):
        if digest.startswith(kept.sha256) and store.read_bytes(kept.rel) == data:
            return kept
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime(_STAMP)
    for hash_part in (digest[:SHORT_HASH], digest):
        rel = f"{FOLDER}/{stamp}-{sanitise(name)}-{hash_part}{ext}"
        if not store.exists(rel):
            store.write(rel, lambda out: out.write(data))
            return _parse(rel, len(data), new=True)  # type: ignore[return-value]
        if store.read_bytes(rel) == data:  # written a moment ago by another session
            return _parse(rel, len(data))  # type: ignore[return-value]
    raise UploadError(f"{sanitise(name)}{ext}: could not find a free name")  # sha256 clash


def list_uploads(store: Store) -> list[Upload]:
    """Every kept upload, newest first (files not named by save_upload are left out)."""
    uploads = [_parse(entry.rel, entry.size) for entry in store.list(FOLDER)]
    return sorted((u for u in uploads if u is not None),
                  key=lambda u: (u.uploaded_at, u.rel), reverse=True)


def _parse(rel: str, size: int, *, new: bool = False) -> Upload | None:
    match = _STORED.match(rel.rsplit("/", 1)[-1])
    if match is None:
        return None
    when = datetime.strptime(match["stamp"], _STAMP).replace(tzinfo=UTC)
    return Upload(rel, match["name"], match["hash"], when, size, new)


def read_upload(store: Store, upload: Upload | str) -> bytes:
    """The bytes of a kept upload."""
    return store.read_bytes(upload.rel if isinstance(upload, Upload) else upload)


def save_mapping(store: Store, upload: Upload, mapping: dict[str, Any]) -> str:
    """Keep the `[[business.series]]` mapping chosen for an upload beside it (replaced when
    the user changes it: the mapping is a choice, the upload is the data)."""
    rel = upload.rel + MAPPING_SUFFIX
    store.write_json(rel, {**mapping, "file": upload.rel})
    return rel


def read_mapping(store: Store, upload: Upload) -> dict[str, Any] | None:
    """The mapping kept for an upload, or None (none chosen yet, or unreadable)."""
    try:
        value = store.read_json(upload.rel + MAPPING_SUFFIX)
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None

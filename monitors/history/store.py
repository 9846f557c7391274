"""Where history bytes live: a local folder or an object store, behind one small interface.

Local writes are atomic (write `.name.tmp`, fsync, rename, fsync the folder); object-store
writes are single PUTs of uniquely named objects, which are atomic by nature.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

import pyarrow.fs as pafs

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_last_rank = 0


@dataclass(frozen=True, slots=True)
class Entry:
    """One listed file: its path relative to the data root, size and modification time."""

    rel: str
    size: int
    mtime_ns: int

    @property
    def name(self) -> str:
        """The file's base name."""
        return self.rel.rsplit("/", 1)[-1]


def new_rank() -> int:
    """A nanosecond timestamp, strictly increasing within this process (orders files)."""
    global _last_rank
    _last_rank = max(time.time_ns(), _last_rank + 1)
    return _last_rank


def unique_name(prefix: str, rank: int, suffix: str = ".parquet") -> str:
    """A file name that sorts by rank and never collides: `<prefix>-<rank>-<random>`."""
    return f"{prefix}-{rank:020d}-{secrets.token_hex(4)}{suffix}"


def rank_of(name: str) -> int:
    """The rank encoded in a file name made by unique_name (0 when there is none)."""
    parts = name.split("-")
    return int(parts[1]) if len(parts) >= 3 and parts[1].isdigit() else 0


def is_object_store(data: str) -> bool:
    """True for URLs such as s3://bucket/prefix (anything but a plain path or file://)."""
    return bool(_URL.match(data)) and not data.lower().startswith("file://")


class Store:
    """Files under one data root; paths are relative ("samples/date=.../x.parquet")."""

    local = False

    def __init__(self, fs: pafs.FileSystem, root: str, url: str) -> None:
        self.fs, self.root, self.url = fs, root.rstrip("/"), url

    def full(self, rel: str) -> str:
        """The filesystem path of a relative path."""
        return f"{self.root}/{rel}" if rel else self.root

    def list(self, rel: str, stat: bool = True) -> list[Entry]:
        """Every visible file below `rel`, recursively (names starting with . or _ skipped);
        size and mtime are 0 unless `stat` (a local listing is faster without)."""
        selector = pafs.FileSelector(self.full(rel), recursive=True, allow_not_found=True)
        entries = []
        for info in self.fs.get_file_info(selector):
            if info.type != pafs.FileType.File or _hidden(info.path):
                continue
            mtime = info.mtime_ns if info.mtime_ns is not None else 0
            entries.append(Entry(info.path[len(self.root) + 1:], info.size or 0, mtime))
        return entries

    def exists(self, rel: str) -> bool:
        """True when the file is there."""
        return self.fs.get_file_info(self.full(rel)).type == pafs.FileType.File

    def open_input(self, rel: str) -> Any:
        """A random-access reader for Parquet."""
        return self.fs.open_input_file(self.full(rel))

    def write(self, rel: str, fill: Callable[[IO[bytes]], None]) -> None:
        """Create the file in one atomic step; `fill` writes its bytes to a stream."""
        with self.fs.open_output_stream(self.full(rel)) as out:
            fill(out)

    def delete(self, rel: str) -> None:
        """Remove a file; a file already gone is fine."""
        with contextlib.suppress(FileNotFoundError):
            self.fs.delete_file(self.full(rel))

    def move(self, src: str, dst: str) -> None:
        """Move a file (copy then delete on object stores)."""
        self.fs.move(self.full(src), self.full(dst))

    def read_bytes(self, rel: str) -> bytes:
        """A small file's bytes (FileNotFoundError or OSError when it cannot be read)."""
        with self.fs.open_input_stream(self.full(rel)) as handle:
            return handle.read()

    def read_json(self, rel: str, default: Any = None) -> Any:
        """A small JSON document, or `default` when it does not exist."""
        try:
            with self.fs.open_input_stream(self.full(rel)) as handle:
                return json.loads(handle.read().decode("utf-8"))
        except FileNotFoundError:
            return default
        except OSError:
            if not self.exists(rel):
                return default
            raise

    def write_json(self, rel: str, value: Any) -> None:
        """Replace a small JSON document atomically."""
        payload = json.dumps(value, indent=1, default=str).encode("utf-8")
        self.write(rel, lambda out: out.write(payload))

    def cleanup_temp(self, older_than_s: float) -> int:
        """Remove temporary files left behind by a crash (none on object stores)."""
        return 0


class LocalStore(Store):
    """A local folder: atomic rename, fsync for durability."""

    local = True

    def list(self, rel: str, stat: bool = True) -> list[Entry]:
        """Every visible file below `rel` (os.scandir is much faster than a generic walk)."""
        entries: list[Entry] = []
        skip = len(self.root) + 1
        for path, info in _walk(self.full(rel), stat):
            size, mtime = (info.st_size, info.st_mtime_ns) if info else (0, 0)
            entries.append(Entry(path[skip:], size, mtime))
        return entries

    def exists(self, rel: str) -> bool:
        """True when the file is there."""
        return os.path.isfile(self.full(rel))

    def open_input(self, rel: str) -> Any:
        """A local path (pyarrow memory-maps nothing and reads directly)."""
        if not os.path.isfile(self.full(rel)):
            raise FileNotFoundError(self.full(rel))
        return self.full(rel)

    def write(self, rel: str, fill: Callable[[IO[bytes]], None]) -> None:
        """Write `.name.tmp`, fsync, rename over the final name, fsync the folder."""
        final = Path(self.full(rel))
        final.parent.mkdir(parents=True, exist_ok=True)
        temp = final.with_name(f".{final.name}.{secrets.token_hex(3)}.tmp")
        try:
            with open(temp, "wb") as out:
                fill(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, final)
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
        _fsync_dir(final.parent)

    def delete(self, rel: str) -> None:
        """Remove a file; a file already gone is fine."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.full(rel))

    def move(self, src: str, dst: str) -> None:
        """Rename a file into place, creating the target folder."""
        target = Path(self.full(dst))
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.full(src), target)

    def read_json(self, rel: str, default: Any = None) -> Any:
        """A small JSON document, or `default` when it does not exist."""
        try:
            return json.loads(Path(self.full(rel)).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return default

    def cleanup_temp(self, older_than_s: float) -> int:
        """Remove `.*.tmp` files older than `older_than_s` (left by a killed writer)."""
        removed, cutoff = 0, time.time() - older_than_s
        for folder in ("samples", "rollups", "state"):
            for dirpath, _, names in os.walk(self.full(folder)):
                for name in names:
                    path = os.path.join(dirpath, name)
                    if name.startswith(".") and name.endswith(".tmp"):
                        with contextlib.suppress(OSError):
                            if os.stat(path).st_mtime < cutoff:
                                os.unlink(path)
                                removed += 1
        return removed


def _hidden(path: str) -> bool:
    return any(part.startswith((".", "_")) for part in path.split("/")[-1:])


def _walk(folder: str, stat: bool) -> Iterator[tuple[str, os.stat_result | None]]:
    try:
        scan = os.scandir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    with scan:
        for item in scan:
            if item.name.startswith((".", "_")):
                continue
            if item.is_dir(follow_symlinks=False):
                yield from _walk(item.path, stat)
            elif not stat:
                yield item.path, None
            elif item.is_file():
                with contextlib.suppress(FileNotFoundError):
                    yield item.path, item.stat()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems cannot fsync a directory; the rename is still atomic
    finally:
        os.close(fd)


@cache
def _object_fs(scheme: str, endpoint: str | None) -> pafs.FileSystem:
    if scheme == "s3":
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        # delayed open: files under the part size (all of ours) go up in one PutObject
        options: dict[str, Any] = {"region": region or "us-east-1", "allow_delayed_open": True}
        if endpoint:
            parsed = urlparse(endpoint if "://" in endpoint else f"https://{endpoint}")
            options.update(endpoint_override=parsed.netloc, scheme=parsed.scheme or "https")
        return pafs.S3FileSystem(**options)
    return pafs.FileSystem.from_uri(f"{scheme}://")[0]  # gs://, abfs://, hdfs:// ...


def open_store(data: str | Store, storage_endpoint: str | None = None) -> Store:
    """The Store for a data location: a folder, file:// URL or s3://bucket/prefix URL (a
    Store is returned as it is: callers open one from the settings and hand it on)."""
    if isinstance(data, Store):
        return data
    if not is_object_store(data):  # cheap, and relative to the current folder: not cached
        path = data[7:] if data.lower().startswith("file://") else data
        root = str(Path(path).expanduser().absolute())
        return LocalStore(pafs.LocalFileSystem(), root, root)
    return _object_store(data.rstrip("/"), storage_endpoint)


def store_for(settings: Any) -> Store:
    """The Store of the settings' data location (folder, or object store with its endpoint):
    opened once by a caller and handed to history reads, state files and heartbeats."""
    return open_store(settings.data, settings.monitor.storage_endpoint)


@cache
def _object_store(data: str, storage_endpoint: str | None) -> Store:
    """One Store per object-store location and endpoint for the whole process."""
    parsed = urlparse(data)
    fs = _object_fs(parsed.scheme.lower(), storage_endpoint)
    root = f"{parsed.netloc}{parsed.path}".rstrip("/")
    return Store(fs, root, data)

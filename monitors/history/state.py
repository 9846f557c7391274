"""Small JSON state files under DATA/state/ (heartbeat, official status), local or object store."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import fsspec


def is_remote(data: str) -> bool:
    """True when the data location is an object-store URL rather than a local folder."""
    return "://" in data and not data.startswith("file://")


def local_state_dir(data: str) -> Path:
    """The state folder for local data, or a per-URL folder in the temp dir for object stores."""
    if not is_remote(data):
        path = Path(data.removeprefix("file://")) / "state"
    else:
        safe = "".join(c if c.isalnum() else "_" for c in data)[:80]
        path = Path(tempfile.gettempdir()) / "platform-pulse" / safe / "state"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _remote(data: str, name: str, endpoint: str | None) -> tuple[Any, str]:
    options = {"client_kwargs": {"endpoint_url": endpoint}} if endpoint else {}
    fs, root = fsspec.core.url_to_fs(data, **options)
    return fs, f"{root.rstrip('/')}/state/{name}"


def write_json(data: str, name: str, payload: dict, *, storage_endpoint: str | None = None) -> None:
    """Write DATA/state/<name> atomically (temp file, fsync, rename; one PUT on object stores)."""
    body = json.dumps(payload, default=str, indent=1).encode()
    if is_remote(data):
        fs, path = _remote(data, name, storage_endpoint)
        fs.pipe_file(path, body)
        return
    folder = local_state_dir(data)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, folder / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(data: str, name: str, *, storage_endpoint: str | None = None) -> dict | None:
    """Read DATA/state/<name>; None when missing or unreadable (never raises)."""
    try:
        if is_remote(data):
            fs, path = _remote(data, name, storage_endpoint)
            raw = fs.cat_file(path)
        else:
            raw = (Path(data.removeprefix("file://")) / "state" / name).read_bytes()
        value = json.loads(raw)
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def list_names(data: str, prefix: str, *, storage_endpoint: str | None = None) -> list[str]:
    """Names of state files starting with `prefix` (e.g. every vantage's heartbeat)."""
    try:
        if is_remote(data):
            fs, path = _remote(data, "", storage_endpoint)
            names = [p.rsplit("/", 1)[-1] for p in fs.ls(path.rstrip("/"), detail=False)]
        else:
            folder = Path(data.removeprefix("file://")) / "state"
            names = [p.name for p in folder.iterdir()] if folder.is_dir() else []
    except OSError:
        return []
    return sorted(n for n in names if n.startswith(prefix) and not n.startswith("."))

"""Why the writer lock of a data folder could not be taken: busy, read-only, or in the way."""

from __future__ import annotations

import errno
import os
import tempfile

from monitors.history.writer import lock_path


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _first_file(path: str) -> str:
    """The nearest existing ancestor of `path` (the file that stands where a folder should)."""
    while path and not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


def lock_failure(data: str, vantage: str) -> str:
    """One line naming the path and the real problem, for when acquire_writer_lock gave None.

    The lock is taken without waiting and a folder we cannot write also gives None; this looks
    again, so "another sampler writes" is only said when the lock file is really held.
    """
    path = lock_path(data, f"writer-{vantage}")
    state = os.path.dirname(path)
    busy = f"another sampler writes {data} for vantage {vantage!r}"
    if os.path.isdir(path):
        return f"the lock file {path} is a folder; remove it (nothing else uses that name)"
    try:
        os.makedirs(state, exist_ok=True)
    except OSError as exc:
        if exc.errno in (errno.ENOTDIR, errno.EEXIST):
            return f"cannot create {state}: {_first_file(state)} is a file, not a folder"
        return f"cannot write the data folder {data}: {_reason(exc)} ({exc.filename or state})"
    try:
        with tempfile.TemporaryFile(dir=state):
            pass
    except OSError as exc:
        return f"cannot write the data folder {data}: {_reason(exc)} ({state})"
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        return f"cannot open the lock file {path}: {_reason(exc)}"
    return busy

"""`python -m monitors export` (CSV) and `report` (the meeting report): a file written
atomically, or stdout; a data folder without history is an error (exit 1)."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from monitors.analysis import loaders
from monitors.config import Settings
from monitors.output.report import build_report, export_csv


@contextlib.contextmanager
def output(path: str | None) -> Iterator[IO[str]]:
    """stdout, or a file written atomically (a temporary name renamed when complete)."""
    if not path or path == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cli_export(args, settings: Settings) -> int:
    """`python -m monitors export --what samples|incidents|uptime [--since W] [-o F]`."""
    where = loaders.scope(args.since, platforms=getattr(args, "platform", None) or ())
    with output(getattr(args, "output", None)) as out:
        export_csv(settings, args.what, where, out)
    return 0


def cli_report(args, settings: Settings) -> int:
    """`python -m monitors report [--since W] -o F.html [--no-images]`."""
    text = build_report(settings, args.since, with_images=not args.no_images)
    with output(args.output) as out:
        out.write(text)
    print(f"report written to {args.output}", file=sys.stderr)
    return 0



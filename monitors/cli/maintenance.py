"""Housekeeping after sampling: compact the history, then store the month-by-month analysis.

The sampler runs this module in a child process (`python -m monitors.cli.maintenance`, the
settings as JSON on stdin); `python -m monitors compact` runs `maintain()` in-process.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from monitors.analysis.stored import materialise
from monitors.config import Settings
from monitors.history.compaction import compact
from monitors.history.read import problems
from monitors.history.store import store_for

log = logging.getLogger("monitors.history")


def maintain(settings: Settings) -> dict[str, Any]:
    """Compact the history, then materialise analysis; a failure of the second step is
    logged and reported, never fatal (the analysis then reads samples, as before)."""

    stats = compact(store_for(settings))
    if stats.get("skipped"):
        return {"compaction": stats}
    try:

        analysis: dict[str, Any] = materialise(settings)
    except Exception as exc:  # the history is fine; only the shortcut is missing
        log.exception("storing the analysis failed")
        analysis = {"error": type(exc).__name__}
    return {"compaction": stats, "analysis": analysis}


def cli_compact(args: Any, settings: Settings) -> int:
    """`python -m monitors compact`: merge segments, write roll-ups and store the analysis
    now; print a summary."""

    done = maintain(settings)
    stats = done["compaction"]
    if stats.get("skipped"):
        print(f"compaction skipped: {stats['skipped']}")
        return 0
    print(
        f"compacted {stats.get('partitions', 0)} partitions "
        f"({stats.get('files_merged', 0)} files, {stats.get('rows', 0)} samples, "
        f"{stats.get('duplicates', 0)} duplicates dropped), "
        f"{stats.get('rollup_files', 0)} roll-up files written in {stats.get('seconds', 0):.1f}s"
    )
    analysis = done.get("analysis", {})
    if "error" in analysis:
        print(f"analysis not stored ({analysis['error']}); summaries read samples instead")
    else:
        print(f"analysis: {analysis.get('months_written', 0)} months stored, "
              f"{analysis.get('months_current', 0)} already current")
    found = problems(store_for(settings))
    if found:
        print(f"{len(found)} unreadable files quarantined; see {settings.data}/quarantine/")
    return 0


def main() -> int:
    """Child-process entry: settings JSON on stdin, one summary line on stdout."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings.model_validate_json(sys.stdin.read())
    done = maintain(settings)
    analysis = done.get("analysis", {})
    print(f"analysis months written {analysis.get('months_written', 0)}"
          if "error" not in analysis else f"analysis not stored ({analysis['error']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

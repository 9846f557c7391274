"""`python -m monitors notice [-o DIR]`: write the customer notice once, from the history."""

from __future__ import annotations

import sys

from monitors.alerts.notice import (
    notice_from_history,
    notice_store,
    publish,
    unknown_platforms,
)
from monitors.config import Settings
from monitors.config_notice import notice_location
from monitors.output.notice_render import FILES, render_json


def cli_notice(args, settings: Settings) -> int:
    """Write notice.html, .json and .svg to -o DIR (or `[notice] to`); exit 2 without one.

    `--json` prints the JSON document instead of the one-line summary."""
    target = getattr(args, "output", None) or settings.config.notice.to
    if not target:
        print("error: notice.to: no place to write the notice; give -o DIR (or "
              "s3://bucket/prefix) or set `to` in the [notice] table", file=sys.stderr)
        return 2
    try:
        target = notice_location(target)
    except ValueError as exc:
        print(f"error: -o: {exc}", file=sys.stderr)
        return 2
    if unknown := unknown_platforms(settings):
        print(f"warning: notice.platforms: no platform has the id "
              f"{', '.join(map(repr, unknown))}", file=sys.stderr)
    notice = notice_from_history(settings)
    publish(notice_store(settings, target), notice)
    if getattr(args, "json", False):
        sys.stdout.write(render_json(notice))
    else:
        print(f"{notice.state}: {notice.message}")
        print(f"wrote {', '.join(FILES.values())} to {target}")
    return 0

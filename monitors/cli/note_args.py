"""The `note` and `ack` arguments (light: building the parser loads nothing of the history)."""

from __future__ import annotations

import argparse

# the same as monitors.history.notes (a test says so); not imported, so that `--help` and the
# commands that read no history stay quick
KINDS = ("happened", "did", "learned", "handled")
TEXT_MAX = 2000


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """The `note` and `ack` sub-commands."""
    note = sub.add_parser("note", parents=[common],
                          help="the team's note on an incident (id from `incidents --json`)")
    note.add_argument("incident", help="incident id, e.g. instagram-20261203t101205z")
    note.add_argument("text", nargs="?", help=f"the note (at most {TEXT_MAX:,} characters)")
    note.add_argument("--by", help="who writes it (default: your login name)")
    note.add_argument("--kind", choices=KINDS,
                      help="what happened / what we did (default) / what we learned / "
                      "who handled it")
    note.add_argument("--edit", metavar="NOTE_ID",
                      help="replace this note's text (its earlier text is kept as history)")
    note.add_argument("--ack", action="store_true", help="acknowledge: I'm on it")
    note.add_argument("--list", action="store_true", help="show the incident's notes")
    note.add_argument("--json", action="store_true", help="with --list: as JSON")
    ack = sub.add_parser("ack", parents=[common], help="acknowledge a live incident: I'm on it")
    ack.add_argument("incident", help="incident id, e.g. instagram-20261203t101205z")
    ack.add_argument("--by", help="who is on it (default: your login name)")

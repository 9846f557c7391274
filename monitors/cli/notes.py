"""CLI `note` and `ack`: the team's notes on an incident, and "I'm on it" on a live one."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from monitors import history
from monitors.analysis.incident_notes import find_incident, notes_for
from monitors.analysis.incidents import Outage
from monitors.config import ConfigError, Settings
from monitors.history import notes as store
from monitors.timeutil import format_local, utcnow


def _who(value: str | None) -> str:
    name = store.clean_text(value if value is not None else _login(), store.NAME_MAX,
                            one_line=True)
    if not name:
        raise ConfigError("--by: give a name (it is shown on the incident)")
    return name


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def _incident(settings: Settings, ident: str) -> Outage:
    outage = find_incident(settings, ident)
    if outage is None:
        hint = "" if store.is_incident_id(ident) else " (ids look like instagram-20261203t101205z)"
        raise ConfigError(f"incident: no incident {ident[:80]!r} in this history{hint}; "
                          "`python -m monitors incidents --json` lists the ids")
    return outage


def _text(value: str | None) -> str:
    if value is None or not value.strip():
        raise ConfigError("text: write the note (or use --ack, --list)")
    if len(value) > store.TEXT_MAX:
        raise ConfigError(f"text: {len(value):,} characters; a note holds at most "
                          f"{store.TEXT_MAX:,}")
    return value


def _write(settings: Settings, rtype: str, outage: Outage, by: str, **fields) -> store.Record:
    record = store.make(rtype, incident=outage.id, platform=outage.platform,
                        start=outage.start, end=outage.end, by=by, **fields)
    return store.write(history.store_for(settings), record)


def cli_note(args: argparse.Namespace, settings: Settings) -> int:
    """`python -m monitors note ID TEXT`: store a note (or an edit, an ack, or list them)."""
    outage = _incident(settings, args.incident)
    if args.list:
        return _list(settings, outage, as_json=args.json)
    if args.ack:
        return _ack(settings, outage, _who(args.by))
    text, by = _text(args.text), _who(args.by)
    if args.edit:
        entry = notes_for(settings, [outage]).get(outage.id)
        revisions = entry.revisions.get(args.edit) if entry else None
        if not revisions:
            raise ConfigError(f"--edit: no note {args.edit[:40]!r} on {outage.id}")
        last = revisions[-1]
        saved = _write(settings, "note", outage, by, text=text, kind=args.kind or last.kind,
                       record=last.record, revision=last.revision + 1)
        print(f"Note {saved.record} on {outage.id} edited (revision {saved.revision}).")
        return 0
    saved = _write(settings, "note", outage, by, text=text, kind=args.kind or "did")
    print(f"Note {saved.record} added to {outage.id} ({outage.headline}).")
    return 0


def _ack(settings: Settings, outage: Outage, by: str) -> int:
    if outage.end is not None:
        raise ConfigError(f"--ack: {outage.id} is over (it ended "
                          f"{format_local(outage.end, settings.business.timezone)}); "
                          "add a note instead")
    _write(settings, "ack", outage, by)
    print(f"{by} is on it: {outage.headline}. Alert reminders for it stop.")
    return 0


def cli_ack(args: argparse.Namespace, settings: Settings) -> int:
    """`python -m monitors ack ID --by NAME`: "I'm on it" on a live incident."""
    return _ack(settings, _incident(settings, args.incident), _who(args.by))


def _list(settings: Settings, outage: Outage, *, as_json: bool) -> int:
    entry = notes_for(settings, [outage], now=utcnow()).get(outage.id)
    notes = entry.notes if entry else []
    if as_json:
        json.dump({"id": outage.id, "notes": [
            {**r.to_json(), "revisions": len(entry.revisions[r.record])} for r in notes],
            "ack": entry.ack.to_json() if entry and entry.ack else None,
            "reviews": [r.to_json() for r in entry.reviews] if entry else []},
            sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    tz = settings.business.timezone
    print(f"{outage.id}: {outage.headline}")
    if entry and entry.ack:
        print(f"  {entry.ack.by} is on it (since {format_local(entry.ack.at, tz, '%H:%M')})")
    if not notes:
        print("  No notes yet.")
    for r in notes:
        edited = f", revision {r.revision}" if r.revision > 1 else ""
        print(f"  [{r.record}] {format_local(r.at, tz, '%Y-%m-%d %H:%M')} {r.by} "
              f"({store.KIND_LABELS[r.kind].lower()}{edited}):")
        print("    " + r.text.replace("\n", "\n    "))
    return 0

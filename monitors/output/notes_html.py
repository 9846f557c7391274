"""HTML for the team's notes, acknowledgements and reviews (pure; every user text escaped).

Notes are user text: written by anyone with the dashboard open, so they are escaped here
(`html.escape`, quotes included), never passed to a Markdown renderer, and their newlines
become <br>. Used by the dashboard and the meeting report alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from html import escape
from typing import Any

import pandas as pd

from monitors.analysis.incident_notes import FollowUp
from monitors.analysis.notes import IncidentRecords
from monitors.analysis.playbook import Lesson
from monitors.history.notes import KIND_LABELS, Record, incident_id
from monitors.output import present

CSS = """
<style>
.pp-notes { border:1px solid #e2e8f0; border-radius:10px; padding:.55rem .8rem; margin:.3rem 0;
  background:#fff; }
.pp-notes .pp-n { padding:.35rem 0; border-bottom:1px dashed #e2e8f0; }
.pp-notes .pp-n:last-child { border-bottom:0; }
.pp-notes .pp-n-head { color:#64748b; font-size:.8rem; }
.pp-notes .pp-n-head b { color:#0f172a; }
.pp-notes .pp-kind { display:inline-block; border-radius:999px; padding:0 .5rem;
  margin-right:.35rem; font-size:.72rem; font-weight:700; background:#e0e7ff; color:#3730a3; }
.pp-notes .pp-kind.learned { background:#dcfce7; color:#166534; }
.pp-notes .pp-kind.happened { background:#f1f5f9; color:#334155; }
.pp-notes .pp-kind.handled { background:#fef3c7; color:#92400e; }
.pp-notes .pp-n-text { font-size:.92rem; color:#0f172a; white-space:normal;
  overflow-wrap:anywhere; margin-top:.1rem; }
.pp-notes .pp-empty { color:#64748b; font-size:.85rem; }
.pp-notes .pp-n-ack { font-size:.85rem; margin:.1rem 0 .3rem; color:#1e3a8a; font-weight:700; }
</style>
"""


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def text_html(text: str) -> str:
    """User text as inert HTML: escaped, its lines joined by <br>."""
    return "<br>".join(_e(line) for line in str(text).split("\n"))


def _when(ts: datetime, tz: str) -> str:
    return present.local_time(ts, tz, "%d %b %H:%M")


def note_html(record: Record, tz: str, *, revisions: int = 1) -> str:
    """One note: its kind, who and when (and that it was edited), its text."""
    label = KIND_LABELS.get(record.kind, record.kind)
    edited = f" · edited ({revisions} versions)" if revisions > 1 else ""
    return (f'<div class="pp-n"><div class="pp-n-head"><span class="pp-kind {_e(record.kind)}">'
            f"{_e(label)}</span><b>{_e(record.by)}</b> · {_e(_when(record.at, tz))}"
            f"{_e(edited)}</div><div class=\"pp-n-text\">{text_html(record.text)}</div></div>")


def review_html(record: Record, tz: str) -> str:
    """One review: what worked, what did not, the lesson."""
    parts = [(label, value) for label, value in (("Worked", record.worked),
                                                 ("Didn't work", record.didnt),
                                                 ("Lesson", record.lesson)) if value]
    body = "".join(f"<div><b>{_e(label)}:</b> {text_html(value)}</div>" for label, value in parts)
    return (f'<div class="pp-n"><div class="pp-n-head"><span class="pp-kind learned">Review'
            f"</span><b>{_e(record.by)}</b> · {_e(_when(record.at, tz))}</div>"
            f'<div class="pp-n-text">{body}</div></div>')


def ack_text(ack: Record | None, tz: str, now: datetime | None = None) -> str:
    """'Ana is on it (since 10:15)' in the business timezone; '' without one."""
    if ack is None:
        return ""
    when = present.short_time(ack.at, tz, now) if now else _when(ack.at, tz)
    return f"{ack.by} is on it (since {when})"


def incident_notes_html(entry: IncidentRecords | None, tz: str) -> str:
    """Everything recorded on one incident, as one block (or a line saying there is nothing)."""
    if entry is None or entry.empty:
        return '<div class="pp-notes"><div class="pp-empty">No notes yet.</div></div>'
    parts = []
    if entry.ack is not None:
        parts.append(f'<div class="pp-n-ack">{_e(ack_text(entry.ack, tz))}</div>')
    parts.extend(note_html(r, tz, revisions=len(entry.revisions.get(r.record, [r])))
                 for r in entry.notes)
    parts.extend(review_html(r, tz) for r in entry.reviews)
    return f'<div class="pp-notes">{"".join(parts)}</div>'


def lessons_html(lessons: Sequence[Lesson], reviewed: date | None, *, limit: int = 3) -> str:
    """A playbook's last review date and its newest lessons."""
    head = (f"Last reviewed {reviewed.isoformat()}" if reviewed else "Never reviewed")
    items = "".join(
        f"<li><b>{_e(x.on.isoformat())}</b> ({_e(x.by)}): {text_html(x.lesson or x.didnt)}</li>"
        for x in [x for x in lessons if x.lesson or x.didnt][:limit])
    return (f'<div class="pp-notes"><div class="pp-n-head">{_e(head)}</div>'
            + (f"<ul>{items}</ul>" if items else "") + "</div>")


def follow_up_section(follow: FollowUp | None, tz: str) -> str:
    """The report's "What we did / what we learned" section (empty without notes or stale
    playbooks)."""
    if follow is None or not (follow.incidents or follow.unreviewed):
        return ""
    rows = []
    for outage, entry in follow.incidents:
        did = [r for r in entry.notes if r.kind in ("did", "handled", "happened")]
        learned = [r for r in entry.notes if r.kind == "learned"]
        lessons = [r.lesson for r in entry.reviews if r.lesson]
        cell = "".join(f'<div class="fu">{text_html(r.text)} <span class="note">— '
                       f"{_e(r.by)}</span></div>" for r in did) or "—"
        learn = "".join(f'<div class="fu">{text_html(t)}</div>'
                        for t in [r.text for r in learned] + lessons) or "—"
        rows.append(f"<tr><td>{_e(outage.name or outage.platform)}<div class=\"note\">"
                    f"{_e(present.local_time(outage.start, tz))} · {_e(outage.id)}</div></td>"
                    f"<td>{cell}</td><td>{learn}</td></tr>")
    table = ("<table><thead><tr><th>Incident</th><th>What we did</th><th>What we learned</th>"
             f"</tr></thead><tbody>{''.join(rows)}</tbody></table>") if rows else (
        '<p class="note">No notes were written on this window\'s incidents.</p>')
    stale = ""
    if follow.unreviewed:
        items = "".join(
            f"<li><b>{_e(p.name)}</b>: last outage ended {_e(present.local_time(end, tz))}; "
            f"playbook {'last reviewed ' + _e(r.isoformat()) if r else 'never reviewed'}</li>"
            for p, end, r in follow.unreviewed)
        stale = ("<h3>Playbooks not reviewed since their platform's last outage</h3>"
                 f"<ul>{items}</ul>")
    return (f'<section class="block"><h2 id="follow-up">What we did / what we learned</h2>'
            f"{table}{stale}</section>")


def hover_lines(entry: IncidentRecords | None, tz: str, *, limit: int = 3,
                chars: int = 90) -> str:
    """The notes of an incident for a chart's hover: escaped for plotly's HTML subset, each
    cut to `chars` (the hover is a glance; the History page has the whole note)."""
    if entry is None or not (entry.notes or entry.ack):
        return ""
    lines = [f"<i>{_e(ack_text(entry.ack, tz))}</i>"] if entry.ack else []
    for record in entry.notes[-limit:]:
        text = " ".join(record.text.split())
        text = text if len(text) <= chars else text[: chars - 1] + "…"
        lines.append(f"• {_e(record.by)}: {_e(text)}")
    if len(entry.notes) > limit:
        lines.append(f"… and {len(entry.notes) - limit} more on the History page")
    return "<br>".join(lines)


def add_note_hover(fig: Any, frame: pd.DataFrame, entries: Mapping[str, IncidentRecords],
                   tz: str) -> Any:
    """The outage timeline (charts.outage_timeline of `frame`) with each bar's notes added to
    its hover. The timeline draws one trace per severity, its bars in frame order."""
    if frame.empty or not entries:
        return fig
    ids = [incident_id(p, present.to_datetime(s)) for p, s in zip(frame["platform"],
                                                                  frame["start"], strict=True)]
    labels = {label: severity for severity, label in present.SEVERITY_LABELS.items()}
    for trace in fig.data:
        severity = labels.get(trace.name)
        if severity is None or trace.customdata is None:
            continue
        mine = [i for i, sev in enumerate(frame["severity"]) if sev == severity]
        if len(mine) != len(trace.customdata):
            continue  # not the shape expected: leave the hover as it is
        texts = []
        for row, text in zip(mine, trace.customdata, strict=True):
            extra = hover_lines(entries.get(ids[row]), tz)
            texts.append(f"{text}<br>{extra}" if extra else text)
        trace.customdata = texts
    return fig

"""The team's notes on incidents (History), "I'm on it" and the review after an outage (Live).

Widgets only: the records are stored by monitors/history/notes.py, placed on incidents by
monitors/analysis/notes.py and drawn, escaped, by monitors/output/notes_html.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import streamlit as st

from dashboard_pages.data import SINCE_WINDOW, cached_analysis, data_key
from monitors import history
from monitors.analysis import incident_notes, loaders
from monitors.analysis.incidents import Outage
from monitors.analysis.notes import IncidentRecords
from monitors.analysis.playbook import PlaybookView, playbook_for
from monitors.config import Settings
from monitors.history import notes as store
from monitors.output import notes_html, page, present
from monitors.timeutil import utcnow

REVIEW_WITHIN_DAYS = 7  # closed outages offered for review on the Live page
NAME_KEY = "pp_name"  # the name last typed, offered again in the next form


def _label(outage: Outage, tz: str, entry: IncidentRecords | None) -> str:
    count = len(entry.notes) if entry else 0
    notes = f" · {count} note{'s' if count != 1 else ''}" if count else ""
    when = present.local_time(outage.start, tz, "%a %d %b %H:%M")
    return f"{outage.headline} · {when}{' · ongoing' if outage.end is None else ''}{notes}"


def _name(key: str) -> str:
    return st.text_input("Your name", value=st.session_state.get(NAME_KEY, ""),
                         max_chars=store.NAME_MAX, key=key, placeholder="e.g. Ana")


def _save(settings: Settings, rtype: store.RecordType, outage: Outage, by: str,
          **fields) -> bool:
    """Write one record; False (with a message) when the name is missing."""
    by = store.clean_text(by, store.NAME_MAX, one_line=True)
    if not by:
        st.warning("Give your name: it is shown with what you write.", icon=":material/badge:")
        return False
    st.session_state[NAME_KEY] = by
    store.write(history.store_for(settings), store.make(
        rtype, incident=outage.id, platform=outage.platform, start=outage.start,
        end=outage.end, by=by, **fields))
    return True


# ------------------------------------------------------------------ History: notes
def history_notes_ui(settings: Settings, outages: Sequence[Outage]) -> None:
    """The notes of one incident of the window, a form to add one, and editing with history."""
    if not outages:
        return
    tz = settings.business.timezone
    st.markdown(notes_html.CSS, unsafe_allow_html=True)
    st.markdown("##### Incident notes")
    placed = incident_notes.notes_for(settings, outages)
    newest = sorted(outages, key=lambda o: o.start, reverse=True)
    by_id = {o.id: o for o in newest}
    noted = [i for i, o in enumerate(newest) if o.id in placed and not placed[o.id].empty]
    picked = st.selectbox("Incident", list(by_id), key="notes_incident",
                          index=noted[0] if noted else 0,
                          format_func=lambda i: _label(by_id[i], tz, placed.get(i)),
                          help="What happened for you, what you did, who handled it and what "
                          "you learned. Stored in the data folder; kept when the history is "
                          "compacted or recomputed.")
    outage = by_id[picked]
    shown = st.container()
    with st.form("note_form", clear_on_submit=True, border=True):
        left, right = st.columns([1, 1])
        with left:
            kind = st.selectbox("Kind", store.KINDS, index=1, key="note_kind",
                                format_func=store.KIND_LABELS.get)
        with right:
            by = _name("note_by")
        text = st.text_area(f"Note (at most {store.TEXT_MAX:,} characters)", key="note_text",
                            max_chars=store.TEXT_MAX, height=90,
                            placeholder="e.g. Paused the Instagram ads at 10:20")
        added = st.form_submit_button("Add note", icon=":material/edit_note:")
        if added and text.strip() and _save(settings, "note", outage, by, kind=kind, text=text):
            st.toast("Note added", icon=":material/check:")
    entry = incident_notes.notes_for(settings, [outage]).get(outage.id)
    shown.markdown(notes_html.incident_notes_html(entry, tz), unsafe_allow_html=True)
    if entry and entry.notes:
        _edit_ui(settings, outage, entry, tz)


def _edit_ui(settings: Settings, outage: Outage, entry: IncidentRecords, tz: str) -> None:
    with st.expander("Edit a note or see its earlier versions", icon=":material/history:"):
        notes = {r.record: r for r in entry.notes}
        pick = st.selectbox("Note", list(notes), key=f"edit_pick_{outage.id}",
                            format_func=lambda i: f"{notes[i].by}: {notes[i].text[:60]}")
        current = notes[pick]
        versions = entry.revisions.get(pick, [current])
        if len(versions) > 1:
            st.markdown("".join(notes_html.note_html(r, tz) for r in versions[:-1]),
                        unsafe_allow_html=True)
            st.caption(f"{len(versions) - 1} earlier version(s) above; the newest is shown "
                       "on the incident.")
        with st.form(f"edit_{pick}_{current.revision}", border=False):
            text = st.text_area("New text", value=current.text, max_chars=store.TEXT_MAX,
                                key=f"edit_text_{pick}_{current.revision}")
            by = _name(f"edit_by_{pick}_{current.revision}")
            saved = st.form_submit_button("Save edit")
            if saved and text.strip() and text != current.text and _save(
                    settings, "note", outage, by, kind=current.kind, text=text,
                    record=current.record, revision=current.revision + 1):
                st.rerun()


def timeline_notes(settings: Settings, outages: Sequence[Outage]) -> dict[str, IncidentRecords]:
    """The notes to add to the timeline's hover."""
    return incident_notes.notes_for(settings, outages)


# ------------------------------------------------------------------ Live: ack and review
def live_actions_ui(settings: Settings) -> None:
    """'I'm on it' for each ongoing outage; the review form for outages that closed lately."""
    now, tz = utcnow(), settings.business.timezone
    since = loaders.scope(SINCE_WINDOW, end=page.minute(now)).window
    outages = cached_analysis(settings, data_key(settings), since.start, since.end).outages
    if not outages:
        return
    placed = incident_notes.notes_for(settings, outages, now=now)
    ongoing = [o for o in outages if o.end is None and not (placed.get(o.id) and
                                                           placed[o.id].ack)]
    if ongoing:
        _ack_ui(settings, ongoing, tz, placed)
    recent = [o for o in outages if o.end is not None and not o.maintenance
              and (now - o.end).total_seconds() < REVIEW_WITHIN_DAYS * 86400
              and not (placed.get(o.id) and placed[o.id].reviews)]
    if recent:
        _review_ui(settings, sorted(recent, key=lambda o: o.end, reverse=True), tz, now)


def _ack_ui(settings: Settings, ongoing: list[Outage], tz: str,
            placed: dict[str, IncidentRecords]) -> None:
    with st.form("ack_form", border=True):
        st.markdown("**Someone on it?** Say so: the tile and the next alert name you, and "
                    "alert reminders for it stop.")
        by_id = {o.id: o for o in ongoing}
        left, right = st.columns([3, 2])
        with left:
            picked = st.selectbox("Outage", list(by_id), key="ack_incident",
                                  format_func=lambda i: f"{by_id[i].headline} · since "
                                  f"{present.local_time(by_id[i].start, tz, '%H:%M')}")
        with right:
            by = _name("ack_by")
        pressed = st.form_submit_button("I'm on it", type="primary", icon=":material/front_hand:")
        if pressed and _save(settings, "ack", by_id[picked], by):
            st.rerun()


def _review_ui(settings: Settings, recent: list[Outage], tz: str, now: datetime) -> None:
    with st.container(border=True):
        st.markdown(f"**Review after the outage** ({len(recent)} not reviewed yet): what "
                    "worked from the playbook, what didn't, and the lesson for next time.")
        by_id = {o.id: o for o in recent}
        picked = st.selectbox("Outage", list(by_id), key="review_incident",
                              format_func=lambda i: _label(by_id[i], tz, None)
                              + f" · ended {present.ago((now - by_id[i].end).total_seconds())}")
        outage = by_id[picked]
        platform = settings.platform(outage.platform)
        if platform is not None:
            view = playbook_for(platform, settings.platforms, {}, today=now.date(),
                                reviews=incident_notes.all_reviews(settings).get(platform.id, ()))
            steps = " · ".join(f"{i}. {s}" for i, s in enumerate(view.steps, 1))
            st.caption(f"The {platform.name} playbook: {steps}")
        with st.form("review_form", clear_on_submit=True, border=False):
            cap = store.TEXT_MAX
            worked = st.text_area("What worked from the playbook", max_chars=cap, height=68,
                                  key="review_worked")
            didnt = st.text_area("What didn't", max_chars=cap, height=68, key="review_didnt")
            lesson = st.text_area("Lesson for the playbook", max_chars=cap, height=68,
                                  key="review_lesson",
                                  placeholder="e.g. Keep the SMS gateway's credits topped up")
            by = _name("review_by")
            saved = st.form_submit_button("Save the review", icon=":material/task_alt:")
            if saved and (worked.strip() or didnt.strip() or lesson.strip()) and _save(
                    settings, "review", outage, by, worked=worked, didnt=didnt, lesson=lesson):
                st.toast("Review saved: the playbook shows it", icon=":material/check:")


def playbook_lessons_ui(view: PlaybookView) -> None:
    """A playbook's last review date and the lessons from reviews after its outages."""
    st.markdown(notes_html.CSS + notes_html.lessons_html(view.lessons, view.reviewed),
                unsafe_allow_html=True)


def acks(settings: Settings, outages: Sequence[Outage]) -> dict:
    """Per ongoing outage id, who is on it (for the tiles)."""
    return incident_notes.acks_for(settings, outages)

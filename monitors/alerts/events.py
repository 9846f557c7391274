"""State changes -> alert events (pure): one per change, provider-wide merges, digest."""

from __future__ import annotations

import copy
import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from monitors.alerts import messages
from monitors.analysis.notes import ack_for, lessons_by_platform, months_for
from monitors.analysis.playbook import states_from_outages
from monitors.config import Settings
from monitors.history import notes as store_notes
from monitors.history.store import store_for

if TYPE_CHECKING:  # only for hints: alerts need not load pandas with the detector
    from monitors.analysis.incidents import Outage

EventKind = Literal[
    "opened", "resolved", "degraded", "provider", "vantage_offline", "vantage_online", "digest"
]
log = logging.getLogger("monitors.alerts")
DIGEST_AFTER = 5  # more events than this in one round become one digest message
ABSENT_GRACE_S = 300.0  # an ongoing outage missing from detection this long counts as over


@dataclass(slots=True)
class AlertEvent:
    """One notification to send: a state change of a platform, a provider or the monitor."""

    kind: EventKind
    key: str  # stable id of the change: the same change gets the same key on every vantage
    platforms: tuple[str, ...]
    title: str
    body: str
    summary: str = ""  # one line, for digests
    severity: str | None = None  # "down" / "degraded" for outage events (routes opt-in degraded)
    provider: str = ""
    since: datetime | None = None
    reminder: bool = False
    parts: tuple[AlertEvent, ...] = field(default_factory=tuple)  # the events a digest stands for

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (for the outbox on disk)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["platforms"] = list(self.platforms)
        data["since"] = _iso(self.since) if self.since else None
        data["parts"] = [p.to_json() for p in self.parts]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AlertEvent:
        """The inverse of to_json."""
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        values["platforms"] = tuple(values.get("platforms", ()))
        values["since"] = _parse(values["since"]) if values.get("since") else None
        values["parts"] = tuple(cls.from_json(p) for p in values.get("parts", ()))
        return cls(**values)


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat()


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class _Round:
    settings: Settings
    now: datetime
    states: Mapping[str, str]
    current: Mapping[str, Outage]  # ongoing outage per platform
    outages: Sequence[Outage]
    acks: Mapping[str, store_notes.Record] = field(default_factory=dict)  # per platform
    reviews: Mapping[str, Sequence[store_notes.Record]] | None = None  # per platform; lazy


def events_from_state(
    previous: Mapping[str, Any] | None,
    outages: Sequence[Outage],
    *,
    vantage_offline: bool,
    now: datetime,
    settings: Settings,
    vantage: str | None = None,
    acks: Mapping[str, store_notes.Record] | None = None,
    reviews: Mapping[str, Sequence[store_notes.Record]] | None = None,
) -> tuple[list[AlertEvent], dict[str, Any]]:
    """Compare the alert state with the detected outages; return (events to send, new state).

    `acks`: the acknowledgement ("I'm on it") per platform of its ongoing outage; None reads
    them from the data folder's notes (only when an outage is ongoing: a listing and the new
    files). An acknowledged outage gets no reminders; its next message says who is on it.
    `reviews` (per platform; None: read when a message is written) put the lessons of past
    reviews under the playbook in the message.

    1. The monitor's own network: offline -> `vantage_offline` once; back -> `vantage_online`.
       While offline, platform states are frozen (samples are unknown, nothing resolves).
    2. Per platform: a new ongoing outage or a severity change -> `opened`/`degraded`; still
       the same after `renotify_after` -> a reminder; gone (ended, or missing from detection for
       a grace period) -> `resolved`.
    3. Changes of one provider in the same round merge into one `provider` message naming all
       its platforms that are down.
    4. More than DIGEST_AFTER events -> one `digest` standing for all of them.
    """
    state = _clean(previous)
    vantage = vantage or settings.monitor.vantage
    events = _vantage_events(state, vantage, vantage_offline, now, settings)
    if not vantage_offline:
        current = _ongoing(outages)
        if acks is None:  # from the data folder: the reviews too, when a message needs them
            acks = read_acks(settings, current, now)
        elif reviews is None:
            reviews = {}  # given acknowledgements (tests): nothing is read from disk
        context = _Round(
            settings, now, states_from_outages(outages, settings.platforms), current,
            outages, acks, reviews,
        )
        events += _merge_providers(_platform_events(state["platforms"], context), context)
    if len(events) > DIGEST_AFTER:
        events = [_digest(events, settings)]
    return events, state


def read_acks(settings: Settings, current: Mapping[str, Outage], now: datetime
              ) -> dict[str, store_notes.Record]:
    """The acknowledgement of each ongoing outage, from the notes in the data folder (pure
    Python and json: this runs in the sampler process); {} when they cannot be read."""
    if not current:
        return {}
    try:
        months = months_for(min(o.start for o in current.values()), now)
        records = store_notes.read(store_for(settings), months, types=("ack",))
    except (OSError, ValueError) as exc:  # alerts go out without: an ack is a courtesy
        log.warning("alerts: acknowledgements unreadable (%s)", type(exc).__name__)
        return {}
    found = {pid: ack_for(o, records, now=now) for pid, o in current.items()}
    return {pid: ack for pid, ack in found.items() if ack is not None}


def _reviews(context: _Round) -> Mapping[str, Sequence[store_notes.Record]]:
    """The reviews per platform: given, or read once per round when a message needs them."""
    if context.reviews is not None:
        return context.reviews
    try:
        records = store_notes.read(store_for(context.settings), types=("review",))
    except (OSError, ValueError) as exc:
        log.warning("alerts: reviews unreadable (%s)", type(exc).__name__)
        records = []
    found = lessons_by_platform(records)
    object.__setattr__(context, "reviews", found)  # frozen: remembered for this round only
    return found


def _clean(previous: Mapping[str, Any] | None) -> dict[str, Any]:
    state = copy.deepcopy(dict(previous)) if isinstance(previous, Mapping) else {}
    for section in ("platforms", "vantages"):
        if not isinstance(state.get(section), dict):
            state[section] = {}
    return state


def _ongoing(outages: Sequence[Outage]) -> dict[str, Outage]:
    current: dict[str, Outage] = {}
    for outage in outages:
        if outage.end is not None:
            continue
        best = current.get(outage.platform)
        rank = (outage.severity == "down", outage.start)
        if best is None or rank > (best.severity == "down", best.start):
            current[outage.platform] = outage
    return current


def _vantage_events(
    state: dict[str, Any], vantage: str, offline: bool, now: datetime, settings: Settings
) -> list[AlertEvent]:
    since = (state["vantages"].get(vantage) or {}).get("offline_since")
    if offline and not since:
        state["vantages"][vantage] = {"offline_since": _iso(now)}
        text = messages.vantage_message(vantage, False, now, settings, now)
        return [AlertEvent("vantage_offline", f"vantage_offline:{vantage}:{_iso(now)}", (),
                           *text, since=now)]
    if not offline and since:
        del state["vantages"][vantage]
        text = messages.vantage_message(vantage, True, _parse(since), settings, now)
        return [AlertEvent("vantage_online", f"vantage_online:{vantage}:{since}", (),
                           *text, since=_parse(since))]
    return []


def _platform_events(known: dict[str, Any], context: _Round) -> list[AlertEvent]:
    events: list[AlertEvent] = []
    for platform_id in sorted(set(context.current) | set(known)):
        outage = context.current.get(platform_id)
        if outage is not None:
            event = _on_ongoing(known, outage, context)
        else:
            event = _on_gone(known, platform_id, context)
        if event is not None:
            events.append(event)
    return events


def _on_ongoing(known: dict[str, Any], outage: Outage, context: _Round) -> AlertEvent | None:
    prev, now, severity = known.get(outage.platform), context.now, outage.severity
    ack = context.acks.get(outage.platform)
    if prev and prev["severity"] == severity:
        prev["last_seen"] = _iso(now)
        if ack is not None:  # someone is on it: no more reminders
            prev["ack"] = {"by": ack.by, "at": _iso(ack.at)}
            return None
        renotify_s = context.settings.monitor.renotify_after
        age_s = (now - _parse(prev["notified_at"])).total_seconds()
        if renotify_s <= 0 or age_s < renotify_s:
            return None
        prev["reminders"] += 1
        prev["notified_at"] = _iso(now)
        return _outage_event(outage, prev, context, reminder=True)
    entry = {
        "severity": severity,
        "worst": "down" if "down" in (severity, (prev or {}).get("worst")) else "degraded",
        "start": prev["start"] if prev else _iso(outage.start),
        "provider": outage.provider,
        "seq": prev["seq"] + 1 if prev else 0,
        "reminders": 0,
        "notified_at": _iso(now),
        "last_seen": _iso(now),
    }
    if ack is not None:
        entry["ack"] = {"by": ack.by, "at": _iso(ack.at)}
    known[outage.platform] = entry
    return _outage_event(outage, entry, context)


def _outage_event(
    outage: Outage, entry: Mapping[str, Any], context: _Round, *, reminder: bool = False
) -> AlertEvent:
    severity = outage.severity
    kind: EventKind = "opened" if severity == "down" else "degraded"
    key = f"{kind}:{outage.platform}:{entry['start']}:{entry['seq']}"
    if reminder:
        key += f":r{entry['reminders']}"
    text = messages.outage_message(
        outage, context.settings, context.states, context.now, reminder=reminder,
        ack=context.acks.get(outage.platform), reviews=_reviews(context),
    )
    return AlertEvent(kind, key, (outage.platform,), *text, severity=severity,
                      provider=outage.provider, since=outage.start, reminder=reminder)


def _on_gone(known: dict[str, Any], platform_id: str, context: _Round) -> AlertEvent | None:
    prev = known[platform_id]
    start = _parse(prev["start"])
    ended = [o for o in context.outages
             if o.platform == platform_id and o.end is not None and o.end >= start]
    outage = max(ended, key=lambda o: o.end) if ended else None  # type: ignore[arg-type,return-value]
    grace_s = max(ABSENT_GRACE_S, 3 * context.settings.monitor.interval)
    missing_s = (context.now - _parse(prev["last_seen"])).total_seconds()
    if outage is None and missing_s < grace_s:
        return None  # another vantage's view may lag behind; do not call it over yet
    del known[platform_id]
    text = messages.resolved_message(platform_id, start, outage, context.settings, context.now,
                                     ack=prev.get("ack"))
    return AlertEvent("resolved", f"resolved:{platform_id}:{prev['start']}", (platform_id,),
                      *text, severity=prev.get("worst", prev["severity"]),
                      provider=prev.get("provider", ""), since=start)


def _merge_providers(events: list[AlertEvent], context: _Round) -> list[AlertEvent]:
    groups: dict[tuple[str, str], list[AlertEvent]] = {}
    for event in events:
        if event.provider and event.kind in ("opened", "resolved"):
            groups.setdefault((event.provider, event.kind), []).append(event)
    merged: dict[tuple[str, str], list[AlertEvent]] = {}
    for (provider, kind), group in groups.items():
        down = [o for o in context.current.values()
                if o.provider == provider and o.severity == "down"]
        if kind == "opened" and len(down) >= 2:
            merged[(provider, kind)] = [_provider_opened(provider, down, group, context)]
        elif kind == "resolved" and len(group) >= 2:
            merged[(provider, kind)] = [_provider_resolved(provider, group, context)]
    result: list[AlertEvent] = []
    for event in events:
        group_key = (event.provider, event.kind)
        if group_key not in merged:
            result.append(event)
        elif merged[group_key]:
            result.extend(merged[group_key])
            merged[group_key] = []
    return result


def _joined_key(prefix: str, group: Sequence[AlertEvent]) -> str:
    return prefix + "+".join(sorted(e.key for e in group))


def _provider_opened(
    provider: str, down: list[Outage], group: list[AlertEvent], context: _Round
) -> AlertEvent:
    down = sorted(down, key=lambda o: (o.start, o.platform))
    reminder = all(e.reminder for e in group)
    new = [e.platforms[0] for e in group if not e.reminder]
    title, body, summary = messages.provider_message(
        provider, down, new, context.settings, context.states, context.now, reminder=reminder,
        acks=context.acks, reviews=_reviews(context),
    )
    return AlertEvent("provider", _joined_key("provider:", group),
                      tuple(o.platform for o in down), title, body, summary, severity="down",
                      provider=provider, since=down[0].start, reminder=reminder)


def _provider_resolved(provider: str, group: list[AlertEvent], context: _Round) -> AlertEvent:
    parts = [(e.platforms[0], e.body.split("\n\n")[0]) for e in group]  # facts, no footer
    title, body, summary = messages.provider_resolved_message(provider, parts, context.settings)
    severity = "down" if any(e.severity == "down" for e in group) else "degraded"
    since = min(e.since for e in group if e.since) if any(e.since for e in group) else None
    return AlertEvent("provider", _joined_key("provider-resolved:", group),
                      tuple(e.platforms[0] for e in group), title, body, summary,
                      severity=severity, provider=provider, since=since)


def _digest(events: list[AlertEvent], settings: Settings) -> AlertEvent:
    title, body = messages.digest_message([e.summary or e.title for e in events], settings)
    digest = hashlib.sha256("|".join(e.key for e in events).encode()).hexdigest()[:16]
    platforms = tuple(sorted({p for e in events for p in e.platforms}))
    return AlertEvent("digest", f"digest:{digest}", platforms, title, body, title,
                      parts=tuple(events))

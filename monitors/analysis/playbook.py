"""The contingency playbook per platform: fallbacks and steps, which fallbacks are up now."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Literal

from monitors.config import Platform

if TYPE_CHECKING:  # only for hints: alerts need not load pandas with the detector
    from monitors.analysis.incidents import Outage
    from monitors.history.notes import Record

REVIEW_AFTER_DAYS = 90  # a plan older than a quarter has usually drifted from how the team works

# Fallbacks that are not monitored platforms: what they are called in messages and the UI.
_CHANNELS = {
    "email": "Email list",
    "e-mail": "Email list",
    "sms": "SMS",
    "website": "Website notice",
    "phone": "Phone",
}
_ANOTHER = ("another platform", "other platform", "another platform that is up")
DEFAULT_FALLBACKS = ("email", "sms", "another platform", "website")


@dataclass(frozen=True, slots=True)
class Fallback:
    """One fallback channel and whether it can be used right now."""

    name: str  # label for people
    kind: Literal["platform", "channel", "another"] = "channel"
    platform: str | None = None  # platform id when the fallback is a monitored platform
    status: str | None = None  # its status now; None when we do not monitor it (email, SMS)
    alternatives: tuple[str, ...] = ()  # for "another platform": names of platforms that are up

    @property
    def usable(self) -> bool:
        """False only when we know it is not working (a monitored platform that is not up)."""
        if self.kind == "another":
            return bool(self.alternatives)
        return self.status in (None, "up")

    def describe(self) -> str:
        """'LinkedIn (up)', 'X (down)', 'Email list', 'Another platform that is up: LinkedIn'."""
        if self.kind == "another":
            return f"{self.name}: {', '.join(self.alternatives) or 'none right now'}"
        return f"{self.name} ({self.status})" if self.status else self.name


@dataclass(frozen=True, slots=True)
class Lesson:
    """What a review after an outage said about the playbook (user text: escape to show)."""

    on: date  # when the review was written
    by: str
    incident: str  # the incident's stable id
    worked: str
    didnt: str
    lesson: str


def lessons_from(reviews: Iterable[Record]) -> tuple[Lesson, ...]:
    """Review records as lessons, newest first (reviews with nothing written are left out)."""
    out = [Lesson(r.at.astimezone(UTC).date(), r.by, r.incident, r.worked, r.didnt, r.lesson)
           for r in reviews if r.type == "review" and (r.worked or r.didnt or r.lesson)]
    return tuple(sorted(out, key=lambda item: item.on, reverse=True))


def last_review(platform: Platform, lessons: Sequence[Lesson]) -> date | None:
    """The playbook's last review: the config's `reviewed` date or the newest review record."""
    dates = [d for d in (platform.playbook.reviewed, *(x.on for x in lessons)) if d is not None]
    return max(dates) if dates else None


def unreviewed(platforms: Sequence[Platform], last_outage_end: Mapping[str, datetime],
               reviews: Mapping[str, Sequence[Record]]) -> list[tuple[Platform, datetime,
                                                                       date | None]]:
    """(platform, end of its last outage, last review) for every playbook not reviewed since
    its platform's last outage ended (the report lists them)."""
    out = []
    for platform in platforms:
        ended = last_outage_end.get(platform.id)
        if ended is None:
            continue
        reviewed = last_review(platform, lessons_from(reviews.get(platform.id, ())))
        if reviewed is None or reviewed < ended.astimezone(UTC).date():
            out.append((platform, ended, reviewed))
    return out


@dataclass(frozen=True, slots=True)
class PlaybookView:
    """A platform's playbook as shown while it is down."""

    platform: str
    name: str
    fallbacks: tuple[Fallback, ...]
    steps: tuple[str, ...]
    reviewed: date | None  # the last review: the config's `reviewed` or a review after an outage
    is_default: bool
    reminder: str | None  # shown prominently when the plan needs attention
    lessons: tuple[Lesson, ...] = ()  # from the reviews after its platform's outages, newest first

    @property
    def usable_fallbacks(self) -> tuple[Fallback, ...]:
        """The fallbacks that are not known to be down."""
        return tuple(f for f in self.fallbacks if f.usable)


def states_from_outages(outages: Iterable[Outage], platforms: Sequence[Platform]) -> dict[str, str]:
    """Status per platform now: the severity of an ongoing outage, else 'up'.

    An outage keeps its worst severity until it closes: its recovering rounds and a degraded
    stretch after a down one cannot be told apart from the Outage alone.
    """
    states = {p.id: "up" for p in platforms}
    for outage in outages:
        if outage.end is None and states.get(outage.platform) != "down":
            states[outage.platform] = outage.severity
    return states


def review_reminder(reviewed: date | None, today: date, *, configured: bool = True) -> str | None:
    """The reminder to show for a playbook, or None when it was reviewed recently."""
    if not configured:
        return "No playbook configured: these are defaults; add [platforms.playbook] to the config."
    if reviewed is None:
        return "Playbook has no review date; review it and set `reviewed = YYYY-MM-DD`."
    age_days = (today - reviewed).days
    if age_days > REVIEW_AFTER_DAYS:
        return f"Playbook last reviewed {reviewed.isoformat()} ({age_days} days ago): review it."
    return None


def _up_alternatives(
    platform: Platform, platforms: Sequence[Platform], states: Mapping[str, str]
) -> tuple[str, ...]:
    # platforms of the same provider usually fail together (Meta), so they are no alternative
    return tuple(
        p.name
        for p in platforms
        if p.id != platform.id
        and states.get(p.id) == "up"
        and not (platform.provider and p.provider == platform.provider)
    )


def _resolve(
    entry: str, platform: Platform, platforms: Sequence[Platform], states: Mapping[str, str]
) -> Fallback:
    key = entry.strip().lower()
    if key in _ANOTHER:
        alternatives = _up_alternatives(platform, platforms, states)
        return Fallback("Another platform that is up", "another", alternatives=alternatives)
    for other in platforms:
        if key in (other.id, other.name.lower()):
            status = states.get(other.id, "unknown")
            return Fallback(other.name, "platform", platform=other.id, status=status)
    return Fallback(_CHANNELS.get(key, entry.strip()))


def default_steps(platform: Platform, alternatives: Sequence[str]) -> tuple[str, ...]:
    """Sensible steps for a business that wrote no playbook."""
    elsewhere = ", ".join(alternatives[:3]) or "another platform that is up"
    steps = [
        f"Email your customer list about the problems with {platform.name} and how else to "
        "reach you.",
        "Send an SMS to customers with open orders, bookings or support requests.",
        f"Post the update on {elsewhere}.",
        "Pin a notice on your website with the other ways to reach you.",
    ]
    if platform.impact.ad_spend_per_day > 0:
        steps.insert(0, f"Pause {platform.name} ads until it is back.")
    return tuple(steps)


def playbook_for(
    platform: Platform,
    platforms: Sequence[Platform],
    states: Mapping[str, str],
    *,
    today: date | None = None,
    reviews: Sequence[Record] = (),
) -> PlaybookView:
    """The playbook of one platform: configured or default, fallbacks resolved against `states`;
    `reviews`: the platform's reviews after outages (their lessons, and the last review date)."""
    today = today or date.today()
    lessons = lessons_from(reviews)
    reviewed = last_review(platform, lessons)
    book = platform.playbook
    configured = bool(book.fallbacks or book.steps)
    entries = book.fallbacks or ([] if book.steps else list(DEFAULT_FALLBACKS))
    fallbacks = tuple(_resolve(e, platform, platforms, states) for e in entries)
    steps = tuple(book.steps) or default_steps(
        platform, _up_alternatives(platform, platforms, states)
    )
    return PlaybookView(
        platform=platform.id,
        name=platform.name,
        fallbacks=fallbacks,
        steps=steps,
        reviewed=reviewed,
        is_default=not configured,
        reminder=review_reminder(reviewed, today, configured=configured),
        lessons=lessons,
    )


def playbooks_for_down(
    platforms: Sequence[Platform], states: Mapping[str, str], *, today: date | None = None,
    reviews: Mapping[str, Sequence[Record]] | None = None,
) -> list[PlaybookView]:
    """The playbooks to show now: one per platform that is down or degraded."""
    reviews = reviews or {}
    return [
        playbook_for(p, platforms, states, today=today, reviews=reviews.get(p.id, ()))
        for p in platforms
        if states.get(p.id) in ("down", "degraded")
    ]


def playbook_lines(view: PlaybookView) -> list[str]:
    """The playbook as plain-text lines for an alert message."""
    lines = []
    if view.fallbacks:
        lines.append("Fallbacks: " + "; ".join(f.describe() for f in view.fallbacks))
    lines.extend(f"{n}. {step}" for n, step in enumerate(view.steps, 1))
    if view.is_default:
        lines.append("(default playbook: no plan configured for this platform)")
    lines.extend(f"Lesson from {x.on.isoformat()}: {' '.join(x.lesson.split())[:200]}"
                 for x in [x for x in view.lessons if x.lesson][:2])  # the two newest
    return lines

"""The customer-facing notice: live verdicts and playbooks -> what the public may read (pure).

What customers see is a platform's *state* (working, slow, affected), its configured text
and the contacts to use instead. Nothing else reaches the notice: no latency, cause, check,
vantage or money figure is ever passed to the builder, so none can leak into its output.
Unknown and refused are "working" for customers — the monitor not seeing a platform is not
news for them — unless an outage is open: then its severity holds until it closes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from monitors.config import Platform
from monitors.config_notice import Contact, Notice

State = Literal["working", "slow", "affected"]
STATES: tuple[State, ...] = ("working", "slow", "affected")  # in order of gravity
_FROM_VERDICT: dict[str, State] = {"down": "affected", "degraded": "slow"}
DEFAULT_TEXT = "Our {name} channel is affected right now."
DEFAULT_SLOW_TEXT = "Our {name} channel may be slow right now."
DEFAULT_TITLE = "Service status"


@dataclass(frozen=True, slots=True)
class ContactView:
    """A contact as printed: label, shown value, link (None: plain text)."""

    label: str
    value: str
    href: str | None = None


@dataclass(frozen=True, slots=True)
class NoticeItem:
    """One platform that is not working for customers, in their words."""

    platform: str
    name: str
    state: State
    text: str
    contacts: tuple[ContactView, ...] = ()


@dataclass(frozen=True, slots=True)
class CustomerNotice:
    """The whole notice: overall state, title, one item per platform not working."""

    state: State
    title: str
    message: str  # the notice as one plain sentence or three
    items: tuple[NoticeItem, ...] = ()
    contacts: tuple[ContactView, ...] = ()  # every item's contacts, once each, in order
    reach_us: str = "Reach us by"
    badge_label: str = "our channels"
    updated: datetime | None = field(default=None, compare=False)  # when it last changed


def customer_state(verdict: str | None) -> State:
    """A verdict in customers' terms: down -> affected, degraded -> slow, anything else
    (up, unknown, refused, nothing yet) -> working."""
    return _FROM_VERDICT.get(str(verdict), "working")


def customer_states(board: Iterable[Mapping], ongoing: Mapping[str, str]) -> dict[str, State]:
    """Per platform, its state for customers from live board rows and open outages.

    1. Without an open outage a platform is working: a failed round not yet confirmed is a
       blip the public never hears about.
    2. With one, the latest verdict says how bad it is now (down -> affected, degraded ->
       slow); while it recovers (up, not yet closed) it keeps the outage's severity, so the
       notice changes when the outage closes and not on every good round.
    3. Unknown or refused without an open outage is working: the monitor not seeing is not
       news. With one (the monitor's own network dropped, or the platform started refusing
       us mid-outage) the outage's severity holds: customers are never told "all working"
       about a platform nobody has seen recover.
    """
    states: dict[str, State] = {}
    for row in board:
        pid, status = str(row["platform"]), str(row["status"])
        severity = ongoing.get(pid)
        if severity is None:
            states[pid] = "working"
        elif status in ("unknown", "refused"):
            states[pid] = customer_state(severity)
        elif status in _FROM_VERDICT:
            states[pid] = _FROM_VERDICT[status]
        else:
            states[pid] = customer_state(severity)
    return states


def _key(value: str, platforms: Sequence[Platform]) -> str:
    """A fallback or channel name as one key: a platform's id when it names one."""
    key = value.strip().lower()
    for platform in platforms:
        if key in (platform.id, platform.name.lower()):
            return platform.id
    return key


def _view(contact: Contact) -> ContactView:
    return ContactView(contact.label, contact.value, contact.href)


def item_contacts(platform: Platform, platforms: Sequence[Platform], config: Notice,
                  states: Mapping[str, State]) -> tuple[ContactView, ...]:
    """Where to reach the business while `platform` is not working.

    1. The platform's own `[platforms.notice]` contacts, then the `[notice]` contacts its
       playbook's fallbacks name, in the playbook's order.
    2. Neither (no fallbacks configured, or none of them a contact): every `[notice]`
       contact.
    3. A contact that is a monitored platform not working now is left out (no "message us
       on WhatsApp" while Meta is down), and so is the platform itself.
    """
    wanted = [_key(e, platforms) for e in platform.playbook.fallbacks]
    named = [c for key in dict.fromkeys(wanted) for c in config.contacts
             if c.channel and _key(c.channel, platforms) == key]
    chosen = list(platform.notice.contacts) + named or list(config.contacts)
    usable = []
    for contact in chosen:
        channel = _key(contact.channel, platforms) if contact.channel else ""
        if channel == platform.id or states.get(channel, "working") != "working":
            continue
        usable.append(_view(contact))
    return tuple(dict.fromkeys(usable))


def item_text(platform: Platform, state: State) -> str:
    """The platform's configured sentence for this state ({name} filled in), or the default."""
    own = platform.notice.text if state == "affected" else platform.notice.slow_text
    template = own or (DEFAULT_TEXT if state == "affected" else DEFAULT_SLOW_TEXT)
    return template.replace("{name}", platform.name)  # not str.format: the text is user input


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def contacts_phrase(reach_us: str, contacts: Sequence[ContactView]) -> str:
    """'Reach us by email at a@b.example or phone at +44 20 7946 0000.' ('' without any)."""
    if not contacts:
        return ""
    parts = [f"{c.label} at {c.value}" for c in contacts]
    joined = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} or {parts[-1]}"
    return f"{reach_us} {joined}."


def build_notice(states: Mapping[str, State], platforms: Sequence[Platform], config: Notice,
                 *, business_name: str = "", updated: datetime | None = None) -> CustomerNotice:
    """The notice for these customer states: one item per shown platform not working.

    Platforms are listed affected first, then slow, each group in config order; the overall
    state is the gravest item's (working when there is none).
    """
    shown = [p for p in platforms if p.notice.show
             and (not config.platforms or p.id in config.platforms)]
    items = []
    for platform in shown:
        state = states.get(platform.id, "working")
        if state != "working":
            items.append(NoticeItem(platform.id, platform.name, state,
                                    _sentence(item_text(platform, state)),
                                    item_contacts(platform, platforms, config, states)))
    items.sort(key=lambda item: -STATES.index(item.state))
    overall = items[0].state if items else "working"
    contacts = tuple(dict.fromkeys(c for item in items for c in item.contacts))
    if items:
        message = " ".join([*(i.text for i in items), contacts_phrase(config.reach_us, contacts)])
    else:
        message = _sentence(config.all_clear)
    return CustomerNotice(
        state=overall, title=config.title or business_name or DEFAULT_TITLE,
        message=message.strip(), items=tuple(items), contacts=contacts,
        reach_us=config.reach_us, badge_label=config.badge_label, updated=updated)


def notice_from_board(board: Iterable[Mapping], outages: Iterable, platforms: Sequence[Platform],
                      config: Notice, *, business_name: str = "",
                      updated: datetime | None = None) -> CustomerNotice:
    """The notice for live board rows (board.status_board records) and the outages behind
    them: the one path from verdicts to what customers read (the hook, `monitors notice`
    and the Live page's preview all call it)."""
    ongoing = {o.platform: o.severity for o in outages if o.end is None}
    return build_notice(customer_states(board, ongoing), platforms, config,
                        business_name=business_name, updated=updated)

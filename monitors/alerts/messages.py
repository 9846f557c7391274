"""Alert message text: platform, since when, cause, vendor status, impact, playbook, link."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitors.analysis.playbook import playbook_for, playbook_lines
from monitors.config import Platform, Settings
from monitors.timeutil import format_duration, format_local

if TYPE_CHECKING:  # only for hints: alerts need not load pandas with the detector
    from monitors.analysis.impact import ImpactEstimate
    from monitors.analysis.incidents import Outage
    from monitors.history.notes import Record

_WHEN = "%a %d %b %H:%M %Z"


def _platform(settings: Settings, platform_id: str) -> Platform | None:
    return settings.platform(platform_id)


def display_name(settings: Settings, platform_id: str) -> str:
    """The platform's display name (its id when it is not configured)."""
    platform = _platform(settings, platform_id)
    return platform.name if platform else platform_id


def when(ts: datetime | None, settings: Settings) -> str:
    """A timestamp in the business timezone, e.g. 'Mon 02 Jun 14:05 BST'."""
    return format_local(ts, settings.business.timezone, _WHEN)


def impact_text(impact: ImpactEstimate | None) -> str | None:
    """'about USD 1,240 (estimate: revenue, leads, ad spend)' or None without an estimate."""
    if impact is None or impact.amount <= 0:  # no value configured: nothing worth saying
        return None
    return f"about {impact.currency} {impact.amount:,.0f} (estimate)"


def _headline(outage: Outage, name: str) -> str:
    if outage.maintenance:
        return f"{name}: scheduled maintenance"
    severity = outage.severity
    if severity == "degraded" and outage.checks:
        working = f", {', '.join(outage.ok_checks)} up" if outage.ok_checks else ""
        return f"{name} degraded: {', '.join(outage.checks)} down{working}"
    return f"{name} {severity}"


def _vendor(outage: Outage, platform: Platform | None) -> str | None:
    if outage.maintenance:
        return "Vendor status: scheduled maintenance" + (
            f" ({outage.official_title})" if outage.official_title else ""
        )
    if outage.official_title:
        return f"Vendor status: {outage.official_title}"
    if "official" in outage.sources:
        return "Vendor status: incident reported"
    if platform and platform.status_page:
        return f"Vendor status: nothing posted yet ({platform.status_page})"
    return None


def ack_fact(ack: Record | Mapping[str, Any] | None, settings: Settings) -> str | None:
    """'Ana is on it (acknowledged Thu 03 Dec 10:15 GMT).' or None (a Record, or the
    {"by", "at"} kept in the alert state)."""
    if not ack:
        return None
    if isinstance(ack, Mapping):
        by, at = str(ack.get("by") or "someone"), ack.get("at")
        at = datetime.fromisoformat(at) if isinstance(at, str) else None
    else:
        by, at = ack.by, ack.at
    return f"{by} is on it (acknowledged {when(at, settings)})." if at else f"{by} is on it."


def outage_facts(outage: Outage, settings: Settings, now: datetime, ack: Record | None = None
                 ) -> list[str]:
    """The lines that describe one ongoing outage: since when, who is on it, cause, surfaces,
    vendor, impact."""
    platform = _platform(settings, outage.platform)
    so_far = format_duration((now - outage.start).total_seconds())
    lines = [
        f"Since {when(outage.start, settings)} ({so_far} so far).",
        f"Probable cause: {outage.cause}.",
    ]
    lines[1:1] = filter(None, [ack_fact(ack, settings)])
    if outage.checks:
        surfaces = f"Failing: {', '.join(outage.checks)}"
        if outage.ok_checks:
            surfaces += f"; still working: {', '.join(outage.ok_checks)}"
        lines.append(surfaces + ".")
    lines.extend(filter(None, [_vendor(outage, platform)]))
    impact = impact_text(outage.impact)
    if impact:
        lines.append(f"Impact so far: {impact}.")
    if outage.vantages:
        lines.append(f"Seen from: {', '.join(outage.vantages)}.")
    return lines


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def playbook_section(
    platform_ids: Sequence[str], settings: Settings, states: Mapping[str, str], now: datetime,
    reviews: Mapping[str, Sequence[Record]] | None = None,
) -> list[str]:
    """'What to do' lines: each configured playbook (with the lessons of its reviews), and one
    default plan for the others."""
    reviews = reviews or {}
    platforms = [p for p in (_platform(settings, i) for i in platform_ids) if p is not None]
    own = [p for p in platforms if p.playbook.fallbacks or p.playbook.steps]
    rest = [p for p in platforms if p not in own]
    if rest:  # one default plan for all of them, not the same four steps per platform
        ads = max((p.impact for p in rest), key=lambda i: i.ad_spend_per_day)
        own.append(rest[0].model_copy(
            update={"name": _and([p.name for p in rest]), "impact": ads}
        ))
    lines: list[str] = []
    for platform in own:
        view = playbook_for(platform, settings.platforms, states, today=now.date(),
                            reviews=reviews.get(platform.id, ()))
        heading = "What to do:" if len(own) == 1 else f"What to do for {platform.name}:"
        lines.extend([heading, *(f"  {line}" for line in playbook_lines(view))])
    return lines


def footer(settings: Settings) -> list[str]:
    """The dashboard link every message ends with."""
    return [f"Dashboard: {settings.monitor.dashboard_url}"]


def outage_message(
    outage: Outage, settings: Settings, states: Mapping[str, str], now: datetime, *,
    reminder: bool = False, ack: Record | None = None,
    reviews: Mapping[str, Sequence[Record]] | None = None,
) -> tuple[str, str, str]:
    """(title, body, one-line summary) for an outage that opened, changed or is still on."""
    name = display_name(settings, outage.platform)
    title = _headline(outage, name)
    if reminder:
        title = f"Still: {title} ({format_duration((now - outage.start).total_seconds())})"
    body = [
        *outage_facts(outage, settings, now, ack),
        "",
        *playbook_section([outage.platform], settings, states, now, reviews),
        *footer(settings),
    ]
    summary = f"{title} since {when(outage.start, settings)}"
    return title, "\n".join(body), summary


def resolved_message(
    platform_id: str, start: datetime, outage: Outage | None, settings: Settings, now: datetime,
    *, ack: Mapping[str, Any] | None = None,
) -> tuple[str, str, str]:
    """(title, body, summary) for an outage that ended; `outage` is None when it vanished."""
    name = display_name(settings, platform_id)
    end = outage.end if outage and outage.end else now
    duration = format_duration((end - start).total_seconds())
    title = f"{name} back up after {duration}"
    lines = [f"{name} was {outage.severity if outage else 'down'} from {when(start, settings)}"
             f" to {when(end, settings)} ({duration})."]
    if outage is None:
        lines.append("The outage is no longer detected (recovery time approximate).")
    else:
        lines.append(f"Probable cause: {outage.cause}.")
        impact = impact_text(outage.impact)
        if impact:
            lines.append(f"Estimated impact: {impact}.")
    if ack:
        lines.append(f"Handled by {ack.get('by') or 'someone'}; add what you did and learned "
                     "on the incident (History page, or `monitors note`).")
    return title, "\n".join([*lines, "", *footer(settings)]), title


def provider_message(
    provider: str, outages: Sequence[Outage], new: Sequence[str], settings: Settings,
    states: Mapping[str, str], now: datetime, *, reminder: bool = False,
    acks: Mapping[str, Record] | None = None,
    reviews: Mapping[str, Sequence[Record]] | None = None,
) -> tuple[str, str, str]:
    """(title, body, summary) naming every platform of a provider that is down together."""
    acks = acks or {}
    names = [display_name(settings, o.platform) for o in outages]
    title = f"{provider}: {', '.join(names)} down"
    if reminder:
        title = "Still: " + title
    lines: list[str] = []
    for outage in outages:
        tag = " (new)" if outage.platform in new and len(new) < len(outages) else ""
        lines.append(f"{display_name(settings, outage.platform)}{tag}:")
        lines.extend(f"  {fact}" for fact in outage_facts(outage, settings, now,
                                                           acks.get(outage.platform)))
    lines.extend(playbook_section([o.platform for o in outages], settings, states, now,
                                  reviews))
    return title, "\n".join([*lines, *footer(settings)]), title


def provider_resolved_message(
    provider: str, parts: Sequence[tuple[str, str]], settings: Settings
) -> tuple[str, str, str]:
    """(title, body, summary) for several platforms of one provider recovering together."""
    names = [display_name(settings, platform_id) for platform_id, _ in parts]
    title = f"{provider}: {', '.join(names)} back up"
    body = "\n".join([*(text for _, text in parts), "", *footer(settings)])
    return title, body, title


def vantage_message(
    vantage: str, online: bool, since: datetime, settings: Settings, now: datetime
) -> tuple[str, str, str]:
    """(title, body, summary) for the monitor itself losing or regaining its network."""
    if not online:
        title = f"Monitor '{vantage}' lost its own network"
        text = (f"Since {when(since, settings)} the monitor at '{vantage}' cannot reach its "
                "reachability controls: platform status from here is unknown, not down.")
    else:
        duration = format_duration((now - since).total_seconds())
        title = f"Monitor '{vantage}' is back online after {duration}"
        text = (f"The monitor at '{vantage}' was offline from {when(since, settings)} to "
                f"{when(now, settings)}; checks resume.")
    return title, "\n".join([text, "", *footer(settings)]), title


def digest_message(summaries: Sequence[str], settings: Settings) -> tuple[str, str]:
    """(title, body) of one message standing for many changes at once."""
    title = f"Platform Pulse: {len(summaries)} changes"
    body = "\n".join([*(f"- {s}" for s in summaries), "", *footer(settings)])
    return title, body


def test_message(vantage: str, label: str, settings: Settings, now: datetime) -> tuple[str, str]:
    """(title, body) of the `alerts test` message."""
    title = "Platform Pulse test message"
    body = (f"Test from the monitor at '{vantage}' ({when(now, settings)}) to {label}. "
            "If you can read this, outage alerts reach you here.")
    return title, "\n".join([body, "", *footer(settings)])

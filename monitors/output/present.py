"""Labels and people-facing formatting (times in the business timezone, money, surfaces)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import datetime

import pandas as pd

from monitors.timeutil import format_duration, to_local

STATUS_LABELS = {"up": "Up", "degraded": "Degraded", "down": "Down", "unknown": "Unknown",
                 "refused": "Refused us"}
SEVERITY_LABELS = {"down": "Down", "degraded": "Degraded", "maintenance": "Maintenance"}
OFFICIAL_LABELS = {
    "up": "All systems operational",
    "degraded": "Vendor reports an incident",
    "down": "Vendor reports an outage",
    "unknown": "Status page unavailable",
}
SURFACE_LABELS = {
    "web": "web",
    "api": "API",
    "media": "media",
    "messaging": "messaging",
    "dns": "address lookup",
    "tls": "secure connection",
    "status": "status page",
}
# Words inside a check id such as "dns-cdn" or "api_graph": the people words for each part.
_SURFACE_WORDS = {"dns": "address lookup", "tls": "secure connection", "cdn": "media",
                  "api": "API", "web": "web", "www": "web", "media": "media",
                  "img": "images", "static": "media", "status": "status page",
                  "msg": "messaging", "chat": "messaging"}
# The analysis names causes in a technician's words (incident JSON, alerts, CSV keep them);
# screens and the printed report say what a marketing manager would.
CAUSE_WORDS = {
    "DNS / routing (network-level)": "can't be found on the internet (address lookups fail)",
    "servers unreachable": "its servers can't be reached",
    "overload or attack (timeouts)": "not answering in time (overloaded or under attack)",
    "TLS / certificate problem": "secure connection failing (certificate problem)",
    "wrong or broken responses": "pages come back broken",
    "wrong or broken responses (redirect loop)": "pages send visitors round in circles",
    "slow responses": "answering slowly",
    "monitor error (a check crashed)": "our monitor hit an error (not the platform)",
    "server errors": "its servers are failing (error pages)",
    "rate limited (HTTP 429)": "turning our checks away (too many requests)",
    "vendor-reported incident": "the platform reports a problem",
    "degraded responses": "partly working",
}
WINDOW_LABELS = {"24h": "24 h", "7d": "7 d", "30d": "30 d", "90d": "90 d"}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "AUD": "A$",
            "CAD": "C$", "BRL": "R$", "CHF": "CHF ", "MXN": "MX$"}


def to_datetime(ts: datetime | pd.Timestamp | None) -> datetime | None:
    """A timezone-aware UTC datetime from a datetime/Timestamp (None and NaT give None)."""
    if ts is None or ts is pd.NaT or (isinstance(ts, float) and math.isnan(ts)):
        return None
    stamp = pd.Timestamp(ts)
    if pd.isna(stamp):
        return None
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.to_pydatetime()


def local_time(ts: datetime | pd.Timestamp | None, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format a UTC instant in the business timezone ('—' for missing)."""
    value = to_datetime(ts)
    return "—" if value is None else to_local(value, tz).strftime(fmt)


def short_time(ts: datetime | pd.Timestamp | None, tz: str, now: datetime) -> str:
    """'14:05' today, 'Tue 14:05' this week, else '12 Mar 14:05' (business timezone)."""
    value = to_datetime(ts)
    if value is None:
        return "—"
    local, today = to_local(value, tz), to_local(now, tz)
    if local.date() == today.date():
        return local.strftime("%H:%M")
    if abs((today - local).days) < 6:
        return local.strftime("%a %H:%M")
    return local.strftime("%d %b %H:%M").lstrip("0")


def iso_utc(ts: datetime | pd.Timestamp | None) -> str:
    """ISO 8601 UTC with a Z ('' for missing), as in exports."""
    value = to_datetime(ts)
    if value is None:
        return ""
    text = value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def ago(seconds: float | None) -> str:
    """'just now', '12 s ago', '3m ago' for an age in seconds ('—' when unknown)."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "—"
    if seconds < 2:
        return "just now"
    return f"{format_duration(seconds)} ago"


def duration(seconds: float | None) -> str:
    """A duration for people ('—' when unknown)."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "—"
    return format_duration(seconds)


def money(amount: float | None, currency: str) -> str:
    """'$1,234' / '€7.50' / '1,234 SEK' — whole units from 10 up."""
    if amount is None or (isinstance(amount, float) and math.isnan(amount)):
        return "—"
    digits = 0 if abs(amount) >= 10 or float(amount).is_integer() else 2
    number = f"{abs(amount):,.{digits}f}"
    sign = "-" if amount < 0 else ""
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {currency}"


def pct(value: float | None, digits: int = 2) -> str:
    """'99.95 %' ('—' when unknown); never rounds a real loss up to 100 %."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"{value:.{digits}f}"
    if value < 100 and text.startswith("100"):
        text = f"{math.floor(value * 10**digits) / 10**digits:.{digits}f}"
    return f"{text} %"


def surface(check: str) -> str:
    """The people name of a surface (check id): 'dns-cdn' -> 'media address lookup'."""
    if check in SURFACE_LABELS:
        return SURFACE_LABELS[check]
    parts = [p for p in check.replace("_", "-").split("-") if p]
    words = [_SURFACE_WORDS.get(p.lower(), p) for p in parts]
    if len(words) > 1 and parts[0].lower() in ("dns", "tls"):  # dns-cdn: the media's lookup
        words = [*words[1:], words[0]]
    return " ".join(dict.fromkeys(words)) or check


def cause_text(cause: object) -> str:
    """A probable cause in plain words for screens and paper ('DNS / routing
    (network-level)' -> "can't be found on the internet (address lookups fail)"); a vendor's
    own incident title and anything unknown stay as they are."""
    text = "" if cause is None or (isinstance(cause, float) and math.isnan(cause)) else str(cause)
    if text in CAUSE_WORDS:
        return CAUSE_WORDS[text]
    code = re.fullmatch(r"unexpected HTTP status(?: \((\d+)\))?", text)
    if code:
        return f"unexpected answer (error {code[1]})" if code[1] else "unexpected answer"
    if re.fullmatch(r"[a-z_]+ errors", text):  # an error class without plain words yet
        return "checks failing"
    return text


def _join(names: list[str]) -> str:
    if not names:
        return ""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} & {names[-1]}"


def surfaces_text(failing: Iterable[tuple[str, str]], ok: Iterable[str] = (),
                  refused: Iterable[str] = ()) -> str:
    """'media down, web up' / 'web & API down' / 'web slow, API up' / 'web refused us, API up'
    from (check, status) pairs, working and refused checks."""
    groups: dict[str, list[str]] = {"down": [], "slow": [], "refused us": [], "up": []}
    for check, status in failing:
        groups["slow" if status == "degraded" else "down"].append(surface(check))
    groups["refused us"].extend(surface(check) for check in refused)
    groups["up"].extend(surface(check) for check in ok)
    return ", ".join(f"{_join(_fold(names))} {word}" for word, names in groups.items() if names)


def _fold(names: list[str]) -> list[str]:
    """'address lookup' and 'media address lookup' together read 'address lookups'."""
    lookups = [n for n in names if n.endswith("address lookup")]
    if len(lookups) < 2:
        return names
    first = names.index(lookups[0])
    rest = [n for n in names if n not in lookups]
    return [*rest[:first], "address lookups", *rest[first:]]


def surface_list(checks: Iterable[str]) -> str:
    """'web & API' from check ids."""
    return _join([surface(c) for c in checks])


def refusal_note(name: str, checks: Sequence[str], since: datetime, judged: Sequence[str],
                 now: datetime) -> str:
    """"X has refused this monitor's web checks for 3 h; judged on API and media"."""
    span = duration((to_datetime(now) - to_datetime(since)).total_seconds())
    basis = f"; judged on {_join(list(judged))}" if judged else ""
    return f"{name} has refused this monitor's {surface_list(checks)} checks for {span}{basis}"


def lead_text(official_lag_s: float | None) -> str:
    """'detected 12 min before the vendor's status page' (or after); '' without a vendor signal."""
    if official_lag_s is None or (isinstance(official_lag_s, float) and math.isnan(official_lag_s)):
        return ""
    minutes = abs(official_lag_s) / 60
    amount = f"{minutes:.0f} min" if minutes >= 1 else f"{abs(official_lag_s):.0f} s"
    if official_lag_s >= 0:
        return f"detected {amount} before the vendor's status page"
    return f"the vendor's status page reported it {amount} before we confirmed it"


def window_label(window: str) -> str:
    """'7 d' for '7d'; custom windows as given."""
    return WINDOW_LABELS.get(window, window)


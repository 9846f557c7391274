"""Durations, look-back windows, business hours and timezone formatting."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
MAX_DURATION_S = 366 * 86400.0  # a leap year: the longest window or period anything needs
_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def parse_duration(value: str | float | int) -> float:
    """Turn "30s", "5m", "1h", "7d" or a number of seconds into seconds (float).

    Finite and at most MAX_DURATION_S (366 days): larger values overflow datetime arithmetic
    and the scheduler, and no period or window of this monitor needs more.
    """
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '30s', '5m', '1h' or seconds")
    try:
        if isinstance(value, int | float):
            seconds = float(value)
        else:
            match = _DURATION.match(str(value).lower())
            if not match:
                raise ValueError(
                    f"{value!r} is not a duration; use e.g. '30s', '5m', '1h', '7d' or seconds"
                )
            seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    except OverflowError:  # an integer too large for a float
        seconds = math.inf
    if math.isnan(seconds):
        raise ValueError("a duration must be a number of seconds, not NaN")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    if seconds > MAX_DURATION_S:
        what = "is not finite" if isinstance(value, float) and math.isinf(value) else "is too long"
        raise ValueError(f"{_shown(value)} {what}; durations are at most 366 days")
    return seconds


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "..."


def format_duration(seconds: float) -> str:
    """Render seconds compactly for people: '45s', '12m', '3h 05m', '2d 4h'."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, _ = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open time range [start, end) in UTC."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        """Length of the window in seconds."""
        return (self.end - self.start).total_seconds()

    def previous(self) -> Window:
        """The window of the same length that ends where this one starts."""
        return Window(self.start - (self.end - self.start), self.start)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (one place, so tests can travel in time)."""
    return datetime.now(UTC)


def parse_window(since: str | float, end: datetime | None = None) -> Window:
    """Turn a look-back such as "90m", "24h", "7d" into a Window ending now (or at `end`)."""
    seconds = parse_duration(since)
    if seconds <= 0:
        raise ValueError("a window must be longer than zero")
    end = end or utcnow()
    return Window(end - timedelta(seconds=seconds), end)


def zone(name: str) -> ZoneInfo:
    """Return the ZoneInfo for an IANA name, with a clear error for a bad one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown timezone {name!r}; use an IANA name such as 'Europe/London'"
        ) from exc


def to_local(ts: datetime, tz: str) -> datetime:
    """Convert an aware UTC datetime to the business timezone for display."""
    return ts.astimezone(zone(tz))


def format_local(ts: datetime | None, tz: str, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    """Format a UTC datetime in the business timezone; '—' for None."""
    if ts is None:
        return "—"
    return to_local(ts, tz).strftime(fmt)


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Opening hours per weekday (0 = Monday) as minute ranges [start, end)."""

    ranges: tuple[tuple[int, int, int], ...]  # (weekday, start_minute, end_minute)

    def is_open(self, local: datetime) -> bool:
        """True when the local wall-clock time falls in business hours."""
        minute = local.hour * 60 + local.minute
        return any(
            day == local.weekday() and start <= minute < end for day, start, end in self.ranges
        )


def _parse_days(spec: str) -> list[int]:
    days: list[int] = []
    for part in (p.strip().lower() for p in spec.split(",")):
        if part in ("daily", "every day", "all"):
            days.extend(range(7))
            continue
        first, _, last = part.partition("-")
        first, last = first.strip()[:3], (last.strip()[:3] or first.strip()[:3])
        if first not in _DAYS or last not in _DAYS:
            raise ValueError(f"unknown day in {part!r}; use Mon..Sun, e.g. 'Mon-Fri 09:00-18:00'")
        i, j = _DAYS.index(first), _DAYS.index(last)
        span = _DAYS[i : j + 1] if i <= j else _DAYS[i:] + _DAYS[: j + 1]
        days.extend(_DAYS.index(d) for d in span)
    return days


def _parse_clock(text: str) -> int:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not match or int(match.group(1)) > 24 or int(match.group(2)) > 59:
        raise ValueError(f"{text!r} is not a time; use HH:MM")
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    if minutes > 24 * 60:
        raise ValueError(f"{text!r} is past midnight; use 24:00 at most")
    return minutes


def parse_hours(spec: str) -> BusinessHours:
    """Parse "Mon-Fri 09:00-18:00; Sat 10:00-14:00" (or "always" / "never") into BusinessHours."""
    text = spec.strip().lower()
    if text in ("always", "24/7", "24x7"):
        return BusinessHours(tuple((d, 0, 1440) for d in range(7)))
    if text in ("never", "none", ""):
        return BusinessHours(())
    ranges: list[tuple[int, int, int]] = []
    for chunk in re.split(r"[;\n]", spec):
        chunk = chunk.strip()
        if not chunk:
            continue
        match = re.fullmatch(r"(.+?)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})", chunk)
        if not match:
            raise ValueError(f"{chunk!r} is not 'Days HH:MM-HH:MM', e.g. 'Mon-Fri 09:00-18:00'")
        start, end = _parse_clock(match.group(2)), _parse_clock(match.group(3))
        if end <= start:
            raise ValueError(f"{chunk!r}: closing time must be after opening time")
        ranges.extend((day, start, end) for day in _parse_days(match.group(1)))
    return BusinessHours(tuple(ranges))

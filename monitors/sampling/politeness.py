"""A polite client: back off checks a platform refused, and move to fallback URLs after a long
refusal (pure state; the runner asks it before each check and tells it what came back).

1. A refused answer (verdict.REFUSAL_ERROR) pauses the check: for its Retry-After when the
   server gave one (at most an hour), else for a pause that doubles with every refusal in a
   row — the next round, then every 2nd, 4th, 8th … round, at most `MAX_PAUSE_S` apart.
   Paused checks are not sent; their sample says so (still refused, never down). Any other
   answer ends the pause and the count.
2. A check refused for `FALLBACK_AFTER_S` moves on to its next `fallback_urls` entry, and
   stays on the first URL that answers; the sample's detail names the URL that answered.
3. `lasting()` lists the checks refused for longer than that, for status and the board.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from monitors.probes.base import ProbeResult
from monitors.text import short
from monitors.verdict import REFUSAL_ERROR

MAX_PAUSE_S = 900.0  # a refused check is retried at least every 15 minutes
MAX_RETRY_AFTER_S = 3600.0  # a Retry-After longer than this is not honoured in full
FALLBACK_AFTER_S = 3600.0  # refused this long: try the next fallback URL, and say so


@dataclass(slots=True)
class _Refusal:
    since: datetime  # first refusal of this run
    count: int = 0  # refused answers in a row (requests actually sent)
    until: datetime | None = None  # not sent before this
    code: int | None = None
    url: int = 0  # 0: the check's own URL; i: fallback_urls[i - 1]
    url_since: datetime | None = None  # when the current URL was first refused


@dataclass
class Politeness:
    """Per (platform id, check id): the refusal state of every check of one sampler."""

    interval_s: float
    states: dict[tuple[str, str], _Refusal] = field(default_factory=dict)
    chosen: dict[tuple[str, str], int] = field(default_factory=dict)  # URL that answered

    def plan(self, platform: str, check: Any, now: datetime) -> Any | ProbeResult:
        """The check to send now (on its current URL), or the sample to record instead."""
        key = (platform, check.id)
        state = self.states.get(key)
        if state is not None and state.until is not None and now < state.until:
            until = state.until.strftime("%H:%M:%SZ")
            code = f"HTTP {state.code}" if state.code else "a refusal"
            return ProbeResult("unknown", error=REFUSAL_ERROR,
                               detail=f"not sent: backing off after {code} until {until}")
        index = state.url if state is not None else self.chosen.get(key, 0)
        return with_url(check, index)

    def observe(self, platform: str, check: Any, sent: Any, result: ProbeResult,
                now: datetime) -> ProbeResult:
        """Record what a sent check answered; the result as it goes into the history."""
        key = (platform, check.id)
        index = _url_index(check, sent)
        if result.error != REFUSAL_ERROR:
            self.states.pop(key, None)
            if index:
                self.chosen[key] = index
            else:
                self.chosen.pop(key, None)
            return _via(result, sent) if index else result
        state = self.states.setdefault(key, _Refusal(since=now, url=index))
        state.count += 1
        state.code = result.http_status
        state.url_since = state.url_since or now
        pause = min(self.interval_s * 2 ** min(state.count - 1, 30), MAX_PAUSE_S)
        if result.retry_after_s:
            pause = max(pause, min(result.retry_after_s, MAX_RETRY_AFTER_S))
        fallbacks = getattr(check, "fallback_urls", None) or []
        if fallbacks and (now - state.url_since).total_seconds() >= FALLBACK_AFTER_S:
            state.url = (state.url + 1) % (len(fallbacks) + 1)
            state.url_since, pause = None, 0.0  # try the next URL in the next round
        # a pause shorter than a round only ever skips the rounds it covers
        state.until = now + timedelta(seconds=pause - 1.0) if pause >= self.interval_s else None
        return _via(result, sent) if index else result

    def lasting(self, now: datetime, min_s: float = FALLBACK_AFTER_S) -> list[dict[str, Any]]:
        """Checks refused without a break for at least `min_s`: platform, check, since, code."""
        return [
            {"platform": p, "check": c, "since": s.since.isoformat(), "code": s.code}
            for (p, c), s in sorted(self.states.items())
            if (now - s.since).total_seconds() >= min_s
        ]


def with_url(check: Any, index: int) -> Any:
    """The check on its own URL (0) or on fallback_urls[index - 1]."""
    fallbacks = getattr(check, "fallback_urls", None) or []
    if not index or index > len(fallbacks):
        return check
    return check.model_copy(update={"url": fallbacks[index - 1]})


def _url_index(check: Any, sent: Any) -> int:
    """Which URL `sent` asked: 0 the check's own, i fallback_urls[i - 1]."""
    fallbacks = getattr(check, "fallback_urls", None) or []
    url = getattr(sent, "url", None)
    if url == getattr(check, "url", None) or url not in fallbacks:
        return 0
    return fallbacks.index(url) + 1


def _via(result: ProbeResult, sent: Any) -> ProbeResult:
    """The result with the fallback URL that was asked named in its detail."""
    text = f"via {sent.url}" + (f"; {result.detail}" if result.detail else "")
    return replace(result, detail=short(text))

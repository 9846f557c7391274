"""Our own starvation is not the platform's failure: event-loop lag during a round, and the
checks it may have made time out.

When our process or machine is too busy (a CPU burner, a huge round, a slow disk stalling
the interpreter), the event loop wakes late; a check whose deadline passes while the loop
could not read its answer times out through no fault of the platform. A round whose loop
lag reached `threshold_s(timeout)` therefore records its timed-out checks (and controls) as
unknown with error `overloaded`: not measurable, never an outage, never "own network down".
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from monitors.probes.base import ProbeResult
from monitors.text import short

OVERLOAD_ERROR = "overloaded"
TICK_S = 0.1  # how often the meter wakes (lag that matters is >= 0.5 s)
_TIMEOUTS = ("timeout",)


def threshold_s(timeout_s: float) -> float:
    """Loop lag from which a round's timeouts are ours, not the platform's."""
    return max(0.5, 0.2 * timeout_s)


@dataclass
class LagMeter:
    """Measures how late the running event loop wakes (start() inside the loop, then stop())."""

    max_lag_s: float = 0.0
    _task: asyncio.Task | None = None

    def start(self) -> LagMeter:
        """Begin measuring in the current event loop."""
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            planned = time.perf_counter() + TICK_S
            await asyncio.sleep(TICK_S)
            self.max_lag_s = max(self.max_lag_s, time.perf_counter() - planned)

    async def stop(self) -> float:
        """Stop measuring; the largest lag seen (seconds)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        return round(self.max_lag_s, 3)


def overloaded(result: ProbeResult, lag_s: float) -> ProbeResult:
    """A timed-out result recorded as our overload, with what it saw."""
    saw = result.detail or result.error or result.status
    return ProbeResult("unknown", error=OVERLOAD_ERROR,
                       detail=short(f"monitor overloaded (event loop {lag_s:.1f}s late); "
                                    f"saw: {saw}"))


def excuse(results: list[ProbeResult], lag_s: float, timeout_s: float) -> list[ProbeResult]:
    """The results with timeouts turned into overload when the loop lagged too much."""
    if lag_s < threshold_s(timeout_s):
        return results
    return [overloaded(r, lag_s) if r.status == "down" and r.error in _TIMEOUTS else r
            for r in results]

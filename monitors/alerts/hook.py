"""What runs beside the sampler after each round: alerts, dead-man's pings, Prometheus.

Nothing here loads pandas at import: `monitors run` without alerts never does (the detector
behind alerts needs it, and is imported on the first round with alerts configured).
"""

from __future__ import annotations

import logging
import math
import sys
from collections import deque
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any

from monitors import history, verdict
from monitors.alerts import Notifier
from monitors.alerts.events import ABSENT_GRACE_S
from monitors.config import Monitor, Settings
from monitors.history import state as statefile
from monitors.history.state import local_state_dir
from monitors.history.store import store_for
from monitors.probes import is_official
from monitors.sampling.deadman import Pinger
from monitors.sampling.metrics import Metrics
from monitors.sampling.runner import Round
from monitors.sampling.sampler import Sampler
from monitors.timeutil import utcnow
from monitors.verdict import GAP_ROUNDS
from monitors.vocabulary import COLUMNS

if TYPE_CHECKING:
    import pandas as pd

    from monitors.sampling.metrics import Metrics

log = logging.getLogger("monitors.integrations")

RECENT = timedelta(hours=6)  # hard cap: enough rounds to confirm and recover any outage
FAILING = ("degraded", "down")
_INTERNED = ("vantage", "platform", "check", "kind", "status", "error")


def _compact(row: dict[str, Any]) -> tuple:
    """One sample as the detector needs it: a tuple in COLUMNS order, repeated text shared,
    `detail` kept only on status-page rows (the vendor's incident title)."""
    values = []
    for column in COLUMNS:
        value = row.get(column)
        if column in _INTERNED and isinstance(value, str):
            value = sys.intern(value)
        elif column == "detail" and not is_official(row.get("kind")):
            value = None
        values.append(value)
    return tuple(values)


class RecentRounds:
    """This sampler's own recent rounds for alert detection: per platform, compact, bounded.

    Per platform, a deque of (round start, failing?, rows). A platform's rounds are dropped
    - when older than RECENT (6 h), and
    - while it is settled: no ongoing outage in the last detection and none of its last
      `keep_rounds` rounds failing — then only those last rounds are kept. An outage that
      ended stays visible to the detector for `keep_rounds - recover` rounds (at least the
      alerts' grace period), so its resolution is reported with its facts; a platform that
      is up keeps a few rounds, not six hours.
    """

    def __init__(self, monitor: Monitor, intervals: dict[str, float] | None = None) -> None:

        self.monitor = monitor
        self.intervals = intervals or {}
        self.grace_s = max(ABSENT_GRACE_S, 3 * monitor.interval)
        self.rounds: dict[str, deque[tuple[datetime, bool, tuple[tuple, ...]]]] = {}

    def keep_rounds(self, platform: str) -> int:
        """Rounds a settled platform keeps: confirmation/recovery/gap context plus the grace."""
        interval = self.intervals.get(platform) or self.monitor.interval
        context = max(self.monitor.confirm, self.monitor.recover, GAP_ROUNDS)
        return context + self.monitor.recover + math.ceil(self.grace_s / interval) + 1

    def add(self, samples: Sequence[dict[str, Any]]) -> None:
        """Keep one round's samples (compacted) and drop what is older than RECENT."""
        verdicts = verdict.platform_verdicts(samples)
        grouped: dict[str, list[tuple]] = {}
        for row in samples:
            grouped.setdefault(row["platform"], []).append(_compact(row))
        for platform, rows in grouped.items():
            start = min(row[0] for row in rows)
            kept = self.rounds.setdefault(sys.intern(platform), deque())
            kept.append((start, verdicts.get(platform) in FAILING, tuple(rows)))
            cutoff = start - RECENT
            while kept and kept[0][0] < cutoff:
                kept.popleft()

    def settle(self, ongoing: Iterable[str]) -> None:
        """Forget the old rounds of platforms without an ongoing outage and recent failures."""
        busy = set(ongoing)
        for platform, kept in self.rounds.items():
            keep = self.keep_rounds(platform)
            if platform in busy or len(kept) <= keep:
                continue
            if any(failing for _start, failing, _rows in islice(reversed(kept), keep)):
                continue
            while len(kept) > keep:
                kept.popleft()

    def oldest(self) -> datetime | None:
        """The start of the oldest round kept (of any platform)."""
        return min((kept[0][0] for kept in self.rounds.values() if kept), default=None)

    def row_count(self) -> int:
        """Samples kept, over every platform."""
        return sum(len(rows) for kept in self.rounds.values() for _s, _f, rows in kept)

    def round_count(self) -> int:
        """Platform-rounds kept, over every platform."""
        return sum(len(kept) for kept in self.rounds.values())

    def frame(self) -> pd.DataFrame:
        """The kept samples as a DataFrame with the raw-sample columns."""
        import pandas as pd  # lazy: `monitors run` without alerts never loads pandas

        rows = [row for kept in self.rounds.values() for _s, _f, rounds in kept for row in rounds]
        return pd.DataFrame.from_records(rows, columns=list(COLUMNS))


def _intervals(settings: Settings) -> dict[str, float]:
    return {p.id: p.interval for p in settings.platforms if p.interval}


class AlertHook:
    """Detects outages on recent samples after each round and hands them to the notifier."""

    def __init__(self, sampler: Sampler, settings: Settings):
        self.settings = settings
        self.store = store_for(settings)  # the data location, opened once
        self.sampler = sampler
        self.notifier = Notifier(settings, local_state_dir(settings.data))
        self.recent = RecentRounds(settings.monitor, _intervals(settings))

    def other_vantages(self) -> list[str]:
        """Vantages other than this one that write to the same data location (by heartbeat)."""
        names = statefile.list_names(self.store, "heartbeat-")
        vantages = {n.removeprefix("heartbeat-").removesuffix(".json") for n in names}
        return sorted(vantages - {self.sampler.vantage})

    def recent_samples(self, result: Round) -> pd.DataFrame:
        """Own recent rows (including unflushed) plus other vantages' flushed samples."""
        import pandas as pd  # lazy: `monitors run` without alerts never loads pandas


        self.recent.add(result.samples)
        own = self.recent.frame()
        others_vantages = self.other_vantages()
        start = self.recent.oldest()
        if not others_vantages or start is None:
            return own
        others = history.read_samples(
            self.store,
            start,
            utcnow(),
            vantages=others_vantages,
        )
        others = others[others["vantage"] != self.sampler.vantage]
        frames = [f for f in (own, others) if not f.empty]
        return pd.concat(frames, ignore_index=True) if frames else own

    def __call__(self, result: Round) -> None:
        from monitors.analysis import incidents  # lazy: detection loads pandas (alerts only)

        samples = self.recent_samples(result)
        outages = incidents.detect(
            samples, self.settings.platforms, self.settings.monitor, business=self.settings.business
        )
        self.recent.settle(o.platform for o in outages if o.end is None)
        down = {o.platform for o in outages if o.end is None and o.severity == "down"}
        self.notifier.process(outages, vantage_offline=result.vantage_offline, down_platforms=down)


def attach(
    sampler: Sampler,
    settings: Settings,
    *,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
    metrics: Metrics | None = None,
) -> dict:
    """Wire alerts, the dead-man's switch and metrics to a started sampler; returns them.

    `metrics`: already serving (bound before the sampler started, see cli.service.cli_run);
    otherwise `metrics_port` starts serving here (MetricsPortError when it cannot)."""
    attached: dict = {}
    if settings.monitor.heartbeat_url:

        pinger = Pinger(settings.monitor.heartbeat_url, user_agent=settings.monitor.user_agent)

        def ping(result: Round) -> None:
            if result.vantage_offline:
                pinger.fail("own network offline: every reachability control failed")
            else:
                pinger.success()

        sampler.add_hook(ping)
        sampler.add_failure_hook(pinger.fail)
        attached["pinger"] = pinger
    if settings.alerts:
        try:
            hook = AlertHook(sampler, settings)
        except Exception:
            log.exception("alerts disabled: could not start the notifier")
        else:
            sampler.add_hook(hook)
            attached["alerts"] = hook
    if metrics is None and metrics_port is not None:

        metrics = Metrics(sampler)
        attached["metrics_server"] = metrics.serve(metrics_port, metrics_host)
        log.info("metrics on http://%s:%d/metrics", metrics_host, metrics_port)
    if metrics is not None:
        sampler.add_hook(metrics.observe)
        attached["metrics"] = metrics
        if metrics.server is not None:
            attached["metrics_server"] = metrics.server
    return attached

"""What runs beside the sampler after each round: alerts, dead-man's pings, Prometheus."""

from __future__ import annotations

import logging
from collections import deque
from datetime import timedelta

import pandas as pd

from monitors.config import Settings
from monitors.sampling.runner import Round
from monitors.sampling.sampler import Sampler
from monitors.timeutil import utcnow
from monitors.vocabulary import COLUMNS

log = logging.getLogger("monitors.integrations")

RECENT = timedelta(hours=6)  # enough rounds to confirm and recover any outage at sane settings


class AlertHook:
    """Detects outages on recent samples after each round and hands them to the notifier."""

    def __init__(self, sampler: Sampler, settings: Settings):
        from monitors.alerts import Notifier
        from monitors.history.state import local_state_dir

        self.settings = settings
        self.sampler = sampler
        self.notifier = Notifier(settings, local_state_dir(settings.data))
        self.rows: deque[dict] = deque()

    def recent_samples(self, result: Round) -> pd.DataFrame:
        """Own recent rows (including unflushed) plus other vantages' flushed samples."""
        from monitors import history

        self.rows.extend(result.samples)
        cutoff = utcnow() - RECENT
        while self.rows and self.rows[0]["ts"] < cutoff:
            self.rows.popleft()
        own = pd.DataFrame(list(self.rows), columns=list(COLUMNS))
        others = history.read_samples(
            self.settings.data,
            cutoff,
            utcnow(),
            storage_endpoint=self.settings.monitor.storage_endpoint,
        )
        others = others[others["vantage"] != self.sampler.vantage]
        frames = [f for f in (own, others) if not f.empty]
        return pd.concat(frames, ignore_index=True) if frames else own

    def __call__(self, result: Round) -> None:
        from monitors.analysis import incidents

        samples = self.recent_samples(result)
        outages = incidents.detect(
            samples, self.settings.platforms, self.settings.monitor, business=self.settings.business
        )
        down = {o.platform for o in outages if o.end is None and o.severity == "down"}
        self.notifier.process(outages, vantage_offline=result.vantage_offline, down_platforms=down)


def attach(
    sampler: Sampler,
    settings: Settings,
    *,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
) -> dict:
    """Wire alerts, the dead-man's switch and metrics to a started sampler; returns them."""
    attached: dict = {}
    if settings.monitor.heartbeat_url:
        from monitors.sampling.deadman import Pinger

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
    if metrics_port is not None:
        from monitors.sampling.metrics import Metrics

        metrics = Metrics(sampler)
        sampler.add_hook(metrics.observe)
        attached["metrics_server"] = metrics.serve(metrics_port, metrics_host)
        attached["metrics"] = metrics
        log.info("metrics on http://%s:%d/metrics", metrics_host, metrics_port)
    return attached

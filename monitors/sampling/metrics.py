"""Prometheus exposition of the sampler: per-check status and latency, writes, lateness."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from monitors.vocabulary import STATUSES

if TYPE_CHECKING:
    from monitors.sampling.runner import Round
    from monitors.sampling.sampler import Sampler


class _SamplerCollector(Collector):
    """Values read from the sampler at scrape time (writer counters, lateness, own network)."""

    def __init__(self, sampler: Sampler):
        self.sampler = sampler

    def collect(self) -> Iterator:
        stats = self.sampler.state()
        yield CounterMetricFamily(
            "pulse_samples_written", "Samples flushed to the history.", value=stats["written"]
        )
        yield CounterMetricFamily(
            "pulse_flush_errors", "Failed history flushes.", value=stats["flush_errors"]
        )
        yield GaugeMetricFamily(
            "pulse_samples_buffered", "Samples waiting to be flushed.", value=stats["buffered"]
        )
        yield CounterMetricFamily("pulse_rounds", "Rounds completed.", value=stats["rounds"])
        yield CounterMetricFamily(
            "pulse_checks_refused",
            "Checks a platform refused to answer (429, 999, bot walls): never outages.",
            value=stats.get("refused_checks", 0),
        )
        yield GaugeMetricFamily(
            "pulse_event_loop_lag_seconds",
            "How late the probe loop woke at worst during the last round.",
            value=stats.get("last_loop_lag_s", 0.0),
        )
        yield CounterMetricFamily(
            "pulse_rounds_overloaded",
            "Rounds whose timeouts were the monitor's own starvation (recorded unknown).",
            value=stats.get("overloaded_rounds", 0),
        )
        yield GaugeMetricFamily(
            "pulse_lasting_refusals",
            "Checks refused without a break for over an hour.",
            value=len(stats.get("lasting_refusals", ())),
        )
        yield CounterMetricFamily(
            "pulse_rounds_missed",
            "Rounds skipped: schedule slots that got no round (the previous one still ran, or "
            "the machine was too busy or asleep).",
            value=stats["missed_rounds"],
        )
        yield GaugeMetricFamily(
            "pulse_round_lateness_seconds",
            "Lateness of the last round.",
            value=stats["last_lateness_s"],
        )
        offline = stats["vantage_offline"]
        yield GaugeMetricFamily(
            "pulse_vantage_offline",
            "1 when the monitor's own network is offline.",
            value=1.0 if offline else 0.0,
        )


class Metrics:
    """Prometheus metrics for one sampler, updated after every round."""

    def __init__(self, sampler: Sampler):
        self.registry = CollectorRegistry()
        labels = ["vantage", "platform", "check", "kind"]
        self.state = Gauge(
            "pulse_check_status",
            "1 for the check's current status (label status).",
            [*labels, "status"],
            registry=self.registry,
        )
        self.up = Gauge(
            "pulse_check_up",
            "1 when the check is up or degraded, else 0.",
            labels,
            registry=self.registry,
        )
        self.latency = Gauge(
            "pulse_check_latency_seconds",
            "Latency of the last check.",
            labels,
            registry=self.registry,
        )
        self.samples = Counter(
            "pulse_samples",
            "Samples taken, by status.",
            ["vantage", "platform", "status"],
            registry=self.registry,
        )
        self.registry.register(_SamplerCollector(sampler))
        self.server = None  # set by serve()

    def observe(self, result: Round) -> None:
        """Record one round."""
        for row in result.samples:
            labels = (row["vantage"], row["platform"], row["check"], row["kind"])
            for status in STATUSES:
                self.state.labels(*labels, status).set(1.0 if row["status"] == status else 0.0)
            self.up.labels(*labels).set(1.0 if row["status"] in ("up", "degraded") else 0.0)
            latency = row["latency_ms"]  # NaN when unmeasured, so a stale value never lingers
            self.latency.labels(*labels).set(float("nan") if latency is None else latency / 1000)
            self.samples.labels(row["vantage"], row["platform"], row["status"]).inc()

    def serve(self, port: int, host: str = "127.0.0.1"):
        """Serve /metrics on host:port (loopback by default); returns the server.

        MetricsPortError (one line for people) when the address cannot be bound."""
        try:
            server, _thread = start_http_server(port, addr=host, registry=self.registry)
        except OSError as exc:
            raise MetricsPortError(port_problem(port, host, exc)) from exc
        self.server = server
        return server

    def close(self) -> None:
        """Stop serving /metrics (when serving)."""
        server, self.server = self.server, None
        if server is not None:
            server.shutdown()
            server.server_close()


class MetricsPortError(OSError):
    """The --metrics-port could not be bound (its message is one line for people)."""


def port_problem(port: int, host: str, exc: OSError) -> str:
    """'--metrics-port 9100: address in use' (or why else it cannot be bound)."""
    reasons = {errno.EADDRINUSE: "address in use", errno.EACCES: "permission denied",
               errno.EADDRNOTAVAIL: f"{host} is not an address of this machine"}
    reason = reasons.get(exc.errno or 0) or (exc.strerror or str(exc) or type(exc).__name__)
    return f"--metrics-port {port}: {reason[:1].lower()}{reason[1:]}"

"""APScheduler wiring: schedule rounds, hold the writer lock, flush, compact, heartbeat, signals."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitors import history, verdict
from monitors.config import Platform, Settings
from monitors.history import recorded
from monitors.history import state as statefile
from monitors.history.datadir import lock_failure
from monitors.history.store import store_for
from monitors.sampling import eventloop, heartbeat, overload, runner
from monitors.sampling.changelog import ChangeLog
from monitors.sampling.politeness import Politeness
from monitors.timeutil import utcnow

log = logging.getLogger("monitors.sampler")


# While the history cannot be written (disk full, S3 down) samples wait in memory, 55-110
# bytes each in Arrow: at most ~28 MB, then the oldest go (counted as dropped). That is 47 h
# of the catalog at 60 s, 42 min of 1,000 checks every 10 s (docs/operations.md, budget).
MAX_BUFFER_ROWS = 250_000


class SamplerBusy(RuntimeError):
    """Another sampler already writes this data folder for this vantage."""


def spread_for(interval_s: float, timeout_s: float) -> float:
    """How long a round may spread platform starts: half the interval, leaving time to finish."""
    return max(0.0, min(interval_s * 0.5, interval_s - timeout_s - 1.0))


def group_by_interval(
    platforms: tuple[Platform, ...], default_s: float
) -> dict[float, list[Platform]]:
    """Platforms grouped by their effective interval (per-platform override or the default)."""
    groups: dict[float, list[Platform]] = {}
    for platform in platforms:
        groups.setdefault(platform.interval or default_s, []).append(platform)
    return groups


def round_verdicts(samples: list[dict]) -> dict[str, str]:
    """Per platform, a raw (unconfirmed) status of one round, for logs and state changes."""
    return verdict.platform_verdicts(samples)


@dataclass
class _Stats:
    running_since: datetime = field(default_factory=utcnow)
    rounds: int = 0
    late_rounds: int = 0
    missed_rounds: int = 0
    max_lateness_s: float = 0.0
    last_lateness_s: float = 0.0
    last_round_at: datetime | None = None
    last_round_s: float = 0.0
    checks_ok: int = 0
    checks_failed: int = 0
    vantage_offline: bool | None = None
    last_counts: dict[str, int] = field(default_factory=dict)
    refused_checks: int = 0  # samples the platforms refused (never failures)
    last_loop_lag_s: float = 0.0  # how late the probe loop woke at worst in the last round
    max_loop_lag_s: float = 0.0
    overloaded_rounds: int = 0  # rounds whose timeouts were our own starvation


class Sampler:
    """Runs rounds of checks on a schedule and writes them to the history."""

    def __init__(self, settings: Settings, *, own_process: bool = False):
        """`own_process`: sampling is this process's only job (`monitors run`), so process-wide
        settings may be tuned for it (Arrow's allocator); not for a sampler inside the
        dashboard."""
        self.settings = settings
        self.own_process = own_process
        self.monitor = settings.monitor
        self.data = settings.data
        self.vantage = settings.monitor.vantage
        self.endpoint = settings.monitor.storage_endpoint
        self.store = store_for(settings)  # the data location, opened once
        self.stats = _Stats()
        self.verdicts: dict[str, str] = {}
        self._lock = None
        self._writer: history.HistoryWriter | None = None
        self._scheduler: BackgroundScheduler | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._anchors: dict[float, float] = {}
        self._slots: dict[float, int] = {}  # schedule slot of the last round, per interval
        self._hooks: list[Callable[[runner.Round], None]] = []
        self._failure_hooks: list[Callable[[str], None]] = []
        self._stopped = threading.Event()
        self._changes = ChangeLog(settings.monitor.confirm, settings.monitor.recover)
        self._polite = {interval: Politeness(interval) for interval in group_by_interval(
            settings.platforms, settings.monitor.interval)}

    # lifecycle -----------------------------------------------------------------
    def start(self) -> Sampler:
        """Take the writer lock and start scheduling; SamplerBusy if another sampler writes."""
        self._lock = history.acquire_writer_lock(self.data, self.vantage)
        if self._lock is None:

            raise SamplerBusy(lock_failure(self.data, self.vantage))  # busy, read-only, …
        try:
            recorded.record(self.settings)  # readers of this folder use the same settings
        except OSError as exc:
            log.warning("cannot record the config in the data folder: %s", exc)
        self._writer = history.HistoryWriter(
            self.data,
            self.vantage,
            flush_every_s=self.monitor.flush_every,
            flush_rows=self.monitor.flush_rows,
            max_buffer_rows=MAX_BUFFER_ROWS,
            storage_endpoint=self.endpoint,
        )
        self._loop = eventloop.new_event_loop()
        self._loop_thread = threading.Thread(
            target=self._loop.run_forever, name="pulse-probes", daemon=True
        )
        self._loop_thread.start()
        if self.own_process:
            eventloop.lean_process()
        groups = group_by_interval(self.settings.platforms, self.monitor.interval)
        # a round job per interval, flush and compaction: more threads only add malloc arenas
        self._scheduler = BackgroundScheduler(
            timezone=UTC, executors={"default": ThreadPoolExecutor(len(groups) + 2)})
        self._scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        now = utcnow()
        for interval, platforms in groups.items():
            self._anchors[interval] = time.monotonic()
            self._scheduler.add_job(
                self._round_job,
                IntervalTrigger(seconds=interval, start_date=now),
                args=[interval, platforms],
                id=f"round-{interval:g}s",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(1, int(interval / 2)),
                next_run_time=now,
            )
        self._scheduler.add_job(
            self._flush_job,
            IntervalTrigger(seconds=self.monitor.flush_every),
            id="flush",
            max_instances=1,
            coalesce=True,
        )
        self._scheduler.add_job(
            self._compact_job,
            IntervalTrigger(seconds=self.monitor.compact_every),
            id="compact",
            max_instances=1,
            coalesce=True,
        )
        self._scheduler.start()
        self._write_heartbeat()
        log.info(
            "sampler started: vantage=%s platforms=%d data=%s",
            self.vantage,
            len(self.settings.platforms),
            self.data,
        )
        return self

    def add_hook(self, hook: Callable[[runner.Round], None]) -> None:
        """Call `hook(round)` after every round (alerts, metrics); its errors are logged only."""
        self._hooks.append(hook)

    def add_failure_hook(self, hook: Callable[[str], None]) -> None:
        """Call `hook(reason)` when a round could not run."""
        self._failure_hooks.append(hook)

    def stop(self) -> None:
        """Stop scheduling, wait for a running round, flush everything and release the lock."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self._scheduler:
            self._scheduler.shutdown(wait=True)
        if self._loop:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._loop_thread:
                self._loop_thread.join(timeout=5)
        if self._writer:
            try:
                self._writer.close()
            except Exception:
                log.exception("final flush failed")
        self._write_heartbeat(stopped=True)
        if self._lock:
            self._lock.release()
        log.info("sampler stopped after %d rounds", self.stats.rounds)

    # jobs ------------------------------------------------------------------------
    def _lateness(self, interval: float) -> float:
        elapsed = time.monotonic() - self._anchors[interval]
        return max(0.0, elapsed - round(elapsed / interval) * interval) if elapsed > 0 else 0.0

    def _count_skipped(self, interval: float) -> None:
        """Count the schedule slots since the last round that got no round of their own.

        APScheduler reports a round it drops because the previous one still runs, but when
        its thread wakes late it coalesces the overdue slots into one run and says nothing,
        so the count is taken from the timeline: one slot every `interval` from the start.
        """
        slot = round((time.monotonic() - self._anchors[interval]) / interval)
        last = self._slots.get(interval)
        self._slots[interval] = slot
        if last is not None and slot - last > 1:
            skipped = slot - last - 1
            self.stats.missed_rounds += skipped
            log.warning("%d round%s of the %gs schedule skipped: the previous round was still "
                        "running, or the machine was too busy or asleep", skipped,
                        "s" if skipped > 1 else "", interval)

    def _round_job(self, interval: float, platforms: list[Platform]) -> None:
        if self._stopped.is_set() or self._loop is None:
            return
        self._count_skipped(interval)
        lateness = self._lateness(interval)
        coro = runner.run_round(
            platforms,
            self.monitor,
            vantage=self.vantage,
            spread_s=spread_for(interval, self.monitor.timeout),
            politeness=self._polite.get(interval),
        )
        started = time.monotonic()
        try:
            result = asyncio.run_coroutine_threadsafe(coro, self._loop).result(
                timeout=interval + self.monitor.timeout + 10
            )
        except Exception as exc:
            log.exception("round failed")
            for hook in self._failure_hooks:
                try:
                    hook(f"round failed: {type(exc).__name__}")
                except Exception:
                    log.exception("failure hook failed")
            return
        self._record(result, lateness, time.monotonic() - started)

    def _record(self, result: runner.Round, lateness: float, duration: float) -> None:
        assert self._writer is not None
        self._writer.append(result.samples)
        if self._writer.due():
            self._writer.flush()
        counts = Counter(row["status"] for row in result.samples)
        stats = self.stats
        stats.rounds += 1
        stats.last_round_at, stats.last_round_s = utcnow(), duration
        stats.last_lateness_s = lateness
        stats.max_lateness_s = max(stats.max_lateness_s, lateness)
        stats.late_rounds += lateness > 1.0
        stats.checks_ok += counts["up"] + counts["degraded"]
        refused = sum(row["error"] == verdict.REFUSAL_ERROR for row in result.samples)
        stats.checks_failed += counts["down"] + counts["unknown"] - refused
        stats.refused_checks += refused
        stats.last_loop_lag_s = result.loop_lag_s
        stats.max_loop_lag_s = max(stats.max_loop_lag_s, result.loop_lag_s)
        if any(row["error"] == overload.OVERLOAD_ERROR for row in result.samples):
            stats.overloaded_rounds += 1
            log.warning("round %d: monitor overloaded (event loop %.1fs late); its timeouts "
                        "are recorded as unknown", stats.rounds, result.loop_lag_s)
        stats.last_counts = dict(counts)
        if stats.vantage_offline is not None and stats.vantage_offline != result.vantage_offline:
            log.warning("own network %s", "OFFLINE" if result.vantage_offline else "back online")
        stats.vantage_offline = result.vantage_offline
        self._log_changes(round_verdicts(result.samples))
        log.info(
            "round %d: %d checks up=%d degraded=%d down=%d unknown=%d in %.1fs%s",
            stats.rounds,
            len(result.samples),
            counts["up"],
            counts["degraded"],
            counts["down"],
            counts["unknown"],
            duration,
            " (own network offline)" if result.vantage_offline else "",
        )
        self._write_heartbeat(official=result.official)
        for hook in self._hooks:
            try:
                hook(result)
            except Exception:
                log.exception("round hook %s failed", getattr(hook, "__name__", hook))

    def _log_changes(self, verdicts: dict[str, str]) -> None:
        for level, message in self._changes.observe(verdicts, utcnow()):
            log.log(level, "%s", message)
        self.verdicts.update(verdicts)

    def _flush_job(self) -> None:
        if self._writer:
            self._writer.flush()

    def _compact_job(self) -> None:
        """Compact, then store the month-by-month analysis, in a short-lived child process:
        the sampler never loads pandas or DuckDB, and a crash or memory spike there cannot
        take the sampler down. The child gets the settings (alerts left out) on stdin."""
        package_root = str(Path(__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        settings = self.settings.model_dump_json(exclude={"config": {"alerts"}})
        try:
            done = subprocess.run([sys.executable, "-m", "monitors.cli.maintenance"],
                                  input=settings, capture_output=True, text=True, env=env,
                                  timeout=max(600.0, self.monitor.compact_every))
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.error("compaction could not run: %s", type(exc).__name__)
            return
        if done.returncode != 0:
            tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
            log.error("compaction failed (exit %d): %s", done.returncode, tail[0])
        else:
            log.info("compaction done%s", f": {done.stdout.strip()}" if done.stdout.strip()
                     else "")

    def _on_missed(self, event: JobEvent) -> None:
        # Counted by _count_skipped from the timeline (this event misses coalesced slots).
        if str(event.job_id).startswith("round-"):
            log.info("APScheduler dropped a run of %s (%s)", event.job_id,
                     "still running" if event.code == EVENT_JOB_MAX_INSTANCES else "missed")

    # heartbeat -------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The sampler's state as written to the heartbeat file."""
        stats, writer = self.stats, (self._writer.stats if self._writer else {})
        return {
            "vantage": self.vantage,
            "running_since": stats.running_since.isoformat(),
            "last_round_at": stats.last_round_at.isoformat() if stats.last_round_at else None,
            "last_round_s": round(stats.last_round_s, 3),
            "interval_s": self.monitor.interval,
            "timeout_s": self.monitor.timeout,
            "platforms": len(self.settings.platforms),
            "rounds": stats.rounds,
            "late_rounds": stats.late_rounds,
            "missed_rounds": stats.missed_rounds,
            "last_lateness_s": round(stats.last_lateness_s, 3),
            "max_lateness_s": round(stats.max_lateness_s, 3),
            "checks_ok": stats.checks_ok,
            "checks_failed": stats.checks_failed,
            "last_counts": stats.last_counts,
            "vantage_offline": stats.vantage_offline,
            "verdicts": dict(self.verdicts),
            "refused_checks": stats.refused_checks,
            "last_loop_lag_s": stats.last_loop_lag_s,
            "max_loop_lag_s": stats.max_loop_lag_s,
            "overloaded_rounds": stats.overloaded_rounds,
            "lasting_refusals": self.lasting_refusals(),
            "written": writer.get("written", 0),
            "buffered": writer.get("buffered", 0),
            "dropped": writer.get("dropped", 0),
            "text_dropped": writer.get("text_dropped", 0),  # rows kept without their detail
            "flush_errors": writer.get("flush_errors", 0),
            "last_flush_error": writer.get("last_error"),
        }

    def lasting_refusals(self) -> list[dict[str, Any]]:
        """Checks a platform has refused for over an hour (politeness.py), for status."""
        now = utcnow()
        return [item for polite in self._polite.values() for item in polite.lasting(now)]

    def _write_heartbeat(self, *, stopped: bool = False, official: dict | None = None) -> None:
        state = self.state()
        if stopped:
            state["stopped_at"] = utcnow().isoformat()
        try:
            heartbeat.write_heartbeat(self.store, state)
            if official:
                statefile.write_json(self.store, f"official-{self.vantage}.json",
                                     {k: asdict(v) for k, v in official.items()})
        except OSError as exc:
            log.warning("cannot write heartbeat: %s", exc)

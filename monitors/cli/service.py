"""The sampler as a service: in the foreground (`python -m monitors run`) or inside the
dashboard, with what runs beside it after each round (alerts, dead-man's pings, /metrics)
wired in. It lives above the sampler because alerts do: the sampler knows only its hooks."""

from __future__ import annotations

import atexit
import contextlib
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from monitors.alerts import hook, notice
from monitors.config import Settings
from monitors.sampling.metrics import Metrics, MetricsPortError
from monitors.sampling.sampler import Sampler, SamplerBusy

log = logging.getLogger("monitors.sampler")


@dataclass
class Handle:
    """A running embedded sampler (one per process)."""

    sampler: Sampler

    def add_failure_hook(self, hook: Callable[[str], None]) -> None:
        """Call `hook(reason)` when a round could not run."""
        self.sampler.add_failure_hook(hook)

    def stop(self) -> None:
        """Stop the embedded sampler (and forget it): flush its buffer, heartbeat 'stopped'."""
        if self in _EMBEDDED:
            _EMBEDDED.remove(self)
        self.sampler.stop()


_EMBEDDED: list[Handle] = []
_EXIT_HOOKED = threading.Lock()


def _stop_at_exit() -> None:
    try:
        stopped = stop_embedded()
    except Exception:  # never let a failing flush turn a clean exit into a traceback loop
        log.exception("could not stop the embedded sampler at exit")
        return
    if stopped:
        log.info("embedded sampler stopped at exit; its buffer was flushed")


def _hook_exit() -> None:
    """Stop embedded samplers when the process ends (once per process).

    Streamlit installs its own SIGTERM/SIGINT handlers (they stop its server, and the process
    then exits normally), and its scripts run in worker threads where no signal handler can be
    set: so the hook is interpreter exit. `threading._register_atexit` runs before the thread
    pools shut down (a round in progress still completes); `atexit` is the fallback.
    """
    if not _EXIT_HOOKED.acquire(blocking=False):
        return
    early = getattr(threading, "_register_atexit", None)
    if early is not None:
        with contextlib.suppress(RuntimeError):  # the interpreter is already shutting down
            early(_stop_at_exit)
    atexit.register(_stop_at_exit)  # a no-op when the early hook stopped everything


def start_embedded(settings: Settings) -> Handle | None:
    """Start a background sampler for the dashboard, or None when another one holds the lock.

    The sampler is stopped (buffer flushed, heartbeat 'stopped', lock released) when the
    process exits, e.g. Streamlit stopped with SIGTERM or Ctrl-C."""
    try:
        sampler = Sampler(settings)
        sampler.start()
    except SamplerBusy as exc:
        log.info("%s; the dashboard only reads", exc)
        return None
    _hook_exit()
    handle = Handle(sampler)
    _EMBEDDED.append(handle)
    try:
        hook.attach(sampler, settings)
    except Exception:
        log.exception("alerts and pings disabled: could not attach them")
    notice.attach(sampler, settings)  # the customer notice, when [notice] to is set
    return handle


def stop_embedded() -> int:
    """Stop every embedded sampler this process started (shutdown hooks and tests)."""
    handles = list(_EMBEDDED)
    for handle in handles:
        handle.stop()
    return len(handles)


def cli_run(args, settings: Settings) -> int:
    """`python -m monitors run`: sample in the foreground until SIGINT/SIGTERM or --duration.

    A --metrics-port that cannot be bound is found before anything starts: one line, exit 2,
    no heartbeat. Whatever fails after the start, the sampler is stopped on the way out: its
    buffer is flushed and its heartbeat says it stopped."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    sampler = Sampler(settings, own_process=True)  # the process samples and nothing else
    metrics = None
    if getattr(args, "metrics_port", None) is not None:
        metrics_host = getattr(args, "metrics_host", None) or "127.0.0.1"
        metrics = Metrics(sampler)
        try:
            metrics.serve(args.metrics_port, metrics_host)
        except MetricsPortError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        log.info("metrics on http://%s:%d/metrics", metrics_host, args.metrics_port)
    try:
        sampler.start()
    except SamplerBusy as exc:
        if metrics is not None:
            metrics.close()
        print(f"error: {exc}")
        return 1
    try:
        hook.attach(sampler, settings, metrics=metrics)
        notice.attach(sampler, settings)
        deadline = time.monotonic() + args.duration if args.duration else None
        while not stop.is_set():
            if deadline and time.monotonic() >= deadline:
                break
            stop.wait(0.2 if deadline is None else
                      min(0.2, max(0.0, deadline - time.monotonic())))
    finally:
        sampler.stop()
        if metrics is not None:
            metrics.close()
    return 0

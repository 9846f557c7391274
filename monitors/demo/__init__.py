"""`python -m monitors demo`: simulated platforms with a scripted story, a sampler on them and
the dashboard, on a separate demo data folder. Everything stays on 127.0.0.1."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from monitors import history
from monitors.config import Settings
from monitors.demo.backfill import NOTE, backfill, write_marker
from monitors.demo.config import (
    DEFAULT_DATA,
    INTERVAL_S,
    VANTAGE,
    demo_config,
    write_demo_settings,
)
from monitors.demo.sales import SALES_FILE, write_sales
from monitors.demo.servers import SimPlatforms
from monitors.demo.story import CAST, CYCLE_S, Story
from monitors.history import state as statefile
from monitors.sampling.sampler import Sampler, SamplerBusy
from monitors.timeutil import format_duration, utcnow

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "dashboard.py"
STATE_NAME = "demo.json"
STOP_WAIT_S = 15.0
PORT_WAIT_S = 10.0  # for the previous run's dashboard port to be released

__all__ = ["cli_demo"]


def _say(text: str = "") -> None:
    print(text, flush=True)


def free_port() -> int:
    """A free loopback TCP port (bound to port 0 and released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_free(port: int) -> bool:
    """True when a server could listen on 127.0.0.1:port now. Bound with SO_REUSEADDR as
    Streamlit (tornado) binds it: connections of a demo stopped a moment ago, still in
    TIME_WAIT, don't make the port busy; another server listening on it does."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def dashboard_port(requested: int, previous: int = 0, *, wait_s: float = PORT_WAIT_S) -> int:
    """The requested dashboard port (0: the previous run's, if any) when it is free, else any
    free one. The previous run's port is waited for a few seconds: its dashboard may still
    be shutting down after a Ctrl-C."""
    wanted = requested or previous
    if not wanted:
        return free_port()
    deadline = time.monotonic() + (wait_s if wanted == previous else 0.0)
    while not port_free(wanted):
        if time.monotonic() >= deadline:
            _say(f"Port {wanted} is busy; the demo dashboard uses another one.")
            return free_port()
        time.sleep(0.2)
    return wanted


def previous_run(data: str) -> dict[str, Any]:
    """What the last demo on this data folder recorded (ports, dashboard port), or {}."""
    try:
        state = statefile.read_json(data, STATE_NAME)
    except Exception:  # a damaged state file only costs the old ports
        return {}
    return state if isinstance(state, dict) else {}


def start_dashboard(settings: Settings, port: int) -> subprocess.Popen:
    """Run the Streamlit dashboard on the demo config and data (read-only: we sample)."""
    config_path = Path(settings.source).resolve()
    env = {**os.environ, "MONITORS_CONFIG": str(config_path),
           "MONITORS_DATA": str(Path(settings.data).resolve()),
           "PULSE_NO_SAMPLER": "1"}  # the demo's own sampler holds the lock anyway
    log = (Path(settings.data) / "streamlit.log").open("ab")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(DASHBOARD),
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=str(ROOT), env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    finally:
        log.close()


def stop_dashboard(process: subprocess.Popen | None) -> None:
    """Ask Streamlit to stop, then insist."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_WAIT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def _healthy(port: int) -> bool:
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=0.5,
                             trust_env=False)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def banner(story: Story, sim: SimPlatforms, data: str, url: str | None, backfilled: bool) -> str:
    """What the demo simulates, where to look and how to stop it."""
    names = " · ".join(f"{c.name}" for c in CAST)
    lines = [
        "",
        "Platform Pulse demo — " + NOTE,
        "Everything runs on 127.0.0.1; nothing leaves this machine.",
        f"  platforms  {names}",
        f"  servers    HTTP on 127.0.0.1 (one per platform), status pages on port "
        f"{sim.control_port}, DNS on port {sim.dns_port}",
        f"  sampler    a round every {INTERVAL_S:g} s; an outage opens after 2 failed rounds",
        f"  history    {data}/" + (" (with synthetic past history)" if backfilled else ""),
        *([f"  sales      {data}/{SALES_FILE} (DEMO sales per hour; dips on the past outages)"]
          if backfilled else []),
        f"  story      speed ×{story.speed:g}, repeats every "
        f"{format_duration(CYCLE_S / story.speed)}:",
    ]
    for scene in story.timeline():
        lines.append(f"    {_clock(scene['start_s'])}–{_clock(scene['end_s'])}  {scene['title']}")
    if url:
        lines.append(f"  dashboard  {url}  (starting; log in {data}/streamlit.log)")
    lines += ["Press Ctrl-C to stop.", ""]
    return "\n".join(lines)


def _span(seconds: float) -> str:
    days = seconds / 86400
    return f"{days:g} days" if days >= 2 else format_duration(seconds)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes:2d}:{secs:02d}"


def _install_stop(stop: threading.Event) -> dict[int, Any]:
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, lambda *_: stop.set())
    return previous


def _narrate(story: Story, elapsed: float, shown: set[str]) -> set[str]:
    """Print scenes as they begin and end; returns the titles now playing."""
    now = {scene.title for scene in story.at(elapsed).scenes}
    for title in sorted(now - shown):
        _say(f"[{_clock(elapsed)}] ▶ {title}")
    for title in sorted(shown - now):
        _say(f"[{_clock(elapsed)}] ■ over: {title}")
    return now


def _wait(stop: threading.Event, story: Story, sim: SimPlatforms, duration_s: float | None,
          dashboard: subprocess.Popen | None, port: int | None) -> int:
    """Until Ctrl-C, SIGTERM or the duration: narrate, watch the dashboard. Exit code."""
    shown: set[str] = set()
    ready = dashboard is None
    while not stop.wait(0.25):
        elapsed = sim.clock.elapsed()
        if duration_s is not None and elapsed >= duration_s:
            break
        shown = _narrate(story, elapsed, shown)
        if dashboard is not None and dashboard.poll() is not None:
            _say(f"The dashboard stopped (exit {dashboard.returncode}); "
                 f"see its log in the demo data folder.")
            return 1
        if not ready and port is not None and _healthy(port):
            ready = True
            _say(f"Dashboard ready: http://127.0.0.1:{port}")
    return 0


def cli_demo(args: Any, settings: Settings) -> int:
    """`python -m monitors demo`: simulated platforms, a sampler and the dashboard."""
    if args.speed <= 0:
        _say("error: --speed must be above zero")
        return 2
    data = args.data or DEFAULT_DATA  # never the real history, whatever the environment says
    if logging.getLogger().level >= logging.INFO:  # the narration replaces per-round lines
        logging.getLogger("monitors.sampler").setLevel(logging.WARNING)
    free = history.acquire_writer_lock(data, VANTAGE)  # before touching the folder's config
    if free is None:
        _say(f"error: another demo is running on {data}/; stop it first or pass --data")
        return 1
    free.release()
    stop = threading.Event()
    previous = _install_stop(stop)
    story = Story(speed=args.speed)
    last = previous_run(data)  # a restart keeps the ports: same config, same links
    sim = SimPlatforms(story, ports=last.get("ports") if isinstance(last.get("ports"), dict)
                       else None).start()
    sampler: Sampler | None = None
    dashboard: subprocess.Popen | None = None
    try:
        last_port = last.get("dashboard_port") if isinstance(last.get("dashboard_port"),
                                                             int) else 0
        port = (None if args.no_dashboard or not DASHBOARD.is_file()
                else dashboard_port(args.port, last_port))
        sales = bool(args.backfill) or (Path(data) / SALES_FILE).is_file()
        demo = write_demo_settings(demo_config(sim, dashboard_port=port, sales=sales), data)
        write_marker(data, backfill_s=args.backfill)
        if args.backfill:
            _say(f"Writing {_span(args.backfill)} of synthetic history to {data}/ …")
            end = utcnow()  # one end for both: the sales dips fall on the backfilled outages
            backfill(demo, args.backfill, end=end)
            write_sales(data, end, args.backfill)
        if stop.is_set():  # Ctrl-C while the history was being written
            return 0
        sampler = Sampler(demo)
        try:
            sampler.start()
        except SamplerBusy as exc:
            sampler = None
            _say(f"error: {exc} (is another demo running?)")
            return 1
        sim.clock.start()
        statefile.write_json(data, STATE_NAME, {
            "started_at": sim.clock.started_at.isoformat() if sim.clock.started_at else None,
            "speed": story.speed, "cycle_s": CYCLE_S / story.speed, "timeline": story.timeline(),
            "ports": sim.ports(), "dashboard_port": port,
        })
        if port is not None:
            dashboard = start_dashboard(demo, port)
        url = f"http://127.0.0.1:{port}" if port is not None else None
        _say(banner(story, sim, data, url, bool(args.backfill)))
        code = _wait(stop, story, sim, args.duration, dashboard, port)
    finally:
        _say("Stopping the demo …")
        stop_dashboard(dashboard)
        if sampler is not None:
            sampler.stop()
        sim.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    _say(f"Demo stopped. Its history stays in {data}/ (delete the folder to start afresh).")
    return code

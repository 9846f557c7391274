"""Watching the watcher, hardened: a heartbeat from the future, a taken --metrics-port.

Real `python -m monitors` subprocesses on loopback configs, real sockets, real files.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from support_sampler import http_platform, wait_for, write_config

from monitors import history
from monitors.sampling import heartbeat
from monitors.timeutil import utcnow

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def config(tmp_path, target) -> Path:
    return write_config(tmp_path / "c.toml", data=tmp_path / "data", flush_every="1h",
                        controls=[f"tcp://127.0.0.1:{target.port}"],
                        platforms=[http_platform("alpha", "A", {"web": target.url("/a")})])


def _monitors(config: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitors", *args, "--config", str(config)],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def _beat(data: Path, last: datetime, **extra) -> None:
    heartbeat.write_heartbeat(str(data), {
        "vantage": "test", "running_since": (last - timedelta(hours=1)).isoformat(),
        "last_round_at": last.isoformat(), "interval_s": 60.0, "timeout_s": 10.0, **extra})


# ------------------------------------------------------------------ clock skew
def test_a_heartbeat_from_the_future_is_reported_as_clock_skew(tmp_path, config):
    data = tmp_path / "data"
    _beat(data, utcnow() + timedelta(hours=1))
    done = _monitors(config, "status")
    assert done.returncode == 1, done.stdout
    first = done.stdout.splitlines()[0]
    assert re.match(r"heartbeat is 3[56]\d\d s in the future: clock skew", first), first
    assert "0s ago" not in done.stdout and "sampler running" not in done.stdout

    report = json.loads(_monitors(config, "status", "--json").stdout)
    assert report["healthy"] is False
    assert report["age_s"] == 0.0  # never negative
    assert 3500 < report["clock_skew_s"] <= 3600
    assert report["summary"].startswith("heartbeat is ")


def test_a_heartbeat_a_moment_ahead_is_still_healthy(tmp_path, config):
    _beat(tmp_path / "data", utcnow() + timedelta(seconds=3))  # NTP-sized differences
    done = _monitors(config, "status")
    assert done.returncode == 0, done.stdout
    assert done.stdout.startswith("sampler running on test, last round 0s ago")


def test_the_one_rule_is_shared_by_status_docker_and_the_dashboard(tmp_path):
    now = utcnow()
    ahead = {"vantage": "test", "last_round_at": (now + timedelta(hours=1)).isoformat(),
             "interval_s": 60.0}
    assert heartbeat.is_stale(ahead, now)
    assert heartbeat.heartbeat_age_s(ahead, now) == 0.0
    assert heartbeat.describe(ahead, now).startswith(
        "heartbeat is 3600 s in the future: clock skew")
    assert heartbeat.status_report(ahead, now)["healthy"] is False
    # the image's health check is `monitors status` (whose exit code is this rule)
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"HEALTHCHECK [^\n]*\\\n\s+CMD python -m monitors status", dockerfile)


def test_the_dashboard_banner_shows_the_clock_skew(tmp_path, monkeypatch):
    import support_dashboard as story
    from streamlit.testing.v1 import AppTest

    data = tmp_path / "data"
    now = utcnow()
    story.write_heartbeat(data, now, age_s=-3600)  # last round an hour in the future
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MONITORS_CONFIG", str(story.CONFIG))
    monkeypatch.setenv("MONITORS_DATA", str(data))
    monkeypatch.setenv("PULSE_NO_SAMPLER", "1")
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120).run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "No sampler is running" in warnings and "in the future: clock skew" in warnings


# ------------------------------------------------------------------ --metrics-port
def test_a_taken_metrics_port_exits_2_at_once_with_one_line_and_no_heartbeat(tmp_path, config):
    data = tmp_path / "data"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        done = _monitors(config, "run", "--metrics-port", str(port), "--duration", "20")
        took = time.monotonic() - started
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [f"error: --metrics-port {port}: address in use"]
    assert "Traceback" not in done.stderr
    assert took < 15  # before any round, not after the --duration
    assert heartbeat.read_heartbeat(str(data), "test") is None
    assert _monitors(config, "status").returncode == 1
    lock = history.acquire_writer_lock(str(data), "test")  # nothing left holding the folder
    assert lock is not None
    lock.release()


def test_metrics_are_served_while_running_and_the_last_round_is_flushed(tmp_path, config):
    data = tmp_path / "data"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "monitors", "run", "--config", str(config), "--metrics-port",
         str(port), "--duration", "4"], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        def scraped() -> bool:
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except httpx.HTTPError:
                return False
            return "pulse_rounds_total" in text and "pulse_check_up{" in text

        assert wait_for(scraped, 20, 0.2)
        _out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err[-2000:]
    beat = heartbeat.read_heartbeat(str(data), "test")
    assert beat["stopped_at"] and beat["buffered"] == 0 and beat["written"] == beat["rounds"]
    with pytest.raises(httpx.HTTPError):  # the port is given back
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)

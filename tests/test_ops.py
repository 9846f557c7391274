"""Watching the watcher: status exit codes, dead-man's pings, Prometheus /metrics."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler

import httpx
from prometheus_client.parser import text_string_to_metric_families
from support_sampler import (
    LocalServer,
    closed_port,
    http_platform,
    settings_for,
    wait_for,
    write_config,
)

from monitors import history
from monitors.alerts import hook as integrations
from monitors.sampling import heartbeat
from monitors.sampling.sampler import Sampler
from monitors.timeutil import utcnow


def _status(config, *extra):
    return subprocess.run(
        [sys.executable, "-m", "monitors", "status", "--config", str(config), *extra],
        capture_output=True,
        text=True,
        timeout=60,
    )


class Receiver(LocalServer):
    """A healthchecks.io-like ping receiver on loopback; can go down or hang."""

    def __init__(self) -> None:
        self.pings: list[tuple[str, float, str]] = []
        self.hang = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if receiver.hang.is_set():
                    time.sleep(20)
                receiver.pings.append((self.path, time.monotonic(), body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            do_GET = do_POST

        super().__init__(Handler)


def test_status_says_never_started_and_exits_1(tmp_path):
    config = write_config(
        tmp_path / "c.toml",
        data=tmp_path / "data",
        platforms=[http_platform("a", "A", {"web": "http://127.0.0.1:9/"})],
        controls=[],
    )
    out = _status(config)
    assert out.returncode == 1
    assert "no sampler has run" in out.stdout


def test_status_is_healthy_while_running_and_stale_after_three_intervals(tmp_path):
    data = tmp_path / "data"
    config = write_config(
        tmp_path / "c.toml",
        data=data,
        interval="60s",
        platforms=[http_platform("a", "A", {"web": "http://127.0.0.1:9/"})],
        controls=[],
    )
    now = utcnow()
    state = {
        "vantage": "test",
        "running_since": (now - timedelta(hours=1)).isoformat(),
        "interval_s": 60,
        "timeout_s": 0.4,
        "rounds": 60,
    }
    heartbeat.write_heartbeat(
        str(data), {**state, "last_round_at": (now - timedelta(seconds=20)).isoformat()}
    )
    ok = _status(config, "--json")
    assert ok.returncode == 0 and '"healthy": true' in ok.stdout
    heartbeat.write_heartbeat(
        str(data), {**state, "last_round_at": (now - timedelta(seconds=181)).isoformat()}
    )
    stale = _status(config)
    assert stale.returncode == 1 and "not running" in stale.stdout


def test_status_of_a_cleanly_stopped_sampler_is_not_healthy(tmp_path):
    data = tmp_path / "data"
    config = write_config(
        tmp_path / "c.toml",
        data=data,
        platforms=[http_platform("a", "A", {"web": "http://127.0.0.1:9/"})],
        controls=[],
    )
    heartbeat.write_heartbeat(
        str(data),
        {
            "vantage": "test",
            "last_round_at": utcnow().isoformat(),
            "interval_s": 60,
            "stopped_at": utcnow().isoformat(),
        },
    )
    assert _status(config).returncode == 1


def test_it_pings_once_per_round_and_fails_when_offline_and_keeps_time_when_receiver_hangs(
    tmp_path, target
):
    receiver = Receiver()
    data = tmp_path / "data"
    config = write_config(
        tmp_path / "c.toml",
        data=data,
        interval="0.5s",
        heartbeat_url=f"http://127.0.0.1:{receiver.port}/ping/abc",
        controls=[f"tcp://127.0.0.1:{target.port}"],
        platforms=[http_platform("a", "A", {"web": target.url("/a")})],
    )
    settings = settings_for(config)
    sampler = Sampler(settings).start()
    attached = integrations.attach(sampler, settings)
    try:
        assert wait_for(lambda: sampler.stats.rounds >= 4, 20)
        time.sleep(0.3)
        rounds, pings = sampler.stats.rounds, list(receiver.pings)
        assert abs(len(pings) - rounds) <= 1
        assert all(path == "/ping/abc" for path, _, _ in pings)
        # the receiver hangs: rounds still come on time
        receiver.hang.set()
        before = sampler.stats.rounds
        time.sleep(3.0)
        assert sampler.stats.rounds - before >= 4
        assert sampler.stats.max_lateness_s < 1.0
        receiver.hang.clear()
        # own network goes offline: the control dies -> /fail pings
        target.close()
        assert wait_for(lambda: any(p.endswith("/fail") for p, _, _ in receiver.pings), 30)
        fail_body = next(b for p, _, b in receiver.pings if p.endswith("/fail"))
        assert "own network offline" in fail_body
    finally:
        sampler.stop()
        attached["pinger"].close()
        receiver.close()


def test_metrics_agree_with_the_history(tmp_path, target):
    data = tmp_path / "data"
    target.codes["/b"] = 500
    config = write_config(
        tmp_path / "c.toml",
        data=data,
        controls=[f"tcp://127.0.0.1:{target.port}"],
        platforms=[
            http_platform("a", "A", {"web": target.url("/a")}),
            http_platform("b", "B", {"web": target.url("/b")}),
        ],
    )
    settings = settings_for(config)
    sampler = Sampler(settings).start()
    port = closed_port()
    attached = integrations.attach(sampler, settings, metrics_port=port)
    try:
        assert wait_for(lambda: sampler.stats.rounds >= 3, 20)
    finally:
        sampler.stop()
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    attached["metrics_server"].shutdown()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    counts = {}
    for sample in families["pulse_samples"].samples:
        if sample.name == "pulse_samples_total":
            counts[(sample.labels["platform"], sample.labels["status"])] = sample.value
    now = utcnow()
    stored = history.read_samples(str(data), now - timedelta(minutes=10), now)
    expected = stored.groupby(["platform", "status"]).size().to_dict()
    assert counts == {k: float(v) for k, v in expected.items()}
    written = next(
        s.value
        for s in families["pulse_samples_written"].samples
        if s.name == "pulse_samples_written_total"
    )
    assert written == len(stored)
    up = {(s.labels["platform"]): s.value for s in families["pulse_check_up"].samples}
    assert up == {"a": 1.0, "b": 0.0}


def test_status_names_lasting_refusals_and_the_loop_lag(tmp_path):
    data = tmp_path / "data"
    config = write_config(
        tmp_path / "c.toml", data=data, interval="60s", controls=[],
        platforms=[http_platform("reddit", "Reddit", {"web": "http://127.0.0.1:9/",
                                                      "api": "http://127.0.0.1:9/api"})],
    )
    now = utcnow()
    heartbeat.write_heartbeat(str(data), {
        "vantage": "test", "running_since": (now - timedelta(hours=5)).isoformat(),
        "last_round_at": (now - timedelta(seconds=5)).isoformat(), "interval_s": 60,
        "timeout_s": 0.4, "rounds": 300, "refused_checks": 240, "last_loop_lag_s": 0.012,
        "lasting_refusals": [{"platform": "reddit", "check": "web", "code": 403,
                              "since": (now - timedelta(hours=3, minutes=5)).isoformat()}],
    })
    out = _status(config)
    assert out.returncode == 0, out.stdout
    assert "Reddit has refused this monitor's web checks for 3h 05m; judged on API" in out.stdout
    assert "refused_checks    240" in out.stdout and "last_loop_lag_s   0.012" in out.stdout
    as_json = _status(config, "--json")
    assert '"refusals": [' in as_json.stdout

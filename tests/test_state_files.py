"""Wrongly typed state files are set aside to quarantine/, reported and rebuilt fresh.

Real files in a tmp data folder, the real CLI in subprocesses, a real sampler alerting to a
real JSON webhook receiver on loopback.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import tomli_w
from support_sampler import Target, wait_for

from monitors.alerts import hook as integrations
from monitors.alerts.store import AlertStore
from monitors.analysis import loaders
from monitors.config import load_settings
from monitors.history import state as statefile
from monitors.history.quarantine import list_problems
from monitors.history.store import open_store
from monitors.sampling import heartbeat
from monitors.sampling.sampler import Sampler
from monitors.timeutil import utcnow

ROOT = Path(__file__).resolve().parents[1]
BAD_ALERTS = {"state": 5, "outbox": "x"}


def _config(tmp_path: Path, data: Path, target: Target, alert_url: str | None = None) -> Path:
    raw = {
        "monitor": {"interval": "0.5s", "timeout": "0.4s", "vantage": "test",
                    "default_platforms": False, "data": str(data), "flush_every": "0.5s",
                    "controls": [f"tcp://127.0.0.1:{target.port}"]},
        "business": {"timezone": "Europe/London"},
        "platforms": [{"id": "alpha", "name": "Alpha", "provider": "A",
                       "checks": [{"id": "web", "kind": "http", "url": target.url("/a")}]}],
    }
    if alert_url:
        raw["alerts"] = [{"url": alert_url}]
    path = tmp_path / "c.toml"
    path.write_text(tomli_w.dumps(raw))
    return path


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitors", *args, "--config", str(config)],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


def _quarantined(data: Path) -> set[str]:
    return {str(p.relative_to(data / "quarantine")) for p in (data / "quarantine").rglob("*")
            if p.is_file()} if (data / "quarantine").is_dir() else set()


# ------------------------------------------------------------------ alerts.json
def test_a_wrongly_typed_alert_state_does_not_silence_alerts(tmp_path, target, httpserver,
                                                             caplog):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    data = tmp_path / "data"
    (data / "state").mkdir(parents=True)
    (data / "state" / "alerts.json").write_text(json.dumps(BAD_ALERTS))
    config = _config(tmp_path, data, target, f"json://127.0.0.1:{httpserver.port}/hook")
    settings = load_settings(str(config))
    target.codes["/a"] = 503
    caplog.set_level(logging.WARNING)
    sampler = Sampler(settings).start()
    try:
        assert "alerts" in integrations.attach(sampler, settings)
        assert wait_for(lambda: len(httpserver.log) >= 1, 30), caplog.text[-3000:]
    finally:
        sampler.stop()
    assert httpserver.log[0][0].get_json()["title"] == "Alpha down"
    assert "round hook" not in caplog.text  # no hook failure (AttributeError) in any round
    assert "state/alerts.json" in _quarantined(data)
    assert json.loads((data / "quarantine" / "state" / "alerts.json").read_text()) == BAD_ALERTS
    assert any("alerts.json" in r.getMessage() and r.levelno == logging.WARNING
               for r in caplog.records)
    fresh = json.loads((data / "state" / "alerts.json").read_text())  # rebuilt, well typed
    assert isinstance(fresh["state"], dict) and isinstance(fresh["outbox"], list)
    assert "alpha" in fresh["state"]["platforms"]
    problems = list_problems(open_store(str(data)))
    assert [p["path"] for p in problems] == ["state/alerts.json"]


@pytest.mark.parametrize("content", [
    json.dumps(BAD_ALERTS),
    json.dumps({"outbox": [{"id": 1}]}),
    json.dumps({"state": {"platforms": {"x": {"severity": "down", "start": "yesterday"}}}}),
    json.dumps(["not", "an", "object"]),
    "{not json",
], ids=["state-int-outbox-str", "bad-message", "bad-platform", "list", "not-json"])
def test_alerts_list_survives_a_bad_alert_state_and_sets_it_aside(tmp_path, target, content):
    data = tmp_path / "data"
    (data / "state").mkdir(parents=True)
    (data / "state" / "alerts.json").write_text(content)
    config = _config(tmp_path, data, target, "json://127.0.0.1:9/hook")
    done = _cli(config, "alerts", "list", "--data", str(data))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "error:" not in done.stderr
    assert done.stdout.startswith("json://127.0.0.1:9\n")  # the target, listed as before
    assert "alerts.json" in done.stderr  # the warning names the file
    assert "state/alerts.json" in _quarantined(data)
    assert not (data / "state" / "alerts.json").exists()  # the next writer starts it afresh


def test_a_bad_alert_state_read_while_a_sampler_holds_the_lock_is_left_to_it(tmp_path):
    state = tmp_path / "data" / "state"
    state.mkdir(parents=True)
    (state / "alerts.json").write_text(json.dumps(BAD_ALERTS))
    store = AlertStore(state)
    with store._lock():  # a sampler in the middle of its round
        assert store.read() == {"state": {}, "outbox": [], "down": []}
        assert (state / "alerts.json").exists()
    with store.transaction() as txn:  # the next locked writer sets it aside and starts afresh
        assert txn.data == {"state": {}, "outbox": [], "down": []}
    assert json.loads((state / "alerts.json").read_text())["outbox"] == []
    assert "state/alerts.json" in _quarantined(tmp_path / "data")


# ------------------------------------------------------------------ heartbeat
BAD_HEARTBEATS = {
    "interval-text": {"interval_s": "x"},
    "last-round-number": {"last_round_at": 5},
    "naive-timestamp": {"last_round_at": "2026-01-01T10:00:00"},
    "interval-nan": {"interval_s": float("nan")},
    "rounds-text": {"rounds": "many"},
    "offline-text": {"vantage_offline": "no"},
}


@pytest.mark.parametrize("change", BAD_HEARTBEATS.values(), ids=BAD_HEARTBEATS.keys())
def test_status_with_a_wrongly_typed_heartbeat_reports_it_and_sets_it_aside(tmp_path, target,
                                                                            change):
    data = tmp_path / "data"
    now = utcnow()
    beat = {"vantage": "test", "running_since": (now - timedelta(hours=1)).isoformat(),
            "last_round_at": (now - timedelta(seconds=2)).isoformat(), "interval_s": 60.0,
            "timeout_s": 10.0, "rounds": 60, **change}
    (data / "state").mkdir(parents=True)
    config = _config(tmp_path, data, target)
    for args in (("status",), ("status", "--json")):
        (data / "state" / "heartbeat-test.json").write_text(json.dumps(beat))
        done = _cli(config, *args, "--data", str(data))
        assert done.returncode == 1, done.stdout + done.stderr
        assert "Traceback" not in done.stderr and "error:" not in done.stderr, done.stderr
        assert "state/heartbeat-test.json" in done.stderr + done.stdout
        assert "state/heartbeat-test.json" in _quarantined(data)
    assert not (data / "state" / "heartbeat-test.json").exists()
    # rebuilt fresh: the sampler's next heartbeat is read as usual
    sampler = Sampler(load_settings(str(config))).start()
    try:
        assert wait_for(lambda: (heartbeat.read_heartbeat(str(data), "test") or {})
                        .get("rounds", 0) >= 1, 20)
        done = _cli(config, "status", "--data", str(data))
        assert done.returncode == 0 and "sampler running on test" in done.stdout, done.stdout
    finally:
        sampler.stop()


def test_status_names_the_invalid_heartbeat_on_stdout(tmp_path, target):
    data = tmp_path / "data"
    (data / "state").mkdir(parents=True)
    (data / "state" / "heartbeat-test.json").write_text('{"vantage": "test", "interval_s": "x"}')
    done = _cli(_config(tmp_path, data, target), "status", "--data", str(data))
    assert done.returncode == 1
    assert done.stdout.splitlines()[0].startswith(
        "no valid heartbeat: state/heartbeat-test.json could not be read")


def test_the_dashboard_readers_skip_and_set_aside_bad_state_files(tmp_path, target, caplog):
    data = tmp_path / "data"
    settings = load_settings(str(_config(tmp_path, data, target)), str(data))
    statefile.write_json(str(data), "official-test.json", {"alpha": {"indicator": "minor",
                                                                     "title": 5}})
    statefile.write_json(str(data), "official-other.json", {"alpha": {"indicator": "none"}})
    (data / "state" / "heartbeat-x.json").write_text('{"vantage": "x", "last_round_at": []}')
    heartbeat.write_heartbeat(str(data), {"vantage": "test", "last_round_at": utcnow().isoformat(),
                                          "interval_s": 60.0})
    caplog.set_level(logging.WARNING)
    assert loaders.official_state(settings) == {"alpha": {"indicator": "none"}}
    assert [b["vantage"] for b in heartbeat.read_heartbeats(str(data))] == ["test"]
    assert {"state/official-test.json", "state/heartbeat-x.json"} <= _quarantined(data)
    assert "official-test.json" in caplog.text and "heartbeat-x.json" in caplog.text
    reported = {p["path"] for p in list_problems(open_store(str(data)))}
    assert {"state/official-test.json", "state/heartbeat-x.json"} <= reported


def test_a_valid_file_replaced_after_it_was_read_is_not_set_aside(tmp_path):
    data = tmp_path / "data"
    statefile.write_json(str(data), "heartbeat-a.json", {"vantage": "a"})
    bad = b'{"vantage": "a", "rounds": "x"}'
    statefile.set_aside(str(data), "heartbeat-a.json", "test", seen=bad)  # not what is there
    assert (data / "state" / "heartbeat-a.json").exists() and not _quarantined(data)

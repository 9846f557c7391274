"""Alerting beside the sampler keeps a bounded, compact window of rounds, and still alerts.

The AlertHook runs the real detector and the real notifier, delivering to a real JSON webhook
receiver on loopback (pytest-httpserver). Rounds are fed as the sampler hands them over.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import tomli_w
from support_sampler import Target, closed_port, wait_for

from monitors.alerts import hook as integrations
from monitors.analysis import incidents
from monitors.config import load_settings
from monitors.sampling.runner import Round
from monitors.sampling.sampler import Sampler
from monitors.timeutil import utcnow

ROOT = Path(__file__).resolve().parents[1]
INTERVAL_S = 10.0
PLATFORMS = 12
CHECKS = ("web", "api", "media", "dns")


def _config(path: Path, data: Path, alert_url: str, *, platforms: list[dict],
            interval: str = "10s", controls: list[str] | None = None, **monitor) -> Path:
    path.write_text(tomli_w.dumps({
        "monitor": {"interval": interval, "timeout": "1s", "vantage": "hq",
                    "default_platforms": False, "data": str(data), "flush_every": "0.5s",
                    "controls": controls or [f"tcp://127.0.0.1:{closed_port()}"], **monitor},
        "business": {"timezone": "Europe/London"},
        "platforms": platforms,
        "alerts": [{"url": alert_url}],
    }))
    return path


def _platforms(urls: dict[str, str] | None = None) -> list[dict]:
    url = f"http://127.0.0.1:{closed_port()}/never-probed"
    return [{"id": f"p{i:02d}", "name": f"P{i:02d}", "provider": f"Vendor{i}",
             "checks": [{"id": c, "kind": "http", "url": (urls or {}).get(c, url)}
                        for c in CHECKS]} for i in range(PLATFORMS)]


def _round(ts, down: set[str]) -> Round:
    samples = []
    for i in range(PLATFORMS):
        pid = f"p{i:02d}"
        for j, check in enumerate(CHECKS):
            failed = pid in down
            samples.append({
                "ts": ts + timedelta(milliseconds=250 * i + j), "vantage": "hq",
                "platform": pid, "check": check, "kind": "http",
                "status": "down" if failed else "up", "latency_ms": None if failed else 42.0,
                "http_status": 503 if failed else 200, "error": "http_status" if failed else None,
                "detail": "HTTP 503 Service Unavailable" if failed else None,
            })
    return Round(started=ts, ended=ts + timedelta(seconds=1), vantage="hq", samples=samples,
                 controls_ok=True, vantage_offline=False)


def _titles(httpserver) -> list[str]:
    return [request.get_json()["title"] for request, _ in httpserver.log]


def test_the_alert_window_stays_bounded_over_many_rounds_and_alerts_still_fire(
        tmp_path, httpserver, monkeypatch):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    data = tmp_path / "data"
    config = _config(tmp_path / "c.toml", data, f"json://127.0.0.1:{httpserver.port}/hook",
                     platforms=_platforms())
    settings = load_settings(str(config))
    sizes: list[int] = []  # how many samples the hook hands the (real) detector each round
    detect = incidents.detect

    def detect_and_count(samples, *args, **kwargs):
        sizes.append(len(samples))
        return detect(samples, *args, **kwargs)

    monkeypatch.setattr(incidents, "detect", detect_and_count)
    hook = integrations.AlertHook(Sampler(settings), settings)
    rounds = 400  # 400 rounds of 10 s: 67 minutes, well inside the old six-hour window
    start = utcnow().replace(microsecond=0) - timedelta(seconds=INTERVAL_S * rounds)
    for n in range(rounds):
        down = {"p03"} if 100 <= n < 112 else set()
        hook(_round(start + timedelta(seconds=INTERVAL_S * n), down))
    assert len(sizes) == rounds

    # alerts fired through the real notifier to the real receiver: opened, then resolved
    assert _titles(httpserver) == ["P03 down", "P03 back up after 2m"]
    keep = 60  # rounds: ten minutes at 10 s, not six hours
    bound = (keep + 1) * PLATFORMS * len(CHECKS)
    assert max(sizes[-150:]) <= bound, (max(sizes[-150:]), bound)
    assert sizes[-1] == sizes[-50]  # steady: no growth round after round
    assert hook.recent.row_count() <= bound
    assert hook.recent.round_count() <= keep * PLATFORMS
    assert sizes[-1] < rounds * PLATFORMS * len(CHECKS) / 5  # the old hook kept every round
    # compact rows: plain tuples, repeated text shared, no detail kept for probe rows
    kept = [row for deque in hook.recent.rounds.values() for *_x, rows in deque for row in rows]
    assert all(type(row) is tuple for row in kept)
    assert all(row[-1] is None for row in kept)
    assert len({id(row[2]) for row in kept}) == PLATFORMS


def test_an_ongoing_outage_keeps_its_rounds_so_its_start_and_facts_stay_right(tmp_path,
                                                                               httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    data = tmp_path / "data"
    config = _config(tmp_path / "c.toml", data, f"json://127.0.0.1:{httpserver.port}/hook",
                     platforms=_platforms(), renotify_after="0s")
    settings = load_settings(str(config))
    hook = integrations.AlertHook(Sampler(settings), settings)
    rounds = 150
    start = utcnow().replace(microsecond=0) - timedelta(seconds=INTERVAL_S * rounds)
    outage_from = 20
    for n in range(rounds):
        result = _round(start + timedelta(seconds=INTERVAL_S * n),
                        {"p05"} if n >= outage_from else set())
        hook(result)
    # the down platform keeps every round since its outage began; the others are trimmed
    assert len(hook.recent.rounds["p05"]) >= rounds - outage_from
    assert len(hook.recent.rounds["p00"]) <= hook.recent.keep_rounds("p00") + 1
    (outage,) = [o for o in incidents.detect(hook.recent.frame(), settings.platforms,
                                             settings.monitor) if o.end is None]
    assert outage.platform == "p05"
    assert outage.start == start + timedelta(seconds=INTERVAL_S * outage_from,
                                             milliseconds=250 * 5)
    assert outage.cause == "server errors" and outage.checks == ("api", "dns", "media", "web")
    assert _titles(httpserver) == ["P05 down"]


def test_a_real_sampler_with_alerts_alerts_down_and_back_up(tmp_path, httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    target = Target()
    try:
        data = tmp_path / "data"
        platform = {"id": "alpha", "name": "Alpha", "provider": "A",
                    "checks": [{"id": "web", "kind": "http", "url": target.url("/a")}]}
        config = _config(tmp_path / "c.toml", data, f"json://127.0.0.1:{httpserver.port}/hook",
                         platforms=[platform], interval="0.5s", timeout="0.4s",
                         controls=[f"tcp://127.0.0.1:{target.port}"])
        settings = load_settings(str(config))
        sampler = Sampler(settings).start()
        try:
            attached = integrations.attach(sampler, settings)
            assert "alerts" in attached
            target.codes["/a"] = 503
            assert wait_for(lambda: "Alpha down" in _titles(httpserver), 30), _titles(httpserver)
            target.codes["/a"] = 200
            assert wait_for(lambda: any(t.startswith("Alpha back up")
                                        for t in _titles(httpserver)), 30), _titles(httpserver)
            time.sleep(1.0)
        finally:
            sampler.stop()
    finally:
        target.close()
    titles = _titles(httpserver)
    assert titles[0] == "Alpha down" and titles[1].startswith("Alpha back up") and len(titles) == 2


def test_monitors_run_without_alerts_never_loads_pandas():
    code = ("import sys, monitors.sampling.sampler, monitors.alerts.hook, monitors.cli.service,"
            " monitors.sampling.metrics; print('pandas' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"


def test_compact_rows_keep_only_status_page_details():
    row = {"ts": utcnow(), "vantage": "hq", "platform": "x", "check": "web", "kind": "http",
           "status": "down", "latency_ms": None, "http_status": 503, "error": "http_status",
           "detail": "HTTP 503 Service Unavailable"}
    assert integrations._compact(row)[-1] is None
    page = {**row, "kind": "statuspage", "check": "status", "detail": "Incident 'x'"}
    assert integrations._compact(page)[-1] == "Incident 'x'"

"""The real sampler (APScheduler, probes, Parquet) against scripted local servers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from support_sampler import (
    closed_port,
    http_platform,
    settings_for,
    wait_for,
    write_config,
)

from monitors import history
from monitors.analysis import incidents
from monitors.cli.service import start_embedded
from monitors.sampling import heartbeat
from monitors.sampling.sampler import (
    Sampler,
    SamplerBusy,
    round_verdicts,
    spread_for,
)
from monitors.timeutil import utcnow


def _read(data, seconds=600):
    now = utcnow()
    return history.read_samples(
        str(data), now - timedelta(seconds=seconds), now + timedelta(seconds=5)
    )


def _rounds(sampler: Sampler, n: int, timeout: float = 20.0) -> None:
    start = sampler.stats.rounds
    assert wait_for(lambda: sampler.stats.rounds >= start + n, timeout), "rounds did not happen"


def test_it_records_a_platform_failing_and_recovering(tmp_path, target):
    data = tmp_path / "data"
    config = write_config(
        tmp_path / "c.toml",
        data=data,
        controls=[f"tcp://127.0.0.1:{target.port}"],
        platforms=[
            http_platform("alpha", "A", {"web": target.url("/alpha")}),
            http_platform("beta", "B", {"web": target.url("/beta")}),
        ],
    )
    sampler = Sampler(settings_for(config)).start()
    try:
        _rounds(sampler, 2)
        target.codes["/alpha"] = 503
        _rounds(sampler, 3)
        target.codes["/alpha"] = 200
        _rounds(sampler, 3)
    finally:
        sampler.stop()
    samples = _read(data)
    alpha = samples[samples["platform"] == "alpha"].sort_values("ts")
    statuses = alpha["status"].tolist()
    first_down = statuses.index("down")
    assert "up" in statuses[:first_down] and "up" in statuses[first_down:]
    assert set(alpha[alpha["status"] == "down"]["http_status"]) == {503}
    assert (samples[samples["platform"] == "beta"]["status"] == "up").all()
    assert not samples.duplicated(["ts", "vantage", "platform", "check"]).any()
    beat = heartbeat.read_heartbeat(str(data), "test")
    assert beat["rounds"] >= 8 and beat["stopped_at"]
    assert beat["written"] == len(samples)


def test_cutting_every_target_and_control_gives_vantage_offline_and_no_outage(tmp_path):
    data = tmp_path / "data"
    dead = closed_port()
    platforms = [
        http_platform(
            p,
            prov,
            {"web": f"http://127.0.0.1:{dead}/{p}", "api": f"http://127.0.0.1:{dead}/{p}/api"},
        )
        for p, prov in (
            ("facebook", "Meta"),
            ("instagram", "Meta"),
            ("x", "X Corp"),
            ("tiktok", "ByteDance"),
        )
    ]
    config = write_config(
        tmp_path / "c.toml",
        data=data,
        platforms=platforms,
        controls=[f"tcp://127.0.0.1:{dead}", f"http://127.0.0.1:{dead}/"],
    )
    settings = settings_for(config)
    sampler = Sampler(settings).start()
    try:
        _rounds(sampler, 5)
    finally:
        sampler.stop()
    samples = _read(data)
    assert len(samples) >= 5 * 8
    assert (samples["status"] == "unknown").all()
    assert (samples["error"] == "vantage_offline").all()
    assert incidents.detect(samples, settings.platforms, settings.monitor) == []
    assert heartbeat.read_heartbeat(str(data), "test")["vantage_offline"] is True


def test_all_platforms_of_several_providers_failing_is_our_network_even_with_controls_up(
    tmp_path, target
):
    data = tmp_path / "data"
    dead = closed_port()
    platforms = [
        http_platform(p, prov, {"web": f"http://127.0.0.1:{dead}/{p}"})
        for p, prov in (("facebook", "Meta"), ("x", "X Corp"), ("tiktok", "ByteDance"))
    ]
    config = write_config(
        tmp_path / "c.toml",
        data=data,
        platforms=platforms,
        controls=[f"tcp://127.0.0.1:{target.port}"],
    )
    sampler = Sampler(settings_for(config)).start()
    try:
        _rounds(sampler, 3)
    finally:
        sampler.stop()
    samples = _read(data)
    assert set(samples["error"]) == {"vantage_offline"}


def test_a_second_sampler_on_the_same_data_and_vantage_is_refused(tmp_path, target):
    config = write_config(
        tmp_path / "c.toml",
        data=tmp_path / "data",
        controls=[f"tcp://127.0.0.1:{target.port}"],
        platforms=[http_platform("alpha", "A", {"web": target.url("/a")})],
    )
    settings = settings_for(config)
    first = start_embedded(settings)
    try:
        assert first is not None
        assert start_embedded(settings) is None
        with pytest.raises(SamplerBusy):
            Sampler(settings).start()
        other = subprocess.run(
            [sys.executable, "-m", "monitors", "run", "--config", str(config), "--duration", "1"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert other.returncode == 1 and "another sampler" in other.stdout + other.stderr
    finally:
        first.stop()


def test_run_flushes_and_exits_zero_on_sigterm(tmp_path, target):
    data = tmp_path / "data"
    config = write_config(
        tmp_path / "c.toml",
        data=data,
        flush_every="1h",
        controls=[f"tcp://127.0.0.1:{target.port}"],
        platforms=[http_platform("alpha", "A", {"web": target.url("/a")})],
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitors", "run", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(
            lambda: (heartbeat.read_heartbeat(str(data), "test") or {}).get("rounds", 0) >= 3, 30
        )
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        code = proc.wait(timeout=15)
        assert time.monotonic() - started < 5
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0
    beat = heartbeat.read_heartbeat(str(data), "test")
    samples = _read(data)
    # flush_every is an hour, so everything on disk was flushed by the shutdown itself
    assert len(samples) == beat["written"] >= beat["rounds"] >= 3
    log = proc.stderr.read()
    assert "round 1:" in log and "up=1" in log


def test_round_verdicts_name_partial_and_total_failures():
    rows = [
        {"platform": "ig", "kind": "http", "status": "up"},
        {"platform": "ig", "kind": "http", "status": "down"},
        {"platform": "fb", "kind": "http", "status": "down"},
        {"platform": "fb", "kind": "statuspage", "status": "up"},
        {"platform": "x", "kind": "dns", "status": "unknown"},
    ]
    assert round_verdicts(rows) == {"ig": "degraded", "fb": "down", "x": "unknown"}


@pytest.mark.parametrize(
    ("interval", "timeout", "spread"), [(60, 10, 30), (10, 10, 0), (10, 5, 4), (0.5, 0.4, 0)]
)
def test_spread_leaves_time_for_the_round_to_finish(interval, timeout, spread):
    assert spread_for(interval, timeout) == pytest.approx(spread)


def test_startup_with_no_network_is_calm(tmp_path, caplog):
    dead = closed_port()
    platforms = [
        http_platform(p, prov, {"web": f"http://127.0.0.1:{dead}/"})
        for p, prov in (("facebook", "Meta"), ("x", "X Corp"))
    ]
    config = write_config(
        tmp_path / "c.toml",
        data=tmp_path / "data",
        platforms=platforms,
        controls=[f"tcp://127.0.0.1:{dead}"],
    )
    sampler = Sampler(settings_for(config)).start()
    try:
        _rounds(sampler, 1)
    finally:
        sampler.stop()
    assert sampler.stats.vantage_offline is True
    assert set(sampler.verdicts.values()) == {"unknown"}
    assert os.path.isdir(tmp_path / "data" / "samples")


def test_its_compaction_job_runs_in_a_child_process_and_merges_segments(tmp_path, target):
    data = tmp_path / "data"
    config = write_config(
        tmp_path / "c.toml", data=data, flush_every="0.2s",
        controls=[f"tcp://127.0.0.1:{target.port}"],
        platforms=[http_platform("alpha", "A", {"web": target.url("/alpha")})],
    )
    sampler = Sampler(settings_for(config)).start()
    try:
        _rounds(sampler, 4)
    finally:
        sampler.stop()
    segments = list((data / "samples").rglob("*.parquet"))
    assert len(segments) > 1
    before = _read(data)
    sampler._compact_job()
    assert len(list((data / "samples").rglob("*.parquet"))) < len(segments)
    after = _read(data)
    assert len(after) == len(before)

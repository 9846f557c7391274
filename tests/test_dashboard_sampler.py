"""The dashboard's embedded sampler: one per process, and none while another process writes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from support_sampler import http_platform, wait_for, write_config

from monitors import history
from monitors.cli import service
from monitors.sampling import heartbeat
from monitors.timeutil import utcnow

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def dashboard_env(tmp_path, target, monkeypatch):
    data = tmp_path / "data"
    config = write_config(tmp_path / "c.toml", data=data, flush_every="0.3s",
                          controls=[f"tcp://127.0.0.1:{target.port}"],
                          platforms=[http_platform("alpha", "A", {"web": target.url("/a")})])
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MONITORS_CONFIG", str(config))
    monkeypatch.setenv("MONITORS_DATA", str(data))
    monkeypatch.delenv("PULSE_NO_SAMPLER", raising=False)
    yield config, data
    service.stop_embedded()


def test_two_sessions_start_one_sampler_and_a_second_process_only_reads(dashboard_env):
    _config, data = dashboard_env
    first = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120).run()
    second = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120).run()
    assert not first.exception and not second.exception
    assert len(service._EMBEDDED) == 1
    # the page says plainly that recording depends on this dashboard
    assert "Recording runs inside this dashboard" in "\n".join(c.value for c in first.caption)
    assert wait_for(lambda: (heartbeat.read_heartbeat(str(data), "test") or {})
                    .get("rounds", 0) >= 3, 30)

    # another process (a second dashboard server) sees the lock and starts no sampler
    code = textwrap.dedent(f"""
        from streamlit.testing.v1 import AppTest
        from monitors.cli import service
        at = AppTest.from_file({str(ROOT / "dashboard.py")!r}, default_timeout=120).run()
        assert not at.exception, at.exception
        print("embedded", len(service._EMBEDDED))
        print("note", any("Recording runs inside" in c.value for c in at.caption))
    """)
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=180, cwd=ROOT)
    assert other.returncode == 0, other.stderr[-2000:]
    assert "embedded 0" in other.stdout and "note False" in other.stdout

    assert service.stop_embedded() == 1
    beat = heartbeat.read_heartbeat(str(data), "test")
    assert beat["pid"] == os.getpid()
    now = utcnow()
    samples = history.read_samples(str(data), now - timedelta(minutes=10), now)
    # one writer: one sample per round, every round from this process's sampler
    assert samples["ts"].nunique() == len(samples) == beat["written"] == beat["rounds"]

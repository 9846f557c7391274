"""Stopping `streamlit run dashboard.py` flushes what its embedded sampler buffered.

A real Streamlit server on 127.0.0.1 (sampler on a loopback target, a flush period far longer
than the test) is opened once in Debian's headless Chromium — the embedded sampler starts with
the first session — then stopped with SIGTERM or SIGINT (Ctrl-C). Every round it took must be
on disk afterwards, and its heartbeat must say it stopped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
import support_browser as browser
from support_sampler import http_platform, wait_for, write_config

from monitors import history
from monitors.sampling import heartbeat
from monitors.timeutil import utcnow

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(browser.chromium() is None, reason="needs Debian's chromium"),
]
sync_api = pytest.importorskip("playwright.sync_api")
ROOT = Path(__file__).resolve().parents[1]


def _start_streamlit(config: Path, data: Path) -> tuple[subprocess.Popen, str, Path]:
    port = browser.free_port()
    env = {**os.environ, "MONITORS_CONFIG": str(config), "MONITORS_DATA": str(data)}
    env.pop("PULSE_NO_SAMPLER", None)
    log = Path(tempfile.mkstemp(prefix="streamlit-stop-", suffix=".log")[1])
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port",
             str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        browser._wait_healthy(url, process, 90, str(log))
    except BaseException:
        process.kill()
        process.wait()
        raise
    return process, url, log


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_stopping_streamlit_flushes_the_embedded_samplers_buffer(tmp_path, target, signum):
    data = tmp_path / "data"
    config = write_config(tmp_path / "c.toml", data=data, flush_every="1h",
                          compact_every="1h", controls=[f"tcp://127.0.0.1:{target.port}"],
                          platforms=[http_platform("alpha", "A", {"web": target.url("/a")})])
    process, url, log = _start_streamlit(config, data)
    try:
        # the sampler starts with the first session: no heartbeat before a page is opened
        assert heartbeat.read_heartbeat(str(data), "test") is None
        with sync_api.sync_playwright() as pw:
            chrome = browser.launch(pw)
            try:
                page = chrome.new_page()
                page.set_default_timeout(90_000)
                page.goto(url)
                assert wait_for(lambda: (heartbeat.read_heartbeat(str(data), "test") or {})
                                .get("rounds", 0) >= 4, 60), log.read_text()[-3000:]
            finally:
                chrome.close()
        before = heartbeat.read_heartbeat(str(data), "test")
        assert before["written"] == 0 and before["buffered"] >= 4  # nothing flushed yet
        process.send_signal(signum)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = log.read_text()
    log.unlink(missing_ok=True)
    assert process.returncode == 0, output[-3000:]
    beat = heartbeat.read_heartbeat(str(data), "test")
    assert beat.get("stopped_at"), output[-3000:]
    assert beat["rounds"] >= before["rounds"]
    assert beat["buffered"] == 0 and beat["written"] == beat["rounds"]
    now = utcnow()
    samples = history.read_samples(str(data), now - timedelta(minutes=30), now)
    assert len(samples) == beat["rounds"]  # one check: one sample per round, all on disk
    assert samples["ts"].nunique() == len(samples)
    lock = history.acquire_writer_lock(str(data), "test")  # released by the stopped sampler
    assert lock is not None
    lock.release()

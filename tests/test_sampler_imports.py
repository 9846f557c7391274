"""The sampler process imports nothing it does not use: after rounds, flushes and a
compaction hand-off (a child process), pandas, DuckDB and plotly are still not loaded, nor
httpx's command-line tool (click, rich, pygments)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from conftest import ROOT
from support_sampler import Target, http_platform, write_config

HEAVY = ("pandas", "duckdb", "plotly", "streamlit", "kaleido",
         "click", "rich", "pygments")  # httpx's command-line tool (probes/_httpx.py)


def test_the_sampler_never_loads_pandas_duckdb_or_plotly(tmp_path):
    target = Target()
    data = tmp_path / "data"
    config = write_config(tmp_path / "c.toml", data=data, flush_every="0.5s",
                          compact_every="1s", controls=[f"tcp://127.0.0.1:{target.port}"],
                          platforms=[http_platform("alpha", "A", {"web": target.url("/a")})])
    code = textwrap.dedent(f"""
        import json, sys, time
        from monitors.config import load_settings
        from monitors.cli import service
        from monitors.sampling.sampler import Sampler
        from monitors.alerts import hook
        sampler = Sampler(load_settings({str(config)!r})).start()
        hook.attach(sampler, sampler.settings)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = sampler.state()
            if state["rounds"] >= 4 and state["written"] >= 4 and any(
                    (p / "rollups").exists() for p in [__import__("pathlib").Path({str(data)!r})]):
                break
            time.sleep(0.2)
        sampler.stop()
        print(json.dumps({{"rounds": state["rounds"], "written": state["written"],
                          "loaded": sorted(m for m in {HEAVY!r} if m in sys.modules)}}))
    """)
    try:
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
    finally:
        target.close()
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["rounds"] >= 4 and seen["written"] >= 4
    assert (data / "rollups").exists(), "the compaction child ran"
    assert seen["loaded"] == []

"""Housekeeping after sampling: compaction, then the stored month-by-month analysis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from support_samples import CONFIG, T0, combine, rounds, settings_for, write_history

from monitors.analysis.stored import FOLDER, config_key
from monitors.analysis.windows import analyse_history
from monitors.timeutil import Window

ROOT = Path(__file__).resolve().parent.parent
# two days of rounds every 5 minutes: a ten-round outage on day one, quiet otherwise
DAY = "." * 100 + "X" * 10 + "." * 178
INTERVAL_CONFIG = CONFIG.replace('interval = "60s"', 'interval = "300s"')


@pytest.fixture
def past_history(data_dir, tmp_path):
    """Two complete past days of compacted history for Instagram and Facebook."""
    samples = combine(rounds(DAY * 2, interval_s=300),
                      rounds("." * 576, interval_s=300, platform="facebook"))
    write_history(str(data_dir), samples, compact=False)
    return settings_for(str(data_dir), INTERVAL_CONFIG, tmp_path)


def _stored(settings) -> list[Path]:
    return sorted((Path(settings.data) / FOLDER / f"key={config_key(settings)}").glob("*.json"))


def test_the_sampler_child_compacts_and_stores_the_analysis(past_history):
    settings = past_history
    payload = settings.model_dump_json(exclude={"config": {"alerts"}})
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "monitors.cli.maintenance"], input=payload,
                          capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "analysis months written 1"
    files = _stored(settings)
    assert [f.name for f in files] == [f"month={T0:%Y-%m}.json"]
    doc = json.loads(files[0].read_text())
    assert [o["start"] for o in doc["findings"]["outages"]] == [
        int((T0 + timedelta(days=d, minutes=500)).timestamp()) * 10**9 for d in (0, 1)]
    assert not list(Path(settings.data, "samples").rglob("s-*.parquet"))  # compacted too


def test_the_stored_analysis_gives_the_same_summary_as_the_samples(past_history):
    from monitors.cli.maintenance import maintain

    settings = past_history
    done = maintain(settings)
    assert done["analysis"]["months_written"] == 1
    window, now = Window(T0, T0 + timedelta(days=2)), T0 + timedelta(days=3)
    stored = analyse_history(settings, window, now=now)
    live = analyse_history(settings, window, now=now, materialised=False)
    assert [(o.platform, o.start, o.end) for o in stored.outages] == [
        ("insta", T0 + timedelta(minutes=500), T0 + timedelta(minutes=550)),
        ("insta", T0 + timedelta(days=1, minutes=500), T0 + timedelta(days=1, minutes=550))]
    assert stored.outages == live.outages
    assert stored.uptime.equals(live.uptime) and stored.daily.equals(live.daily)


def test_python_m_monitors_compact_reports_the_stored_analysis(past_history, capsys):
    from monitors.__main__ import main

    settings = past_history
    assert main(["compact", "--config", settings.source, "--data", settings.data]) == 0
    out = capsys.readouterr().out
    assert "analysis: 1 months stored, 0 already current" in out
    assert main(["compact", "--config", settings.source, "--data", settings.data]) == 0
    assert "analysis: 0 months stored, 1 already current" in capsys.readouterr().out


def test_a_failure_to_store_the_analysis_never_fails_compaction(past_history, capsys):
    from monitors.__main__ import main

    settings = past_history
    Path(settings.data, FOLDER).write_text("not a folder")  # every write below it fails
    assert main(["compact", "--config", settings.source, "--data", settings.data]) == 0
    out = capsys.readouterr().out
    assert "compacted 3 partitions" in out
    assert "analysis not stored (" in out
    window, now = Window(T0, T0 + timedelta(days=2)), T0 + timedelta(days=3)
    assert len(analyse_history(settings, window, now=now).outages) == 2

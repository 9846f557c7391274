"""`python -m monitors incidents|summary` on a real history folder: tables, JSON, filters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from conftest import ROOT
from support_samples import CONFIG, combine, rounds, write_history

from monitors.__main__ import main
from monitors.timeutil import utcnow

INSTA = "." * 60 + "X" * 10 + "." * 80
FACEBOOK = "." * 62 + "XXXX" + "." * 84


@pytest.fixture
def setup(data_dir, tmp_path):
    """A config with Instagram and Facebook, and history where both went down together."""
    now = utcnow()
    start = (now - timedelta(hours=3)).replace(second=0, microsecond=0)
    samples = combine(rounds(INSTA, start=start),
                      rounds(FACEBOOK, start=start, platform="facebook"))
    write_history(str(data_dir), samples)
    config = tmp_path / "pulse.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return {"args": ["--config", str(config), "--data", str(data_dir)], "start": start}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_incidents_json_lists_each_outage_with_the_design_fields(setup, capsys):
    code, out, _ = run(capsys, "incidents", "--json", *setup["args"])
    assert code == 0
    outages = json.loads(out)
    assert [o["platform"] for o in outages] == ["insta", "facebook"]
    insta = outages[0]
    start = setup["start"] + timedelta(minutes=60)
    assert insta["start"] == start.isoformat().replace("+00:00", "Z")
    assert insta["duration_s"] == 600
    assert (insta["severity"], insta["cause"]) == ("down", "servers unreachable")
    assert insta["checks"] == ["media", "web"]
    assert insta["impact"]["currency"] == "GBP"
    assert insta["end"] is not None and insta["detected_at"] is not None


def test_incidents_table_reads_as_a_table_with_the_provider_group(setup, capsys):
    code, out, _ = run(capsys, "incidents", *setup["args"])
    assert code == 0
    assert "Incidents, last 7d" in out and "times in Europe/London" in out
    header = next(line for line in out.splitlines() if line.startswith("Start"))
    assert "Probable cause" in header and "Vendor lag" in header
    assert "Instagram" in out and "servers unreachable" in out and "10m" in out
    assert "Meta: Instagram, Facebook down" in out


def test_summary_json_has_uptime_down_time_incidents_and_impact(setup, capsys):
    code, out, _ = run(capsys, "summary", "--json", *setup["args"])
    assert code == 0
    summary = json.loads(out)
    assert set(summary) >= {"window", "platforms", "vantage_offline_s"}
    insta, facebook = summary["platforms"]
    assert (insta["platform"], insta["down_s"], insta["incidents"]) == ("insta", 600, 1)
    assert 0 < insta["uptime_pct"] < 100
    assert insta["impact"]["amount"] >= 0 and insta["impact"]["currency"] == "GBP"
    assert (facebook["down_s"], facebook["incidents"]) == (240, 1)


def test_summary_table_shows_each_platform_and_the_assumptions(setup, capsys):
    code, out, _ = run(capsys, "summary", "--since", "24h", *setup["args"])
    assert code == 0
    assert "Summary, last 24h" in out
    assert any(line.startswith("Instagram") and "%" in line for line in out.splitlines())
    assert "Total" in out and "GBP" in out
    assert "Impact assumptions:" in out and "Business hours" in out


def test_the_platform_option_limits_both_commands(setup, capsys):
    _, out, _ = run(capsys, "incidents", "--json", "--platform", "facebook", *setup["args"])
    assert [o["platform"] for o in json.loads(out)] == ["facebook"]
    _, out, _ = run(capsys, "summary", "--json", "--platform", "facebook", *setup["args"])
    assert [p["platform"] for p in json.loads(out)["platforms"]] == ["facebook"]


def test_an_unknown_platform_is_a_usage_error_naming_the_option(setup, capsys):
    code, out, err = run(capsys, "summary", "--platform", "nope", *setup["args"])
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "--platform" in err and "'nope'" in err


@pytest.mark.parametrize("command", [["incidents"], ["summary"], ["summary", "--json"],
                                     ["export", "--what", "incidents"],
                                     ["report", "-o", "report.html"]])
@pytest.mark.parametrize("where", ["empty", "missing", "a file"])
def test_a_data_folder_without_history_is_an_error(data_dir, tmp_path, capsys, command, where):
    config = tmp_path / "pulse.toml"
    config.write_text(CONFIG, encoding="utf-8")
    folder = {"empty": data_dir, "missing": tmp_path / "nowhere", "a file": config}[where]
    if "-o" in command:
        command = [*command[:-1], str(tmp_path / "report.html")]
    code, out, err = run(capsys, *command, "--config", str(config), "--data", str(folder))
    assert code == 1 and out == ""
    assert err.startswith(f"no history in {folder}")
    assert not (tmp_path / "report.html").exists()


def test_an_empty_window_of_a_real_history_is_no_outages(setup, capsys):
    code, out, _ = run(capsys, "incidents", "--since", "30m", *setup["args"])
    assert code == 0 and "No outages detected." in out
    code, out, _ = run(capsys, "summary", "--json", "--since", "30m", *setup["args"])
    assert code == 0 and json.loads(out)["platforms"][0]["incidents"] == 0


def test_summary_runs_as_a_real_command(setup):
    result = subprocess.run(
        [sys.executable, "-m", "monitors", "summary", "--json", "--since", "1d", *setup["args"]],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=os.environ.copy(),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["platforms"][0]["down_s"] == 600

"""`summary --json` and `summary` with the business's own numbers: a real history folder
with an outage and a real CSV of hourly revenue whose dip follows it (SYNTHETIC)."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from support_samples import CONFIG, rounds, write_history
from support_series import with_series

from monitors.__main__ import main
from monitors.timeutil import utcnow

DIP = 500.0  # revenue the outage's hour lost, in the CSV


@pytest.fixture
def shop(data_dir, tmp_path):
    """History with a 30-minute Instagram outage two days ago; 6 weeks of hourly revenue."""
    now = utcnow()
    start = (now - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    write_history(str(data_dir), rounds("." * 5 + "X" * 30 + "." * 25, start=start))
    outage_hour = start + timedelta(minutes=5)
    hours = pd.date_range(now - timedelta(weeks=6), now, freq="h", tz="UTC").floor("h")
    rng = np.random.default_rng(1)
    local = hours.tz_convert("Europe/London")
    revenue = np.where((local.hour >= 9) & (local.hour < 21), 600.0, 80.0)
    revenue = revenue + rng.normal(0, 10, len(hours))
    revenue[hours == pd.Timestamp(outage_hour).floor("h")] -= DIP
    lines = ["# SYNTHETIC", "hour,revenue"]
    lines += [f"{t.isoformat()},{v:.2f}" for t, v in zip(hours, revenue, strict=True)]
    (tmp_path / "sales.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tmp_path / "pulse.toml"
    config.write_text(with_series(CONFIG, platform="insta", synthetic=True), encoding="utf-8")
    return ["--config", str(config), "--data", str(data_dir)]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_summary_json_gives_the_measured_loss_with_its_range_beside_the_estimate(shop, capsys):
    code, out, err = run(capsys, "summary", "--json", *shop)
    assert code == 0, err
    data = json.loads(out)
    insta = next(p for p in data["platforms"] if p["platform"] == "insta")
    revenue = insta["measured"]["revenue"]
    assert revenue["loss"] == pytest.approx(DIP, rel=0.1)
    assert revenue["low"] <= DIP <= revenue["high"]
    assert revenue["unit"] == "GBP" and revenue["synthetic"] is True
    assert revenue["recaptured"] is not None and "net" in revenue
    assert insta["impact"]["amount"] != revenue["loss"]  # the estimate stays the estimate
    assert data["series"]["loaded"][0]["label"] == "sales.csv"
    assert data["series"]["problems"] == []


def test_the_summary_table_says_which_figure_is_measured(shop, capsys):
    code, out, _ = run(capsys, "summary", *shop)
    assert code == 0
    assert "Measured from the business's own numbers" in out
    line = next(x for x in out.splitlines() if "Instagram revenue: lost" in x)
    assert "95% range" in line and "[SYNTHETIC data]" in line


def test_a_bad_series_file_is_one_line_and_the_summary_still_works(shop, tmp_path, capsys):
    (tmp_path / "sales.csv").write_text("hour,revenue\n2026-01-01T00:00Z,lots\n",
                                        encoding="utf-8")
    code, out, err = run(capsys, "summary", "--json", *shop)
    assert code == 0 and "Traceback" not in err
    data = json.loads(out)
    assert data["series"]["problems"] == [
        "sales.csv: row 2, column 'revenue': 'lots' is not a number"]
    insta = next(p for p in data["platforms"] if p["platform"] == "insta")
    assert insta["measured"] == {}


def test_without_series_every_platform_has_an_empty_measured(data_dir, tmp_path, capsys):
    now = utcnow()
    write_history(str(data_dir), rounds("." * 10, start=now - timedelta(hours=1)))
    config = tmp_path / "pulse.toml"
    config.write_text(CONFIG, encoding="utf-8")
    code, out, _ = run(capsys, "summary", "--json", "--config", str(config),
                       "--data", str(data_dir))
    assert code == 0
    assert all(p["measured"] == {} for p in json.loads(out)["platforms"])


def test_incidents_json_gives_each_outage_its_measured_figures(shop, capsys):
    code, out, _ = run(capsys, "incidents", "--json", *shop)
    assert code == 0
    (outage,) = json.loads(out)
    revenue = outage["measured"]["revenue"]
    assert revenue["loss"] == pytest.approx(DIP, rel=0.1)
    assert revenue["low"] <= DIP <= revenue["high"]
    assert revenue["expected"] - revenue["actual"] == pytest.approx(revenue["loss"], abs=0.02)
    assert "id" in outage  # the stable incident id (issue 19) sits beside it

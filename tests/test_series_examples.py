"""The shipped SYNTHETIC sample exports and their documented mappings (examples/series/)."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from conftest import ROOT

from monitors.config import load_settings

SERIES = ROOT / "examples" / "series"
FILES = ("synthetic-shop-orders.csv", "synthetic-ga4-hourly.csv",
         "synthetic-meta-ads-daily.csv")
LONDON = ZoneInfo("Europe/London")
BUSINESS = '[business]\ncurrency = "GBP"\ntimezone = "Europe/London"\n\n'


def _generator():
    spec = importlib.util.spec_from_file_location("make_samples", SERIES / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _readme_tables() -> list[str]:
    """The ```toml blocks of examples/series/README.md."""
    text = (SERIES / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```toml\n(.*?)```", text, flags=re.DOTALL)


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(SERIES / name, skiprows=1)


@pytest.mark.parametrize("name", FILES)
def test_each_sample_is_small_and_says_synthetic_on_its_first_line(name):
    path = SERIES / name
    assert path.stat().st_size < 1_000_000
    assert path.read_text(encoding="utf-8").splitlines()[0].startswith("# SYNTHETIC")


def test_the_generator_writes_the_same_bytes_again(tmp_path):
    _generator().main(tmp_path)
    for name in (*FILES, "injected.json"):
        assert (tmp_path / name).read_bytes() == (SERIES / name).read_bytes(), name


def test_every_documented_mapping_loads_as_config_and_each_file_is_mapped(tmp_path):
    tables = _readme_tables()
    assert len(tables) == 3
    shutil.copytree(SERIES, tmp_path / "series")
    config = tmp_path / "pulse.toml"
    config.write_text(BUSINESS + "\n".join(tables), encoding="utf-8")
    series = load_settings(str(config)).business.series
    assert {s.file for s in series} == {f"series/{name}" for name in FILES}
    assert {s.metric for s in series} == {"revenue", "orders", "leads", "ad_spend"}
    assert all(s.synthetic and "SYNTHETIC" in s.label for s in series)
    for spec in series:
        frame = pd.read_csv(tmp_path / spec.file, skiprows=1, dtype=str)
        assert {spec.time, spec.channel, *([spec.value] if spec.value else [])} <= set(frame)
        assert set(spec.channels) <= set(frame[spec.channel])  # every mapped value occurs


def test_the_full_example_config_points_at_a_shipped_sample():
    settings = load_settings(str(ROOT / "examples" / "monitors.example.toml"))
    (shop,) = settings.business.series
    assert (ROOT / "examples" / shop.file).is_file() and shop.synthetic
    assert shop.channels == {"instagram": "instagram", "facebook": "facebook",
                             "tiktok": "tiktok"}


def _orders_per_hour(source: str) -> pd.Series:
    frame = _read("synthetic-shop-orders.csv")
    frame = frame[frame["Source"] == source]
    ts = pd.to_datetime(frame["Created at"], format="ISO8601", utc=True)
    return frame["Total"].groupby(ts.dt.floor("h")).sum()


@pytest.mark.parametrize(("start", "platform"), [
    (outage["start"], platform)
    for outage in json.loads((SERIES / "injected.json").read_text())["outages"]
    for platform in outage["platforms"]
])
def test_the_shop_revenue_dips_in_each_injected_outage_against_the_other_weeks(
        start, platform):
    revenue = _orders_per_hour(platform)
    t0 = datetime.fromisoformat(start).astimezone(LONDON)  # the same LOCAL hours each week

    def two_hours(at: datetime) -> float:
        at = at.astimezone(UTC)
        return revenue.reindex(pd.date_range(at, periods=2, freq="h")).fillna(0).sum()

    weeks = [t0 + timedelta(weeks=w) for w in range(-11, 12) if w]  # wall-clock arithmetic
    others = [two_hours(at) for at in weeks if revenue.index[0] <= at < revenue.index[-1]]
    assert len(others) >= 8
    assert two_hours(t0) < 0.35 * (sum(others) / len(others)), (two_hours(t0), others)


def test_the_injected_truth_matches_the_outage_table():
    truth = json.loads((SERIES / "injected.json").read_text())
    shop = truth["synthetic-shop-orders.csv"]["incidents"]
    assert {(i["start"][:10], i["platform"]) for i in shop} == {
        ("2026-09-24", "instagram"), ("2026-10-14", "instagram"), ("2026-10-14", "facebook"),
        ("2026-11-05", "tiktok")}
    assert all(0 < i["recaptured"] < i["loss"] and i["net"] == pytest.approx(
        i["loss"] - i["recaptured"], abs=0.02) for i in shop)


def test_the_ga4_export_has_local_hours_with_one_row_for_the_repeated_autumn_hour():
    frame = _read("synthetic-ga4-hourly.csv").astype({"date_hour": str})
    instagram = frame[frame["session_source"] == "instagram"]
    assert instagram["date_hour"].is_unique
    assert "2026102501" in set(instagram["date_hour"])  # 01:00 happened twice: one row


def test_the_ads_export_has_one_row_per_day_and_platform_and_a_lower_outage_day():
    frame = _read("synthetic-meta-ads-daily.csv")
    assert not frame.duplicated(["Day", "Platform"]).any()
    assert frame["Day"].nunique() == 12 * 7
    instagram = frame[frame["Platform"] == "instagram"].set_index("Day")["Amount spent (GBP)"]
    assert instagram["2026-09-24"] < instagram["2026-09-17"] - 5

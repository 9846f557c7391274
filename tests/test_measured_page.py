"""The Impact page with measured figures, under Streamlit's AppTest, on the demo's data
(90 days of backfilled history and its DEMO sales series)."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest
from support_measured import build_demo, demo_config_path

from monitors import access
from monitors.analysis import loaders
from monitors.analysis.measure_window import measure_analysis
from monitors.config import load_settings
from monitors.history import uploads
from monitors.history.store import open_store
from monitors.output import measured_export as export_columns
from monitors.output import measured_html, measured_view, report

APP = str(ROOT / "dashboard.py")
GA4 = ROOT / "examples" / "series" / "synthetic-ga4-hourly.csv"


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory) -> tuple[Path, dict]:
    """The demo's data folder with its sales series, built once."""
    data = tmp_path_factory.mktemp("measured") / "data"
    _, truth = build_demo(data)
    return data, truth


@pytest.fixture
def demo_env(monkeypatch, demo_data, tmp_path) -> Path:
    """A fresh copy of the demo folder (uploads write to it), read by the dashboard."""
    data = tmp_path / "data"
    shutil.copytree(demo_data[0], data)
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MONITORS_CONFIG", str(demo_config_path(data)))
    monkeypatch.setenv("MONITORS_DATA", str(data))
    monkeypatch.setenv("PULSE_NO_SAMPLER", "1")
    monkeypatch.delenv(access.ALLOW_ENV, raising=False)
    return data


def impact(window: str = "90d") -> AppTest:
    """The Impact page for a window."""
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["window"] = window
    at.run()
    pages = {info.get("url_pathname"): h for h, info in at._registered_pages.items()}
    at._page_hash = pages["impact"]
    at.run()
    assert not at.exception, at.exception[0].stack_trace if at.exception else ""
    return at


def plain(markdown: str) -> str:
    """Markdown with its backslash escapes undone (what the reader sees)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _comparison(at: AppTest):
    return next(d.value for d in at.dataframe if "Measured (your numbers)" in d.value.columns)


def test_the_demo_measures_the_meta_outage_within_the_truth_it_wrote(demo_data):
    data, truth = demo_data
    settings = load_settings(str(demo_config_path(data)), str(data))
    analysis = loaders.analysis(settings, loaders.scope("90d"))
    measurement = measure_analysis(settings, analysis)
    meta = [t for t in truth["incidents"] if t["metric"] == "revenue" and t["loss"] > 200]
    assert {t["platform"] for t in meta} == {"instagram", "facebook", "whatsapp"}
    for t in meta:
        (found,) = [m for m in measurement.incidents if m.platform == t["platform"]
                    and m.metric == "revenue" and m.start.isoformat() == t["start"]]
        assert found.trusted and found.synthetic
        assert found.loss.low <= t["loss"] <= found.loss.high, (t, found.loss)


def test_the_impact_page_puts_measured_beside_estimated_labelled_demo(demo_env):
    at = impact()
    warnings = plain("\n".join(w.value for w in at.warning))
    assert "DEMO data: the measured figures come from made-up series" in warnings
    table = _comparison(at)
    assert list(table.columns) == ["Platform", "Figure", "Estimated (assumed)",
                                   "Measured (your numbers)", "From"]
    revenue = table[table["Figure"] == "Lost sales (net)"].set_index("Platform")
    assert set(revenue.index) == {"Instagram", "Facebook", "WhatsApp"}
    assert revenue.loc["Instagram", "Estimated (assumed)"].startswith("$")
    assert re.fullmatch(r"\$[\d,]+ \(likely -?\$[\d,]+–-?\$[\d,]+\)",
                        revenue.loc["Instagram", "Measured (your numbers)"])
    assert all("DEMO sales (synthetic)" in v for v in table["From"])


def test_the_page_draws_actual_vs_expected_for_the_chosen_incident(demo_env):
    at = impact()
    (picker,) = [s for s in at.selectbox if s.key == "measured_incident"]
    assert "Instagram" in picker.options[0] or "Facebook" in picker.options[0] \
        or "WhatsApp" in picker.options[0]
    charts = [c for c in at.get("plotly_chart") if "Actual" in c.proto.spec]
    assert charts and "Expected range (95 %)" in charts[0].proto.spec
    assert "SYNTHETIC DATA" in charts[0].proto.spec


def test_the_calibration_lines_come_with_a_toml_snippet_to_copy(demo_env):
    at = impact()
    body = "\n".join(m.value for m in at.markdown)
    assert "You assumed USD 260/h in business hours on Instagram; the last" in body
    (snippet,) = [c for c in at.code if "[platforms.impact]" in c.value]
    assert snippet.language == "toml"
    assert 'id = "instagram"' in snippet.value and "revenue_per_hour = " in snippet.value


def test_an_uploaded_series_is_kept_mapped_and_measured(demo_env):
    at = impact()
    (uploader,) = [u for u in at.get("file_uploader") if u.key == "series_upload"]
    uploader.upload("my ga4 export.csv", GA4.read_bytes(), "text/csv").run()
    assert not at.exception
    kept = uploads.list_uploads(open_store(str(demo_env)))
    assert len(kept) == 1 and kept[0].original == "my_ga4_export"
    assert any("Kept as business/uploads/" in plain(s.value) for s in at.success)
    at.selectbox(key="upload_time").set_value("date_hour")
    at.selectbox(key="upload_value").set_value("conversions")
    at.selectbox(key="upload_metric").set_value("leads")
    at.radio(key="upload_by").set_value("a channel column")
    at.run()
    at.selectbox(key="upload_channel").set_value("session_source")
    at.text_input(key="upload_format").set_value("%Y%m%d%H")
    at.run()
    at.button(key="upload_use").click().run()
    assert not at.exception, at.exception[0].stack_trace if at.exception else ""
    mapping = uploads.read_mapping(open_store(str(demo_env)), kept[0])
    assert mapping["channel"] == "session_source" and mapping["time_format"] == "%Y%m%d%H"
    captions = plain("\n".join(c.value for c in at.caption))
    assert "my_ga4_export.csv · uploaded" in captions and "leads" in captions
    leads = _comparison(at).query("Figure == 'Leads lost (net)'").set_index("Platform")["From"]
    assert leads["Instagram"] == "DEMO sales (synthetic): leads + my_ga4_export (uploaded)"
    assert "TikTok" not in leads  # its series is read, but its only outage is maintenance


def test_the_same_upload_twice_is_kept_once(demo_env):
    at = impact()
    for _ in range(2):
        (uploader,) = [u for u in at.get("file_uploader") if u.key == "series_upload"]
        uploader.upload("orders.csv", GA4.read_bytes(), "text/csv").run()
    assert len(uploads.list_uploads(open_store(str(demo_env)))) == 1
    assert any("kept once" in plain(s.value) for s in at.success)


def test_a_file_that_is_not_a_series_is_refused_in_one_line(demo_env):
    at = impact()
    (uploader,) = [u for u in at.get("file_uploader") if u.key == "series_upload"]
    uploader.upload("fake.parquet", b"Name,Total\n", "application/octet-stream").run()
    assert any(plain(e.value) == "Not kept: fake.parquet: not a Parquet file (no PAR1 header)"
               for e in at.error)
    assert uploads.list_uploads(open_store(str(demo_env))) == []


def test_a_time_format_that_does_not_match_is_one_line_before_anything_is_kept(demo_env):
    at = impact()
    mixed = b"t,v\n2026-10-24 10:00:00 +0100,3\n2026-10-26 10:00:00 +0000,4\n"
    (uploader,) = [u for u in at.get("file_uploader") if u.key == "series_upload"]
    uploader.upload("offsets.csv", mixed, "text/csv").run()
    at.selectbox(key="upload_value").set_value("v")
    at.text_input(key="upload_format").set_value("%d/%m/%Y %H:%M")
    at.run()
    assert not at.exception, at.exception[0].stack_trace if at.exception else ""
    errors = [plain(e.value) for e in at.error]
    assert any(e.startswith("offsets (uploaded): row 2, column 't': ") for e in errors), errors
    assert uploads.read_mapping(open_store(str(demo_env)),
                                uploads.list_uploads(open_store(str(demo_env)))[0]) is None
    # offsets that change at the clock change are fine with a %z format
    at.text_input(key="upload_format").set_value("%Y-%m-%d %H:%M:%S %z")
    at.run()
    assert not at.exception and not at.error, [plain(e.value) for e in at.error]


def test_a_bad_row_in_an_upload_is_named_in_one_line_shown_as_text(demo_env):
    at = impact()
    hostile = b"hour,sales\n2026-11-02T09:00:00Z,3\n![x](http://127.0.0.1:9/p),4\n"
    (uploader,) = [u for u in at.get("file_uploader") if u.key == "series_upload"]
    uploader.upload("sales.csv", hostile, "text/csv").run()
    at.selectbox(key="upload_time").set_value("hour")
    at.selectbox(key="upload_value").set_value("sales")
    at.selectbox(key="upload_platform").set_value("instagram")
    at.run()
    assert not at.exception
    assert not [b for b in at.button if b.key == "upload_use"]  # read before it is kept
    (line,) = [e.value for e in at.error if "is not a time" in e.value]
    assert "\\!\\[x\\]\\(http" in line  # escaped: no image is fetched, no link drawn
    assert plain(line).startswith("sales (uploaded): row 3, column 'hour': '![x](http")


# ------------------------------------------------------------------ CSV export (CLI)
def _export(data: Path, what: str) -> list[dict]:
    done = subprocess.run(
        [sys.executable, "-m", "monitors", "export", "--what", what, "--since", "90d",
         "--config", str(demo_config_path(data)), "--data", str(data)],
        capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return list(csv.DictReader(io.StringIO(done.stdout)))


def test_the_incidents_export_has_measured_columns_filled_where_measured(demo_data):
    data, truth = demo_data
    rows = _export(data, "incidents")
    assert set(export_columns.HEADER) <= set(rows[0])
    meta = [r for r in rows if r["platform"] == "instagram" and float(r["duration_s"]) > 5 * 3600]
    (row,) = meta
    low, high = float(row["measured_revenue_loss_low"]), float(row["measured_revenue_loss_high"])
    (true,) = [t for t in truth["incidents"] if t["platform"] == "instagram"
               and t["metric"] == "revenue" and t["loss"] > 500]
    assert low <= true["loss"] <= high and row["measured_synthetic"] == "true"
    assert row["measured_revenue_net"] and row["measured_orders_loss"]
    unmeasured = next(r for r in rows if r["platform"] == "discord")  # no series
    assert all(unmeasured[c] == "" for c in export_columns.HEADER)


def test_the_uptime_export_has_each_platforms_measured_figures(demo_data):
    data, _ = demo_data
    rows = {r["platform"]: r for r in _export(data, "uptime")}
    assert float(rows["instagram"]["measured_revenue_loss"]) > 0
    assert rows["instagram"]["measured_ad_spend_loss"] == ""  # no ad spend series
    assert rows["x"]["measured_revenue_loss"] == "" and rows["x"]["measured_synthetic"] == ""


# ------------------------------------------------------------------ the meeting report
def test_the_report_shows_measured_beside_estimated_with_the_demo_label(demo_data):
    data, _ = demo_data
    settings = load_settings(str(demo_config_path(data)), str(data))
    page = report.build_report(settings, "90d", with_images=False)
    section = page[page.index("<h2>Measured impact</h2>"):]
    section = section[:section.index("</section>")]
    assert "DEMO data: the measured figures come from made-up series" in section
    assert "<th>Estimated (assumed)</th><th>Measured (your numbers)</th>" in section
    assert "(likely $" in section or "(likely -$" in section
    assert "[platforms.impact]" in section and "revenue_per_hour = " in section
    assert page.index("<h2>Estimated impact</h2>") < page.index("<h2>Measured impact</h2>")


def test_the_report_section_escapes_series_labels_and_problems():
    hostile = '<img src=x onerror="alert(1)">'
    found = measured_view.MeasuredSummary(
        comparison=pd.DataFrame([{"Platform": "Instagram", "Figure": "Lost sales (net)",
                                  "Estimated (assumed)": "£10", "Measured (your numbers)":
                                  "£12 (likely £5–£20)", "From": hostile}]),
        lines=[], calibration=[hostile], toml=f"# {hostile}", synthetic=hostile,
        problems=[f"{hostile}.csv: row 3, column 'x': not a number"])
    html = measured_html.section(found)
    assert "<img" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert measured_html.section(None) == ""


def test_without_series_the_report_has_no_measured_section(tmp_path):
    settings = load_settings(str(ROOT / "tests" / "data" / "loopback.toml"), str(tmp_path))
    nothing = SimpleNamespace(outages=[], until=None, impacts={})
    assert not settings.business.series and report._measured(settings, nothing, []) is None

"""CSV exports and the meeting report: hostile text neutralised, content complete, offline."""

from __future__ import annotations

import csv
import io
import re
import shutil

import pandas as pd
import pyarrow as pa
import pytest
from support_samples import at, frame, platform

from monitors.analysis.impact import ImpactEstimate
from monitors.analysis.incidents import Outage
from monitors.history.schema import SAMPLE_SCHEMA
from monitors.output import export, report_html, tables
from monitors.output.export import neutralise, safe_cell
from monitors.timeutil import Window

HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+SUM(1,2)", "-2+3", "@cmd",
           "\tTAB", "\rCR"]
SCRIPT = "<script>alert('pwned')</script>"
EVIL = platform("evil", name="=cmd|' /C calc'!A0", provider="@Evil <b>Corp</b>")
INSTA = platform("insta", name="Instagram")


@pytest.mark.parametrize("text", HOSTILE)
def test_a_cell_that_a_spreadsheet_would_run_gets_a_leading_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Instagram", "media down, web up", "", 42, -5.5, None,
                                   "a=b", "x-y"])
def test_ordinary_cells_and_numbers_stay_as_they_are(value):
    assert safe_cell(value) == value


def test_neutralise_covers_every_text_column_and_the_header():
    table = pd.DataFrame({"=name": ["=1+1", "ok"], "n": [-1, 2]})
    out = neutralise(table)
    assert list(out.columns) == ["'=name", "n"]
    assert out["'=name"].tolist() == ["'=1+1", "ok"]
    assert out["n"].tolist() == [-1, 2]


def _hostile_samples() -> pa.Table:
    rows = [{"ts": at(i), "vantage": "hq", "platform": "=evil()", "check": "+web",
             "kind": "http", "status": "down", "latency_ms": None, "http_status": 503,
             "error": "http_status", "detail": text} for i, text in enumerate(HOSTILE)]
    return pa.Table.from_pandas(frame(rows), schema=SAMPLE_SCHEMA, preserve_index=False)


def _read(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_samples_export_streams_batches_with_utc_and_local_times():
    out = io.StringIO(newline="")
    batches = _hostile_samples().to_batches(max_chunksize=2)
    assert len(batches) == 3
    assert export.write_samples(iter(batches), out, "Europe/London") == len(HOSTILE)
    rows = _read(out.getvalue())
    assert list(rows[0]) == export.SAMPLE_HEADER
    assert rows[0]["ts_utc"] == "2024-05-06T12:00:00.000Z"
    assert rows[0]["ts_local"] == "2024-05-06T13:00:00+01:00"
    assert rows[0]["http_status"] == "503"


def test_the_samples_export_neutralises_platform_check_and_detail():
    out = io.StringIO(newline="")
    export.write_samples(iter(_hostile_samples().to_batches()), out, "UTC")
    rows = _read(out.getvalue())
    assert {r["platform"] for r in rows} == {"'=evil()"}
    assert {r["check"] for r in rows} == {"'+web"}
    assert [r["detail"] for r in rows] == ["'" + t for t in HOSTILE]


def test_the_samples_export_can_keep_only_some_platforms():
    out = io.StringIO(newline="")
    assert export.write_samples(iter(_hostile_samples().to_batches()), out, "UTC",
                                platforms=["insta"]) == 0
    assert out.getvalue().strip() == ",".join(export.SAMPLE_HEADER)


def _outage(**overrides) -> Outage:
    values = {"platform": "evil", "provider": "@Evil <b>Corp</b>", "start": at(0),
              "end": at(30), "detected_at": at(2), "severity": "down",
              "cause": "-cause " + SCRIPT, "error": "connect", "checks": ("web", "media"),
              "official_lag_s": -300.0, "official_title": "=IMPORTXML(\"x\") " + SCRIPT,
              "impact": ImpactEstimate(99.5, "USD", revenue=99.5,
                                       assumptions=("+assumed " + SCRIPT,))}
    return Outage(**{**values, **overrides})


def test_the_incident_export_neutralises_names_causes_and_vendor_titles():
    rows = _read(export.to_csv(export.incident_rows([_outage()], [EVIL], "Europe/London")))
    row = rows[0]
    assert row["name"] == "'=cmd|' /C calc'!A0"
    assert row["provider"] == "'@Evil <b>Corp</b>"
    assert row["cause"].startswith("'-cause")
    assert row["official_title"].startswith("'=IMPORTXML")
    assert row["official_lag_s"] == "-300.0"  # a number stays a number
    assert (row["start_utc"], row["start_local"]) == ("2024-05-06T12:00:00Z",
                                                      "2024-05-06T13:00:00+01:00")
    assert row["checks"] == "web;media"


def test_the_uptime_export_has_a_row_per_platform_with_the_window():
    summary = {"platforms": [{"platform": "evil", "uptime_pct": 99.5, "down_s": 432.0,
                              "degraded_s": 0.0, "incidents": 1,
                              "impact": {"amount": 12.0, "currency": "USD"}}]}
    window = Window(at(0), at(60))
    rows = _read(export.to_csv(export.uptime_rows(summary, [EVIL, INSTA], window, "UTC")))
    assert [r["platform"] for r in rows] == ["evil", "insta"]
    assert rows[0]["name"].startswith("'=")
    assert (rows[0]["uptime_pct"], rows[0]["window_end_utc"]) == ("99.5", "2024-05-06T13:00:00Z")
    assert rows[1]["uptime_pct"] == ""


# ------------------------------------------------------------------ the HTML report
def report_data(outages: list[Outage], platforms, *, images=None) -> report_html.ReportData:
    """ReportData built from outages the way report.report_data() does it."""
    frame_ = tables.incident_frame(outages, platforms, now=at(120))
    summary = {"platforms": [{"platform": p.id, "uptime_pct": 99.0, "down_s": 1800.0,
                              "degraded_s": 0.0, "incidents": 1,
                              "impact": {"amount": 99.5, "currency": "USD"}}
                             for p in platforms]}
    impacts = {o.platform: o.impact for o in outages}
    return report_html.ReportData(
        business="<Acme & Co>", tz="Europe/London", currency="USD",
        window=Window(at(-60 * 24 * 7), at(120)), generated_at=at(120), window_label="7 d",
        summary=tables.window_summary(summary, platforms),
        comparison=tables.period_comparison(summary, {"platforms": []}, "USD"),
        incidents=frame_, impact=tables.impact_table(impacts, platforms, frame_),
        providers=tables.provider_incidents(outages, "Europe/London", now=at(120)),
        assumptions=[*tables.assumptions(frame_), "Hours count fully."],
        values=tables.value_table(platforms, "USD"), images=images or {}, synthetic=True)


def test_the_report_escapes_every_hostile_text():
    page = report_html.render(report_data([_outage()], [EVIL]))
    assert "<script>" not in page and "alert('pwned')" not in page
    assert "&lt;script&gt;" in page
    assert "<b>Corp</b>" not in page and "&lt;Acme &amp; Co&gt;" in page


def test_the_report_contains_the_incident_list_summary_and_assumptions():
    page = report_html.render(report_data([_outage(), _outage(platform="insta",
                                                               severity="degraded")],
                                          [EVIL, INSTA]))
    incidents = page[page.index('id="incidents"'):page.index("<h3>")]
    assert incidents.count("<tr>") == 3  # header + 2 outages
    together = page[page.index("<h3>"):page.index("<h2>Assumptions")]
    assert "@Evil &lt;b&gt;Corp&lt;/b&gt;: evil, insta down" in together
    assert "Instagram" in incidents and "the vendor&#x27;s status page reported it 5 min" in page
    assert "+assumed" in page and "Average uptime" in page and "DEMO DATA" in page
    assert "This window vs the previous one" in page


def test_the_report_is_self_contained_and_prints_cleanly():
    png = b"\x89PNG\r\n\x1a\nfake"
    page = report_html.render(report_data([_outage()], [EVIL], images={"timeline": png}))
    assert "data:image/png;base64," in page
    assert not re.search(r"""(src|href)=["']https?://""", page)
    assert "@media print" in page and "break-inside: avoid" in page
    assert "default-src 'none'" in page


def test_a_window_without_outages_says_so():
    page = report_html.render(report_data([], [INSTA]))
    assert "No outages in this window." in page


@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")
def test_report_charts_render_as_png_on_the_system_chromium():
    from monitors.output import report

    data = report_data([_outage()], [EVIL, INSTA])
    report.add_images(data)
    assert set(data.images) == {"timeline", "impact"}
    assert all(image.startswith(b"\x89PNG") for image in data.images.values())
    page = report_html.render(data)
    assert page.count("data:image/png;base64,") == 2


def test_a_line_break_inside_a_value_cannot_start_a_new_row():
    rows = [{"ts": at(0), "vantage": "hq", "platform": "insta", "check": "web", "kind": "http",
             "status": "down", "latency_ms": None, "http_status": None, "error": "connect",
             "detail": "refused\n=1+1\r@SUM(A1)"}]
    out = io.StringIO(newline="")
    table = pa.Table.from_pandas(frame(rows), schema=SAMPLE_SCHEMA, preserve_index=False)
    export.write_samples(iter(table.to_batches()), out, "UTC")
    parsed = _read(out.getvalue())
    assert len(parsed) == 1 and parsed[0]["detail"] == "refused\n=1+1\r@SUM(A1)"


# ------------------------------------------------------------------ the commands, on a real history
HOSTILE_CONFIG = """
[monitor]
interval = "60s"
vantage = "hq"
default_platforms = false
controls = ["tcp://127.0.0.1:9"]

[business]
currency = "EUR"
timezone = "Europe/Paris"
name = "<img src=x onerror=alert(1)>"

[[platforms]]
id = "evil"
name = "=HYPERLINK(\\"http://x\\")<script>alert(1)</script>"
provider = "@Evil"
  [[platforms.checks]]
  id = "web"
  kind = "tcp"
  host = "127.0.0.1"
  port = 9
  [[platforms.checks]]
  id = "status"
  kind = "statuspage"
  url = "http://127.0.0.1:9/s.json"
  [platforms.impact]
  revenue_per_hour = 100.0
"""


@pytest.fixture(scope="module")
def hostile_history(tmp_path_factory):
    """A real Parquet history whose platform, details and vendor title are hostile."""
    from datetime import UTC, datetime, timedelta

    import support_dashboard as story

    from monitors.config import load_settings

    root = tmp_path_factory.mktemp("hostile")
    config = root / "hostile.toml"
    config.write_text(HOSTILE_CONFIG)
    data = root / "data"
    settings = load_settings(str(config), str(data))
    episodes = [story.Episode(("evil",), timedelta(hours=5), 40, error="http_status",
                              detail="-1+1 " + SCRIPT, http_status=503,
                              official="=cmd|' /C calc'!A0 " + SCRIPT, official_after=3)]
    now = datetime.now(UTC)
    story.write_history(data, story.samples(settings, now, 0.5, episodes=episodes), now=now)
    return config, data


def _cli(config, data, *args: str) -> str:
    import subprocess
    import sys

    from conftest import ROOT

    done = subprocess.run([sys.executable, "-m", "monitors", *args, "--config", str(config),
                           "--data", str(data)], cwd=ROOT, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_export_incidents_from_the_cli_neutralises_the_vendor_title(hostile_history):
    rows = _read(_cli(*hostile_history, "export", "--what", "incidents", "--since", "24h"))
    assert len(rows) == 1
    row = rows[0]
    assert row["name"].startswith("'=HYPERLINK")
    assert row["provider"] == "'@Evil"
    assert "=cmd|' /C calc'!A0" in row["official_title"]
    assert all(not v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values())
    assert row["start_local"].endswith("+01:00") or row["start_local"].endswith("+02:00")


def test_export_samples_from_the_cli_streams_every_row_to_a_file(hostile_history, tmp_path):
    target = tmp_path / "samples.csv"
    _cli(*hostile_history, "export", "--what", "samples", "--since", "24h", "-o", str(target))
    rows = _read(target.read_text(encoding="utf-8"))
    assert len(rows) == 2 * 720  # 12 hours of rounds, two checks
    details = {r["detail"] for r in rows if r["detail"]}
    assert "'-1+1 " + SCRIPT in details
    assert not list(tmp_path.glob(".samples.csv.*"))  # written atomically


def test_export_uptime_from_the_cli(hostile_history):
    rows = _read(_cli(*hostile_history, "export", "--what", "uptime", "--since", "24h"))
    assert [r["platform"] for r in rows] == ["evil"]
    assert 0 < float(rows[0]["uptime_pct"]) < 100


def test_the_report_command_writes_a_safe_self_contained_page(hostile_history, tmp_path):
    target = tmp_path / "report.html"
    _cli(*hostile_history, "report", "--since", "24h", "-o", str(target), "--no-images")
    page = target.read_text(encoding="utf-8")
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    incidents = page[page.index('id="incidents"'):]
    assert "servers are failing" in incidents and "=HYPERLINK" in incidents  # plain words
    assert "data:image/png" not in page  # --no-images

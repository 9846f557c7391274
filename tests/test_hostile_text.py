"""Hostile text from outside (issue #21): one bad character or a tag-heavy page must neither
stop history writing nor hold a round past its deadline. Real local servers, real files."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from conftest import ROOT
from pytest_httpserver import HTTPServer
from support_sampler import settings_for, write_config
from support_status import ATOM, JSON, RSS, check, recorded_json, serve

from monitors.history import HistoryWriter
from monitors.probes import status_formats
from monitors.probes.base import ProbeContext, make_client
from monitors.probes.http import HttpCheck
from monitors.probes.status_common import clean_text, drop_elements
from monitors.sampling.runner import run_check, run_round
from monitors.text import short
from monitors.vocabulary import DETAIL_MAX, STATUSES

SURROGATE_TITLE = "broken \ud800 title"
DEGRADED = "synthetic_statuspage_discord_degraded_investigating.json"
TIMEOUT_S = 2.0
SLACK_S = 0.5  # a probe ends within its timeout plus this


def surrogate_payload() -> bytes:
    """A Statuspage summary whose open incident is named with a lone surrogate escape."""
    payload = recorded_json(DEGRADED)
    payload["incidents"][0]["name"] = SURROGATE_TITLE
    body = json.dumps(payload).encode()
    assert b"\\ud800" in body  # valid JSON text: the escape, not the character
    return body


def utf8_ok(text: str | None) -> bool:
    """True when the text can be stored as UTF-8 (no lone surrogates)."""
    try:
        (text or "").encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def stored(data: Path) -> list[dict]:
    """Every raw sample in a data folder, read as any Parquet reader would."""
    return ds.dataset(data / "samples", partitioning="hive").to_table().to_pylist()


def local_platforms(httpserver: HTTPServer, status_url: str) -> list[dict]:
    """Three loopback platforms; the first one also reads the (hostile) status page."""
    httpserver.expect_request("/ok").respond_with_data("hello from pulse")
    web = {"id": "web", "kind": "http", "url": httpserver.url_for("/ok")}
    status = {"id": "status", "kind": "statuspage", "format": "statuspage", "url": status_url}
    return [
        {"id": "alpha", "name": "Alpha", "provider": "A", "checks": [web, status]},
        {"id": "beta", "name": "Beta", "provider": "B", "checks": [web]},
        {"id": "gamma", "name": "Gamma", "provider": "C", "checks": [web]},
    ]


# ----------------------------------------------------------- 1. one character, all history
def test_a_lone_surrogate_in_a_vendor_title_does_not_stop_history_for_any_platform(
        httpserver: HTTPServer, tmp_path: Path, data_dir: Path) -> None:
    url = serve(httpserver, "/api/v2/summary.json", surrogate_payload())
    config = write_config(tmp_path / "c.toml", platforms=local_platforms(httpserver, url),
                          controls=[], data=data_dir, timeout="3s")
    settings = settings_for(config)
    found = asyncio.run(run_round(settings.platforms, settings.monitor))  # as the sampler does
    writer = HistoryWriter(str(data_dir), settings.monitor.vantage)
    writer.append(found.samples)
    writer.close()
    rows = stored(data_dir)
    assert {(r["platform"], r["check"]) for r in rows} == {
        ("alpha", "web"), ("alpha", "status"), ("beta", "web"), ("gamma", "web")}
    status = next(r for r in rows if r["check"] == "status")
    assert status["error"] == "official_incident"
    assert "broken \ufffd title" in status["detail"]  # kept, made valid, not dropped
    assert writer.text_dropped == 0
    info = found.official["alpha"]
    assert info.title == "broken \ufffd title"
    json.dumps(asdict(info), ensure_ascii=False).encode("utf-8")  # the official state file


def test_every_official_text_field_is_valid_utf8(httpserver: HTTPServer) -> None:
    payload = recorded_json(DEGRADED)
    payload["status"]["description"] = "desc \udfff"
    payload["incidents"][0]["incident_updates"][0]["body"] = "update \ud83d alone"
    payload["incidents"][0]["shortlink"] = "https://stspg.io/\udc00"
    payload["components"][0]["name"] = "API \ud800"
    payload["page"]["name"] = "Page \ud800"
    url = serve(httpserver, "/api/v2/summary.json", json.dumps(payload))

    async def probe():
        async with make_client() as client:
            return await run_check(check(url), ProbeContext(client=client, timeout_s=3))

    result = asyncio.run(probe())
    assert result.status == "degraded", result
    info = asdict(result.official)
    texts = [result.detail, *[v for v in info.values() if isinstance(v, str)],
             *info["components"]]
    assert texts and all(utf8_ok(text) for text in texts), texts
    assert "\ufffd" in info["update"] and "\ufffd" in info["url"]


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "table"])
def test_check_exits_0_when_a_status_page_holds_a_lone_surrogate(
        httpserver: HTTPServer, tmp_path: Path, data_dir: Path, as_json: bool) -> None:
    url = serve(httpserver, "/api/v2/summary.json", surrogate_payload())
    config = write_config(tmp_path / "c.toml", platforms=local_platforms(httpserver, url),
                          controls=[], data=data_dir, timeout="3s")
    env = {**os.environ, "MONITORS_CONFIG": str(config), "PYTHONIOENCODING": "utf-8"}
    command = [sys.executable, "-m", "monitors", "check", *(["--json"] if as_json else [])]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    out = done.stdout.decode("utf-8")  # strict: the output is valid UTF-8
    if as_json:
        samples = json.loads(out)
        assert len(samples) == 4
        status = next(s for s in samples if s["check"] == "status")
        assert "broken \ufffd title" in status["detail"]
    else:
        assert "broken \ufffd title" in out


def test_the_writer_keeps_a_row_whose_detail_cannot_be_stored_without_its_text(
        data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    def row(platform: str, detail: str | None, second: int = 0) -> dict:
        return {"ts": datetime(2024, 3, 1, 12, 0, second, tzinfo=UTC), "vantage": "hq",
                "platform": platform, "check": "status", "kind": "statuspage",
                "status": "degraded", "latency_ms": 12.0, "http_status": 200,
                "error": "official_incident", "detail": detail}

    writer = HistoryWriter(str(data_dir), "hq")
    with caplog.at_level(logging.DEBUG, logger="monitors.history"):
        writer.append([row("alpha", "fine"), row("beta", "raw \ud800 text"), row("gamma", None)])
        writer.append([row("alpha", "again \udfff", 1), row("beta", "fine", 1)])
    writer.close()
    by_key = {(r["platform"], r["ts"].second): r["detail"] for r in stored(data_dir)}
    assert by_key == {("alpha", 0): "fine", ("beta", 0): None, ("gamma", 0): None,
                      ("alpha", 1): None, ("beta", 1): "fine"}
    assert writer.text_dropped == 2 and writer.stats["text_dropped"] == 2
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "text_dropped" in warnings[0].getMessage()
    with pytest.raises(ValueError):  # a malformed row is still refused, text or not
        writer.append([{**row("alpha", "x \ud800"), "status": "sideways"}])


# ----------------------------------------------------------- 2. tag soup in linear time
def _statuspage(field: str, text: str) -> bytes:
    payload = recorded_json(DEGRADED)
    if field == "name":
        payload["incidents"][0]["name"] = text
    elif field == "body":
        payload["incidents"][0]["incident_updates"][0]["body"] = text
    else:
        payload["components"][0]["name"] = text
    return json.dumps(payload).encode()


def _rss(description: str, title: str = "API errors") -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Vendor</title><item>'
        f"<title><![CDATA[{title}]]></title>"
        f"<pubDate>{datetime.now(UTC):%a, %d %b %Y %H:%M:%S +0000}</pubDate>"
        f"<description><![CDATA[{description}]]></description></item></channel></rss>"
    ).encode()


def _atom(content: str) -> bytes:
    now = f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}"
    return (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Vendor</title>'
        f"<entry><title>API errors</title><updated>{now}</updated>"
        f'<content type="html"><![CDATA[{content}]]></content></entry></feed>'
    ).encode()


HOSTILE = [
    # id, body, content type, format (each body below the 1 MiB cap)
    ("raw-lt-900k-as-feed", b"<" * 900_000, RSS, "feed"),
    ("raw-lt-900k-as-json", b"<" * 900_000, JSON, "statuspage"),
    ("title-lt-900k", _statuspage("name", "<" * 900_000), JSON, "statuspage"),
    ("title-letters-900k", _statuspage("name", "a" * 900_000), JSON, "statuspage"),
    ("update-p-300k", _statuspage("body", "<p>" * 300_000), JSON, "statuspage"),
    ("update-script-110k", _statuspage("body", "<script>" * 110_000), JSON, "statuspage"),
    ("update-nested-unclosed", _statuspage("body", "<div><b><i " * 80_000), JSON, "statuspage"),
    ("component-letters-900k", _statuspage("component", "a" * 900_000), JSON, "statuspage"),
    ("rss-p-300k", _rss("<p>" * 300_000), RSS, "feed"),
    ("rss-small-open-170k", _rss("<small" * 170_000), RSS, "feed"),
    ("rss-small-140k", _rss("<small>" * 140_000), RSS, "feed"),
    ("rss-strong-spaces-900k", _rss("<strong>a" + " " * 900_000), RSS, "feed"),
    ("rss-title-lt-900k", _rss("x", title="<" * 900_000), RSS, "feed"),
    ("atom-p-300k", _atom("<p>" * 300_000), ATOM, "feed"),
]


@pytest.mark.timeout(60)  # the quadratic code took minutes; fail instead of hanging
@pytest.mark.parametrize(("body", "content_type", "fmt"), [h[1:] for h in HOSTILE],
                         ids=[h[0] for h in HOSTILE])
def test_a_tag_heavy_status_payload_is_read_within_the_timeout(
        httpserver: HTTPServer, body: bytes, content_type: str, fmt: str) -> None:
    path = "/history.rss" if fmt == "feed" else "/api/v2/summary.json"
    url = serve(httpserver, path, body, content_type)

    async def probe():
        async with make_client() as client:
            return await run_check(check(url, format=fmt),
                                   ProbeContext(client=client, timeout_s=TIMEOUT_S))

    start = time.perf_counter()
    result = asyncio.run(probe())
    took = time.perf_counter() - start
    assert took < TIMEOUT_S + SLACK_S, (took, result)
    assert result.status in STATUSES and result.error != "timeout", result
    assert len(result.detail or "") <= DETAIL_MAX and utf8_ok(result.detail)


@pytest.mark.timeout(60)
def test_a_slow_parse_never_blocks_the_other_checks_of_the_round(
        httpserver: HTTPServer, tmp_path: Path, data_dir: Path) -> None:
    """The status payload is parsed off the event loop: the http checks beside it keep time."""
    url = serve(httpserver, "/api/v2/summary.json", _statuspage("name", "<" * 900_000))
    config = write_config(tmp_path / "c.toml", platforms=local_platforms(httpserver, url),
                          controls=[], data=data_dir, timeout=f"{TIMEOUT_S}s")
    settings = settings_for(config)
    start = time.perf_counter()
    found = asyncio.run(run_round(settings.platforms, settings.monitor))
    assert time.perf_counter() - start < TIMEOUT_S + SLACK_S
    assert {r["status"] for r in found.samples if r["check"] == "web"} == {"up"}


def test_a_parse_slower_than_the_deadline_cannot_hold_the_round(
        httpserver: HTTPServer, tmp_path: Path, data_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a parser does, the probe gives up at its deadline share (unknown, not a
    timeout) and the other checks of the round are not held up."""
    real = status_formats.parse

    def stuck(*args, **kwargs):
        time.sleep(1.5)  # stands for CPU-heavy parsing
        return real(*args, **kwargs)

    monkeypatch.setattr(status_formats, "parse", stuck)
    url = serve(httpserver, "/api/v2/summary.json", recorded_json(DEGRADED))
    config = write_config(tmp_path / "c.toml", platforms=local_platforms(httpserver, url),
                          controls=[], data=data_dir, timeout="1s")
    settings = settings_for(config)

    async def timed_round():
        start = time.perf_counter()
        found = await run_round(settings.platforms, settings.monitor)
        return found, time.perf_counter() - start

    found, took = asyncio.run(timed_round())
    assert took < 1.0 + SLACK_S, took
    by_check = {(r["platform"], r["check"]): r for r in found.samples}
    status = by_check[("alpha", "status")]
    assert (status["status"], status["error"]) == ("unknown", "bad_payload"), status
    assert {r["status"] for k, r in by_check.items() if k[1] == "web"} == {"up"}


LINEAR = {
    "lt": "<" * 1_000_000,
    "p": "<p>" * 333_333,
    "small-open": "<small" * 166_666,
    "small": "<small>" * 142_857,
    "script": "<script>" * 125_000,
    "unclosed-nested": "<div><b><i " * 90_000,
    "letters": "a" * 1_000_000,
    "scheme-like": "a1+b.c-" * 142_857,
    "entities": "&#" * 500_000,
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("text", LINEAR.values(), ids=LINEAR.keys())
def test_cleaning_a_megabyte_of_tag_soup_is_linear(text: str) -> None:
    for clean in (clean_text, short, lambda t: drop_elements(t, "script", "style", "small")):
        start = time.perf_counter()
        out = clean(text)
        assert time.perf_counter() - start < 2.0, clean  # quadratic code took minutes
        assert out is None or utf8_ok(out)


def test_cleaning_still_strips_markup() -> None:
    text = ('<p>API <b>errors</b> &amp; <script>alert("x")</script>timeouts'
            '<style>p{}</style> <small>Dec 23</small></p>')
    assert clean_text(text) == "API errors & timeouts Dec 23"
    assert drop_elements("a <small>b</small> c <small>never closed", "small") == \
        "a   c <small>never closed"
    assert drop_elements("<SCRIPT type=x>1</script >2<style>3", "script", "style") == " 2<style>3"
    assert clean_text("x" * 100_000, 50) == "x" * 49 + "…"
    assert short("see https://user:secret@example.com/x") == "see https://***@example.com/x"


# ----------------------------------------------------------- 3. deep JSON in an http check
@pytest.mark.timeout(60)
def test_an_http_json_field_check_on_900k_deep_json_is_down_not_a_crash(
        httpserver: HTTPServer) -> None:
    httpserver.expect_request("/deep").respond_with_data(b"[" * 900_000, content_type=JSON)
    target = HttpCheck(id="api", url=httpserver.url_for("/deep"), json_field="status")

    async def probe():
        async with make_client() as client:
            return await run_check(target, ProbeContext(client=client, timeout_s=5))

    result = asyncio.run(probe())
    assert (result.status, result.error) == ("down", "keyword"), result
    assert result.detail == "body is not JSON (900000 bytes)"

"""The official-status probe on broken sources: every bad answer is `unknown`, never raised."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support_status import (
    ATOM,
    JSON,
    RSS,
    check,
    probe_async,
    recorded,
    recorded_json,
    run,
    serve,
)
from werkzeug import Response

from monitors.probes.base import ProbeContext, make_client
from monitors.probes.status_common import iso
from monitors.probes.status_formats import Options, PayloadError, normalise, parse, parse_time
from monitors.sampling.runner import run_check
from monitors.vocabulary import STATUSES

DISCORD = "statuspage_discord_operational.json"
SUMMARY = "/api/v2/summary.json"
HTML_PAGE = b"<!DOCTYPE html><html><head><title>Oops</title></head><body>503</body></html>"
META_SHELL = b'<html lang="en"><head><script src="/static/app.js"></script></head><body></body>'


def _with(name: str, change) -> dict:
    payload = recorded_json(name)
    change(payload)
    return payload


def _incident_field(key, value):
    return _with("synthetic_statuspage_discord_degraded_investigating.json",
                 lambda p: p["incidents"][0].__setitem__(key, value))


HUGE = b'{"page": {"id": "x"}, "pad": "' + b"a" * (1 << 20) + b'"}'
BAD = [
    # id, body, content type, format, expected error, detail fragment
    ("html-error-page-at-200", HTML_PAGE, "text/html", "auto", "bad_payload", "HTML page"),
    ("html-shell-as-json", META_SHELL, JSON, "statuspage", "bad_payload", "HTML page"),
    ("wrong-content-type", recorded(DISCORD), "image/png", "statuspage", "bad_payload",
     "wrong content type 'image/png'"),
    ("json-sent-as-html", recorded(DISCORD), "text/html", "statuspage", "bad_payload",
     "wrong content type 'text/html'"),
    ("truncated-json", recorded(DISCORD)[:500], JSON, "statuspage", "bad_payload",
     "truncated JSON"),
    ("malformed-json", b"{'page': {'id': 1}}", JSON, "statuspage", "bad_payload",
     "malformed JSON"),
    ("not-json-at-all", b"OK", JSON, "statuspage", "bad_payload", "not JSON"),
    ("bad-utf8", b'{"page": "\xff\xfe"}', JSON, "statuspage", "bad_payload", "malformed JSON"),
    ("deep-nesting", b"[" * 200_000, JSON, "statuspage", "bad_payload", "nested too deeply"),
    ("array-not-object", b"[1, 2]", JSON, "statuspage", "bad_payload",
     "expected a JSON object from Statuspage, got array"),
    ("missing-page", {"status": {"indicator": "none"}}, JSON, "statuspage", "bad_payload",
     "missing field page"),
    ("page-only", {"page": {"id": "abc"}}, JSON, "statuspage", "bad_payload",
     "no status, components, incidents"),
    ("missing-indicator", {"page": {"id": "a"}, "status": {}}, JSON, "statuspage",
     "bad_payload", "missing field status.indicator"),
    ("unknown-indicator", _with(DISCORD, lambda p: p["status"].__setitem__("indicator", "meh")),
     JSON, "statuspage", "bad_payload", "unknown value 'meh' at status.indicator"),
    ("unknown-component-status",
     _with(DISCORD, lambda p: p["components"][0].__setitem__("status", "on_fire")), JSON,
     "statuspage", "bad_payload", "unknown value 'on_fire' at components[0].status"),
    ("component-name-not-text",
     _with(DISCORD, lambda p: p["components"][0].__setitem__("name", 42)), JSON,
     "statuspage", "bad_payload", "components[0].name"),
    ("unknown-incident-status", _incident_field("status", "panicking"), JSON, "statuspage",
     "bad_payload", "unknown value 'panicking' at incidents[0].status"),
    ("missing-incident-impact", _with(
        "synthetic_statuspage_discord_degraded_investigating.json",
        lambda p: p["incidents"][0].pop("impact")), JSON, "statuspage", "bad_payload",
     "missing field incidents[0].impact"),
    ("timestamp-in-words", _incident_field("updated_at", "yesterday"), JSON, "statuspage",
     "bad_payload", "incidents[0].updated_at: unparseable timestamp 'yesterday'"),
    ("timestamp-as-number", _incident_field("created_at", 1644959657), JSON, "statuspage",
     "bad_payload", "not a timestamp"),
    ("impossible-date", _incident_field("started_at", "2022-02-30T10:00:00Z"), JSON,
     "statuspage", "bad_payload", "unparseable timestamp"),
    ("implausible-year", _incident_field("started_at", "0001-01-01T00:00:00+14:00"), JSON,
     "statuspage", "bad_payload", "timestamp"),
    ("empty-body", b"", JSON, "statuspage", "bad_payload", "empty body"),
    ("blank-body", b" \r\n\t ", JSON, "statuspage", "bad_payload", "empty body"),
    ("huge-payload", HUGE, JSON, "statuspage", "bad_payload", "payload too large"),
    ("unrecognised-json", {"hello": "world"}, JSON, "auto", "bad_payload",
     "unrecognised status payload (JSON object: hello)"),
    ("slack-unknown-status", {"status": "meh", "active_incidents": []}, JSON, "slack",
     "bad_payload", "unknown value 'meh' at status"),
    ("slack-missing-incidents", {"status": "ok"}, JSON, "slack", "bad_payload",
     "missing field active_incidents"),
    ("slack-unknown-type", _with("slack_current_incident.json",
                                 lambda p: p["active_incidents"][0].__setitem__("type", "blip")),
     JSON, "slack", "bad_payload", "active_incidents[0].type"),
    ("metastatus-object", {"orgs": []}, JSON, "metastatus", "bad_payload",
     "expected a JSON array of orgs"),
    ("metastatus-html-shell", META_SHELL, "text/html", "metastatus", "bad_payload", "HTML page"),
    ("metastatus-unknown-phrase", [{"id": "graph-api", "services": [
        {"name": "Send API", "status": "Feeling sad"}]}], JSON, "metastatus", "bad_payload",
     "unknown metastatus service status 'Feeling sad'"),
    ("metastatus-unknown-org", [{"id": "messenger", "services": []}], JSON, "metastatus",
     "bad_payload", "org 'graph-api' is not in orgs.json"),
    ("metastatus-service-without-status", [{"id": "graph-api", "services": [{"name": "x"}]}],
     JSON, "metastatus", "bad_payload", "missing field services[0].status"),
    ("feed-malformed-xml", b"<rss><channel><item>", RSS, "feed", "bad_payload",
     "malformed XML"),
    ("feed-unknown-encoding", b'<?xml version="1.0" encoding="klingon"?><rss/>', RSS, "feed",
     "bad_payload", "malformed XML"),
    ("feed-as-json", b'{"items": []}', JSON, "feed", "bad_payload", "wrong content type"),
    ("feed-not-a-feed", b"<?xml version='1.0'?><note>hi</note>", "text/xml", "feed",
     "bad_payload", "not an RSS or Atom feed"),
    ("feed-entity-bomb", b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss/>', RSS,
     "feed", "bad_payload", "entities"),
    ("feed-date-in-words", b"<rss><channel><item><title>T</title><pubDate>soon</pubDate>"
     b"</item></channel></rss>", RSS, "feed", "bad_payload", "unparseable timestamp 'soon'"),
    ("feed-item-without-date", b"<rss><channel><item><title>T</title></item></channel></rss>",
     RSS, "feed", "bad_payload", "has no date"),
]


@pytest.mark.parametrize(("body", "content_type", "fmt", "error", "fragment"),
                         [row[1:] for row in BAD], ids=[row[0] for row in BAD])
def test_a_bad_payload_is_unknown_with_a_clear_detail(httpserver, body, content_type, fmt,
                                                       error, fragment):
    url = serve(httpserver, "/status", body, content_type)  # no format hint in the URL
    orgs = ["graph-api"] if fmt == "metastatus" else []
    result = run(check(url, format=fmt, orgs=orgs))
    assert (result.status, result.error) == ("unknown", error), result.detail
    assert fragment in result.detail
    assert len(result.detail) <= 200 and result.official is None


def test_a_wrong_page_id_is_unknown(httpserver):
    result = run(check(serve(httpserver, SUMMARY, recorded(DISCORD)), page_id="zjttvm6ql9lp"))
    assert (result.status, result.error) == ("unknown", "bad_payload")
    assert result.detail == "wrong page id 'srhpyqt94yxb' (expected 'zjttvm6ql9lp')"


@pytest.mark.parametrize("status", [500, 503, 404, 403, 301])
def test_an_http_error_is_unavailable_never_down(httpserver, status):
    url = serve(httpserver, SUMMARY, recorded(DISCORD), status=status)
    result = run(check(url))
    assert (result.status, result.error, result.http_status) == (
        "unknown", "official_unavailable", status)
    assert result.detail == f"status page answered HTTP {status}"


def test_a_redirect_to_an_html_page_is_unknown(httpserver):
    httpserver.expect_request(SUMMARY).respond_with_data("", 302, headers={"Location": "/login"})
    serve(httpserver, "/login", HTML_PAGE, "text/html")
    result = run(check(httpserver.url_for(SUMMARY)))
    assert (result.status, result.error) == ("unknown", "bad_payload")
    assert "HTML page" in result.detail


def test_a_redirect_loop_is_unavailable(httpserver):
    httpserver.expect_request("/loop").respond_with_data("", 302, headers={"Location": "/loop"})
    result = run(check(httpserver.url_for("/loop"), format="statuspage"))
    assert (result.status, result.error) == ("unknown", "official_unavailable")
    assert "redirects too often" in result.detail


def test_a_huge_chunked_body_is_cut_off(httpserver):
    def endless(_request):
        return Response((b"[" + b"0," * 50_000 for _ in range(100)), content_type=JSON)

    httpserver.expect_request(SUMMARY).respond_with_handler(endless)
    result = run(check(httpserver.url_for(SUMMARY)), max_body_bytes=200_000)
    assert (result.status, result.error) == ("unknown", "bad_payload")
    assert result.detail == "payload too large (over 200,000 bytes)"


def test_a_gzip_bomb_is_capped_after_decompression(httpserver):
    bomb = gzip.compress(b'{"pad": "' + b"a" * 3_000_000 + b'"}')
    serve(httpserver, SUMMARY, bomb, headers={"Content-Encoding": "gzip"})
    result = run(check(httpserver.url_for(SUMMARY)))
    assert result.error == "bad_payload"
    assert result.detail == "payload too large (over 1,048,576 bytes)"


def test_a_corrupt_compressed_body_is_a_bad_payload(httpserver):
    serve(httpserver, SUMMARY, b"not gzip at all", headers={"Content-Encoding": "gzip"})
    result = run(check(httpserver.url_for(SUMMARY)))
    assert (result.status, result.error) == ("unknown", "bad_payload")
    assert result.detail.startswith("undecodable body")


def test_a_refused_connection_is_unavailable_and_leaks_no_secret():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run(check(f"http://user:hunter2@127.0.0.1:{port}{SUMMARY}"))
    assert (result.status, result.error) == ("unknown", "official_unavailable")
    assert result.detail.startswith("status page unreachable") and "hunter2" not in result.detail


async def _silent_server_probe(timeout_s: float):
    async def hold(reader, writer):
        await asyncio.sleep(30)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    target = check(f"http://127.0.0.1:{port}{SUMMARY}")
    try:
        direct = await probe_async(target, timeout_s=timeout_s)
        async with make_client() as client:
            via_runner = await run_check(target, ProbeContext(client=client, timeout_s=timeout_s))
    finally:
        server.close()
    return direct, via_runner


def test_a_silent_status_page_is_unavailable_before_the_runner_deadline():
    direct, via_runner = asyncio.run(_silent_server_probe(0.5))
    for result in (direct, via_runner):
        assert (result.status, result.error) == ("unknown", "official_unavailable")
        assert result.detail == "status page gave no answer in 0.45s"


# --- timestamps -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-02-15T13:14:17.744-08:00", "2022-02-15T21:14:17Z"),
        ("2022-02-15T13:14:17-0800", "2022-02-15T21:14:17Z"),
        ("2022-02-15T13:14:17.744123456-08:00", "2022-02-15T21:14:17Z"),
        ("2022-02-16T02:59:17+05:45", "2022-02-15T21:14:17Z"),
        ("2022-02-15 21:14:17Z", "2022-02-15T21:14:17Z"),
        ("2022-02-15T21:14:17z", "2022-02-15T21:14:17Z"),
        ("20220215T211417Z", "2022-02-15T21:14:17Z"),
        ("2022-02-15T21:14:17", "2022-02-15T21:14:17Z"),
        ("Tue, 15 Feb 2022 13:14:17 -0800", "2022-02-15T21:14:17Z"),
        ("Tue, 15 Feb 2022 21:14:17 GMT", "2022-02-15T21:14:17Z"),
        ("  2022-02-15T21:14:17+00:00 ", "2022-02-15T21:14:17Z"),
    ],
)
def test_odd_but_valid_timestamps_become_utc(text, expected):
    assert iso(parse_time(text)) == expected


@pytest.mark.parametrize("value", ["", "yesterday", "2022-13-01T00:00:00Z", "12:00", None, 17,
                                   "Tue, 45 Feb 2022 21:14:17 GMT", "9999-12-31T23:59:59-14:00"])
def test_unparseable_timestamps_are_refused(value):
    with pytest.raises(ValueError):
        parse_time(value)


def test_odd_offsets_in_a_payload_are_normalised(httpserver):
    payload = recorded_json("synthetic_statuspage_discord_degraded_investigating.json")
    payload["incidents"][0]["started_at"] = "2022-02-16T02:59:17.737123456+05:45"
    payload["incidents"][0]["updated_at"] = "2022-02-15 21:20:00Z"
    result = run(check(serve(httpserver, SUMMARY, payload)))
    assert (result.official.started_at, result.official.updated_at) == (
        "2022-02-15T21:14:17Z", "2022-02-15T21:20:00Z")


# --- never raises, whatever arrives -------------------------------------------------------------

KEYS = st.sampled_from([
    "page", "id", "status", "indicator", "components", "incidents", "name", "impact",
    "active_incidents", "services", "type", "scheduled_maintenances", "created_at",
    "incident_updates", "group", "group_id",
])
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.sampled_from(["none", "minor", "critical", "operational", "resolved", "page", "status"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=25,
)
FORMATS = st.sampled_from(["auto", "statuspage", "slack", "metastatus", "feed"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fmt=FORMATS, data=JSONISH)
def test_parsing_any_json_never_raises(fmt, data):
    body = json.dumps(data).encode()
    result = parse(fmt, body, JSON, Options(orgs=("graph-api",)))
    assert result.status in STATUSES and len(result.detail or "") <= 200
    assert result.status != "unknown" or result.error == "bad_payload"
    assert "unreadable payload" not in (result.detail or "")  # the parser-bug safety net


def test_the_safety_net_catches_a_parser_bug(monkeypatch):
    monkeypatch.setattr("monitors.probes.status_atlassian.conclude", lambda *a, **k: 1 / 0)
    result = parse("statuspage", recorded(DISCORD), JSON, Options())
    assert (result.status, result.error) == ("unknown", "bad_payload")
    assert result.detail == "unreadable payload (ZeroDivisionError)"


def _leaf_paths(value: object, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, child in items:
        found += _leaf_paths(child, (*prefix, key))
    return found


RECORDED_JSON = ["statuspage_docs_example_incident_maintenance.json",
                 "synthetic_statuspage_discord_degraded_investigating.json",
                 "statuspage_discord_incidents_resolved_degraded.json",
                 "statuspage_discord_maintenance_completed.json", "slack_current_incident.json"]


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(RECORDED_JSON), picks=st.lists(st.integers(0, 10_000), max_size=3),
       values=st.lists(JSONISH, min_size=3, max_size=3),
       components=st.sampled_from([(), ("API",), ("Notifications",)]))
def test_damaging_a_real_payload_never_raises(name, picks, values, components):
    payload = recorded_json(name)
    for pick, value in zip(picks, values, strict=False):
        paths = _leaf_paths(payload)
        *parents, key = paths[pick % len(paths)]
        holder = payload
        for part in parents:
            holder = holder[part]
        holder[key] = value
    try:  # normalise() may only raise PayloadError; anything else is a parser bug
        result = normalise("auto", json.dumps(payload).encode(), JSON,
                           Options(components=components), now=datetime.now(UTC))
    except PayloadError as exc:
        assert len(str(exc)) > 0
    else:
        assert result.status in STATUSES and len(result.detail) <= 200


@settings(max_examples=200, deadline=None)
@given(fmt=FORMATS, body=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
       content_type=st.sampled_from([JSON, RSS, ATOM, "text/html", "", "text/plain"]))
def test_parsing_any_bytes_never_raises(fmt, body, content_type):
    result = parse(fmt, b"<rss><channel>" + body if fmt == "feed" else body, content_type,
                   Options())
    assert result.status in STATUSES and len(result.detail or "") <= 200
    assert "unreadable payload" not in (result.detail or "")

"""Fuzz: hostile vendor text and HTTP bodies from one local server, through a real round and
into a real history folder. Every probe ends within its timeout + 0.5 s, no probe crashes,
and every sample of every round is stored (issue #21)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from xml.sax.saxutils import escape

import pyarrow.dataset as ds
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support_sampler import LocalServer, settings_for, write_config

from monitors.config import Settings
from monitors.history import HistoryWriter
from monitors.sampling.runner import run_round
from monitors.vocabulary import DETAIL_MAX, STATUSES

TIMEOUT_S = 2.0
SLACK_S = 0.5
CAP = 1 << 20  # the probes' body cap; some bodies go past it
CONTENT_TYPES = {
    "/api/v2/summary.json": "application/json",
    "/history.rss": "application/rss+xml",
    "/web": "text/html; charset=utf-8",
    "/api.json": "application/json",
}


class PayloadServer(LocalServer):
    """Serves whatever `body` holds right now on every path (content type by path)."""

    def __init__(self) -> None:
        self.body = b""
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with server.lock:
                    body = server.body
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPES.get(self.path, "text/plain"))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(Handler)

    def url(self, path: str) -> str:
        """Full URL of a path on this server."""
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture(scope="module")
def server() -> Iterator[PayloadServer]:
    """One local server for every example of the module."""
    target = PayloadServer()
    yield target
    target.close()


@pytest.fixture(scope="module")
def world(server: PayloadServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path]:
    """Loopback settings with the four checks under fuzz, and a real history folder."""
    root = tmp_path_factory.mktemp("fuzz")
    data = root / "data"
    data.mkdir()

    def platform(pid: str, check: dict) -> dict:
        return {"id": pid, "name": pid.title(), "provider": pid, "checks": [check]}

    platforms = [
        platform("statuspage", {"id": "status", "kind": "statuspage", "format": "statuspage",
                                "url": server.url("/api/v2/summary.json")}),
        platform("feed", {"id": "status", "kind": "statuspage", "format": "feed",
                          "url": server.url("/history.rss")}),
        platform("keyword", {"id": "web", "kind": "http", "url": server.url("/web"),
                             "keyword": "pulse"}),
        platform("jsonfield", {"id": "api", "kind": "http", "url": server.url("/api.json"),
                               "json_field": "status"}),
    ]
    config = write_config(root / "fuzz.toml", platforms=platforms, controls=[], data=data,
                          timeout=f"{TIMEOUT_S}s")
    return settings_for(config), data


# ----------------------------------------------------------------------- strategies
TOKENS = ["<", ">", "<p>", "</p>", "<small>", "<small", "</small>", "<script>", "</script",
          "<style>", "<strong>", "</strong>", "<br/>", "<div><b><i ", "&amp;", "&#", "&#x",
          "<!--", "]]>", "<![CDATA[", "\ud800", "\udfff", "\ud83d\ude00", "\ud83d", '"', "\\",
          "a", " ", "\n", "é", "\x00", "\x1b", "https://u:p@h/", "investigating", "pulse"]

soup = st.lists(st.sampled_from(TOKENS), max_size=80).map("".join)
huge = st.builds(lambda token, n: token * min(n, 900_000 // len(token)),
                 st.sampled_from(TOKENS), st.integers(1, 900_000))
surrogates = st.text(st.characters(categories=["Cs"]), max_size=20)
texts = st.one_of(st.text(max_size=200), soup, huge, surrogates,
                  st.lists(st.one_of(soup, surrogates), max_size=5).map("".join))


def _statuspage(t: list[str]) -> bytes:
    """Statuspage-shaped JSON; json.dumps writes lone surrogates as \\udXXX escapes."""
    return json.dumps({
        "page": {"id": "fuzz", "name": t[0], "url": t[1]},
        "status": {"indicator": "major", "description": t[2]},
        "components": [{"id": "c1", "name": t[3], "status": "partial_outage"}],
        "incidents": [{"name": t[4], "status": "investigating", "impact": "major",
                       "shortlink": t[1], "components": [{"name": t[3],
                                                          "status": "partial_outage"}],
                       "incident_updates": [{"body": t[5], "status": "investigating"}]}],
    }).encode()


def _feed(t: list[str]) -> bytes:
    """An RSS feed with the text escaped or as CDATA; surrogates become invalid UTF-8."""
    stamp = f"{datetime.now(UTC):%a, %d %b %Y %H:%M:%S +0000}"
    xml = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
           f"<title>{escape(t[0])}</title><item><title>{escape(t[4])}</title>"
           f"<pubDate>{stamp}</pubDate><description><![CDATA[<p><small>{t[2]}</small>"
           f"<strong>Investigating</strong> - {t[5]}</p>]]></description></item>"
           "</channel></rss>")
    return xml.encode("utf-8", "surrogatepass")


def _raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


nested = st.builds(lambda opener, n: opener * n, st.sampled_from([b"[", b'{"a":', b"<a>"]),
                   st.integers(1, 900_000))
bodies = st.one_of(
    st.lists(texts, min_size=6, max_size=6).map(_statuspage),
    st.lists(texts, min_size=6, max_size=6).map(_feed),
    texts.map(_raw),
    texts.map(lambda t: json.dumps({"status": t, "pulse": True}).encode()),
    nested,
    st.binary(max_size=4096),
    st.sampled_from([b"\xff\xfe\xfd", b"\xed\xa0\x80", b'{"status": "\xed\xa0\x80"}',
                     b"\x1f\x8b\x08\x00", b"x" * (CAP + 10)]),
)


# ----------------------------------------------------------------------- the property
@pytest.mark.timeout(180)  # the whole property; it runs in well under a minute
@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=bodies)
def test_hostile_bodies_end_in_time_and_every_sample_is_stored(
        server: PayloadServer, world: tuple[Settings, Path], body: bytes) -> None:
    config, data = world
    with server.lock:
        server.body = body
    start = time.perf_counter()
    found = asyncio.run(run_round(config.platforms, config.monitor))
    took = time.perf_counter() - start
    assert took < TIMEOUT_S + SLACK_S, f"round took {took:.2f}s"
    assert len(found.samples) == 4
    for sample in found.samples:
        assert sample["status"] in STATUSES
        assert sample["error"] not in ("probe_error", "timeout"), sample
        detail = sample["detail"] or ""
        assert len(detail) <= DETAIL_MAX
        detail.encode("utf-8")  # no lone surrogate reaches history
    for info in found.official.values():
        for value in (info.title, info.description, info.update, info.url, *info.components):
            (value or "").encode("utf-8")
    writer = HistoryWriter(str(data), config.monitor.vantage)  # as the sampler does
    writer.append(found.samples)
    writer.close()
    assert writer.stats["written"] == 4 and writer.stats["buffered"] == 0
    assert writer.text_dropped == 0  # the edge already made every text storable
    stored = ds.dataset(data / "samples", partitioning="hive").to_table().to_pylist()
    keys = {(row["platform"], row["ts"]) for row in stored}
    assert {(s["platform"], s["ts"]) for s in found.samples} <= keys

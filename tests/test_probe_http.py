"""The HTTP probe against real local servers: every error class, each within its deadline."""

from __future__ import annotations

import socket
import ssl

import httpx
import pytest
from pytest_httpserver import HTTPServer
from support_servers import (
    Certs,
    HostileServer,
    blackhole_port,
    refused_port,
    run_checks,
    timed,
)
from werkzeug import Response

from monitors.probes.http import HttpCheck, classify

pytest_plugins = ("support_servers",)

TIMEOUT_S = 0.5


def check_url(url: str, **fields: object) -> HttpCheck:
    """An HTTP check of one URL."""
    return HttpCheck(id="web", url=url, **fields)


def run_one(check: HttpCheck, timeout_s: float = TIMEOUT_S, **ctx: object):
    """(result, seconds) of one check through runner.run_check."""
    (result,), elapsed = timed(lambda: run_checks([check], timeout_s=timeout_s, **ctx))
    return result, elapsed


HOSTILE = [
    # path, extra check fields, status, error
    ("/drip", {}, "down", "timeout"),
    ("/hang", {}, "down", "timeout"),
    ("/endless", {"keyword": "never there"}, "down", "too_large"),
    ("/endless", {"json_field": "status"}, "down", "too_large"),
    ("/loop", {}, "down", "redirects"),
    ("/garbage", {}, "down", "protocol"),
    ("/close", {}, "down", "protocol"),
    ("/reset", {}, "down", "connect"),
    ("/midreset", {}, "down", "connect"),
    ("/missing", {}, "unknown", "refused"),  # a 4xx not expected: refused us, not down
    ("/slow?ms=250", {"degraded_after": 0.05}, "degraded", "slow"),
    ("/ok", {"keyword": "hello from pulse"}, "up", None),
]


@pytest.mark.parametrize(("path", "fields", "status", "error"), HOSTILE)
def test_it_classifies_each_hostile_endpoint_within_its_deadline(
    hostile: HostileServer, path: str, fields: dict, status: str, error: str | None
) -> None:
    result, elapsed = run_one(check_url(hostile.url(path), **fields))
    assert (result.status, result.error) == (status, error), result
    assert elapsed < TIMEOUT_S + 0.5


def test_it_cuts_a_slow_drip_at_the_timeout_even_though_no_single_read_stalls(
    hostile: HostileServer,
) -> None:
    result, elapsed = run_one(check_url(hostile.url("/drip")), timeout_s=0.4)
    assert (result.status, result.error) == ("down", "timeout")
    assert 0.35 < elapsed < 0.9


def test_it_names_the_stalled_phase_when_the_answer_never_comes(hostile: HostileServer) -> None:
    result, _ = run_one(check_url(hostile.url("/hang")))
    assert result.error == "timeout"
    assert result.detail in ("read timed out", f"not done within {TIMEOUT_S:g}s")


def test_it_classifies_a_refused_port_as_connect() -> None:
    result, elapsed = run_one(check_url(f"http://127.0.0.1:{refused_port()}/"))
    assert (result.status, result.error) == ("down", "connect")
    assert "refused" in result.detail.lower() or "111" in result.detail
    assert elapsed < TIMEOUT_S + 0.5


def test_it_classifies_a_connect_that_never_completes_as_timeout() -> None:
    with blackhole_port() as port:
        result, elapsed = run_one(check_url(f"http://127.0.0.1:{port}/"))
    assert (result.status, result.error) == ("down", "timeout")
    assert elapsed < TIMEOUT_S + 0.5


def test_it_classifies_a_name_that_does_not_resolve_as_dns(unresolvable: str) -> None:
    result, _ = run_one(check_url(f"http://{unresolvable}/"))
    assert (result.status, result.error) == ("down", "dns")
    assert "not resolved" in result.detail


def test_it_reads_an_endless_body_only_up_to_the_cap_when_nothing_needs_the_body(
    hostile: HostileServer,
) -> None:
    result, elapsed = run_one(check_url(hostile.url("/endless")), max_body_bytes=200_000)
    assert (result.status, result.http_status) == ("up", 200)
    assert "stopped reading" in result.detail
    assert elapsed < TIMEOUT_S + 0.5


def test_it_keeps_the_shared_client_usable_after_cancelled_checks(hostile: HostileServer) -> None:
    checks = [check_url(hostile.url(p)) for p in ("/drip", "/hang", "/endless", "/ok", "/ok")]
    results = run_checks(checks, timeout_s=0.3)
    assert [r.status for r in results[-2:]] == ["up", "up"]


def test_it_records_connect_and_first_byte_phases(hostile: HostileServer) -> None:
    result, _ = run_one(check_url(hostile.url("/slow?ms=100")))
    assert result.status == "up"
    assert {"connect", "ttfb", "total"} <= set(result.phases_ms)
    assert result.phases_ms["ttfb"] >= 90
    assert result.latency_ms == result.phases_ms["total"] >= result.phases_ms["ttfb"]


# ---------------------------------------------------------------- ordinary answers
@pytest.mark.parametrize(
    ("code", "expect", "status", "error"),
    [
        (200, [200], "up", None),
        (204, [200, 204], "up", None),
        (503, [200], "down", "http_status"),
        (500, [200], "down", "http_status"),
        (429, [200], "unknown", "refused"),
        (999, [200], "unknown", "refused"),
        (403, [200], "unknown", "refused"),
        (404, [200], "unknown", "refused"),
        (404, [200, 404], "up", None),
        (401, [200, 401], "up", None),
    ],
)
def test_it_judges_the_status_code_against_the_expected_codes(
    httpserver: HTTPServer, code: int, expect: list[int], status: str, error: str | None
) -> None:
    httpserver.expect_request("/status").respond_with_data("x", status=code)
    result, _ = run_one(check_url(httpserver.url_for("/status"), expect_status=expect))
    assert (result.status, result.error, result.http_status) == (status, error, code)


@pytest.mark.parametrize(
    ("body", "fields", "status", "error"),
    [
        ("<title>Instagram</title>", {"keyword": "Instagram"}, "up", None),
        ("<title>Just a moment…</title>", {"keyword": "Instagram"}, "down", "keyword"),
        ('{"error": {"code": 190}}', {"json_field": "error"}, "up", None),
        ('{"data": []}', {"json_field": "error"}, "down", "keyword"),
        ("[1, 2, 3]", {"json_field": "error"}, "down", "keyword"),
        ("<html>not json</html>", {"json_field": "error"}, "down", "keyword"),
        ('{"error": "x"}', {"keyword": "error", "json_field": "error"}, "up", None),
    ],
)
def test_it_checks_the_keyword_and_the_json_field(
    httpserver: HTTPServer, body: str, fields: dict, status: str, error: str | None
) -> None:
    httpserver.expect_request("/page").respond_with_data(body, content_type="text/html")
    result, _ = run_one(check_url(httpserver.url_for("/page"), **fields))
    assert (result.status, result.error) == (status, error)


def test_it_reports_a_json_body_over_the_cap_as_too_large(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_json({"error": "x" * 5000})
    result, _ = run_one(
        check_url(httpserver.url_for("/big"), json_field="error"), max_body_bytes=1000
    )
    assert (result.status, result.error) == ("down", "too_large")


def test_it_finds_a_keyword_early_in_a_body_larger_than_the_cap(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data("needle " + "h" * 5000)
    result, _ = run_one(
        check_url(httpserver.url_for("/big"), keyword="needle"), max_body_bytes=1000
    )
    assert result.status == "up"


def test_it_follows_redirects_and_says_where_it_ended(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old").respond_with_response(
        Response(status=301, headers={"Location": "/new"})
    )
    httpserver.expect_request("/new").respond_with_data("arrived")
    result, _ = run_one(check_url(httpserver.url_for("/old"), keyword="arrived"))
    assert (result.status, result.http_status) == ("up", 200)
    assert "1 redirect" in result.detail and "/new" in result.detail


@pytest.mark.parametrize(("limit", "status", "error"), [(2, "up", None), (1, "down", "redirects")])
def test_it_honours_the_checks_own_redirect_limit(
    httpserver: HTTPServer, limit: int, status: str, error: str | None
) -> None:
    httpserver.expect_request("/a").respond_with_response(
        Response(status=302, headers={"Location": "/b"})
    )
    httpserver.expect_request("/b").respond_with_response(
        Response(status=302, headers={"Location": "/c"})
    )
    httpserver.expect_request("/c").respond_with_data("end")
    result, _ = run_one(check_url(httpserver.url_for("/a"), max_redirects=limit))
    assert (result.status, result.error) == (status, error)


def test_it_judges_the_redirect_itself_when_not_following(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/moved").respond_with_response(
        Response(status=301, headers={"Location": "/elsewhere"})
    )
    result, _ = run_one(
        check_url(httpserver.url_for("/moved"), follow_redirects=False, expect_status=[301])
    )
    assert (result.status, result.http_status) == ("up", 301)


def test_it_sends_the_configured_user_agent_and_method(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/ua", method="HEAD", headers={"User-Agent": "PulseTest/1"}
    ).respond_with_data("")
    result, _ = run_one(
        check_url(httpserver.url_for("/ua"), method="HEAD"), user_agent="PulseTest/1"
    )
    assert result.status == "up", result


def test_it_marks_a_slow_but_correct_answer_degraded(hostile: HostileServer) -> None:
    result, _ = run_one(check_url(hostile.url("/slow?ms=150"), degraded_after=0.05))
    assert (result.status, result.error, result.http_status) == ("degraded", "slow", 200)
    assert result.latency_ms >= 150


# ---------------------------------------------------------------- TLS through HTTP
@pytest.mark.parametrize(
    ("cert", "status", "error", "words"),
    [
        ("valid", "up", None, ""),
        ("self_signed", "down", "tls", "self-signed"),
        ("expired", "down", "tls", "expired"),
        ("wrong_host", "down", "tls", "mismatch"),
    ],
)
def test_it_verifies_tls_and_classifies_bad_certificates(
    background, certs: Certs, cert: str, status: str, error: str | None, words: str
) -> None:
    server = HostileServer(background, getattr(certs, cert))
    try:
        result, elapsed = run_one(check_url(server.url("/ok")), ssl_context=certs.client_context())
    finally:
        server.close()
    assert (result.status, result.error) == (status, error), result
    assert words in (result.detail or "")
    assert elapsed < TIMEOUT_S + 0.5
    if status == "up":
        assert "tls" in result.phases_ms


# ---------------------------------------------------------------- classify() by type
def _chained(outer: BaseException, inner: BaseException) -> BaseException:
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(
    ("exc", "error"),
    [
        (httpx.ConnectTimeout("x"), "timeout"),
        (httpx.ReadTimeout("x"), "timeout"),
        (httpx.WriteTimeout("x"), "timeout"),
        (httpx.PoolTimeout("x"), "timeout"),
        (TimeoutError(), "timeout"),
        (httpx.TooManyRedirects("x"), "redirects"),
        (httpx.RemoteProtocolError("x"), "protocol"),
        (httpx.LocalProtocolError("x"), "protocol"),
        (httpx.DecodingError("x"), "protocol"),
        (_chained(httpx.ConnectError("x"), ssl.SSLCertVerificationError(1, "bad")), "tls"),
        (_chained(httpx.ConnectError("x"), ssl.SSLError(1, "alert")), "tls"),
        (_chained(httpx.ConnectError("x"), socket.gaierror(-2, "unknown")), "dns"),
        (_chained(httpx.ConnectError("x"), ConnectionRefusedError(111, "refused")), "connect"),
        (_chained(httpx.ReadError(""), ConnectionResetError(104, "reset")), "connect"),
        (httpx.ConnectError("x"), "connect"),
        (httpx.UnsupportedProtocol("x"), "connect"),
    ],
)
def test_it_classifies_exceptions_by_type_not_by_message(exc: BaseException, error: str) -> None:
    found, detail = classify(exc)
    assert found == error
    assert detail and len(detail) <= 200


def test_it_keeps_credentials_out_of_details() -> None:
    _, detail = classify(httpx.ConnectError("failed for https://bob:s3cret@host.test/x"))
    assert "s3cret" not in detail

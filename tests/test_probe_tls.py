"""The TLS probe against trustme certificates: valid, expiring, expired, self-signed, wrong host."""

from __future__ import annotations

import pytest
from support_servers import (
    BackgroundLoop,
    Certs,
    HostileServer,
    banner_server,
    blackhole_port,
    refused_port,
    run_checks,
    timed,
)

from monitors.probes.tls import TlsCheck

pytest_plugins = ("support_servers",)

TIMEOUT_S = 0.5


def handshake(certs: Certs, port: int, host: str = "127.0.0.1", **fields: object):
    """(result, seconds) of one TLS check trusting the test CA."""
    check = TlsCheck(id="tls", host=host, port=port, **fields)
    (result,), elapsed = timed(
        lambda: run_checks([check], timeout_s=TIMEOUT_S, ssl_context=certs.client_context())
    )
    return result, elapsed


@pytest.fixture(scope="module")
def servers(background: BackgroundLoop, certs: Certs):
    """One TLS server per certificate kind, by name."""
    names = ("valid", "expiring", "expired", "self_signed", "wrong_host")
    running = {name: HostileServer(background, getattr(certs, name)) for name in names}
    yield running
    for server in running.values():
        server.close()


@pytest.mark.parametrize(
    ("cert", "status", "error", "detail"),
    [
        ("valid", "up", None, "expires in 90 days"),
        ("expiring", "degraded", "cert_expiring", "expires in 5 days"),
        ("expired", "down", "tls", "certificate has expired"),
        ("self_signed", "down", "tls", "self-signed certificate"),
        ("wrong_host", "down", "tls", "mismatch"),
    ],
)
def test_it_classifies_each_certificate_within_its_deadline(
    certs: Certs, servers: dict, cert: str, status: str, error: str | None, detail: str
) -> None:
    result, elapsed = handshake(certs, servers[cert].port)
    assert (result.status, result.error) == (status, error), result
    assert detail in result.detail
    assert elapsed < TIMEOUT_S + 0.5


def test_it_verifies_against_the_server_name_when_one_is_given(certs: Certs, servers: dict) -> None:
    result, _ = handshake(certs, servers["wrong_host"].port, server_name="wrong-host.test")
    assert result.status == "up"


def test_it_is_up_for_a_soon_expiring_certificate_when_warn_days_allow(
    certs: Certs, servers: dict
) -> None:
    result, _ = handshake(certs, servers["expiring"].port, warn_days=3)
    assert (result.status, result.error) == ("up", None)


def test_it_classifies_a_server_that_does_not_speak_tls_as_tls(
    certs: Certs, background: BackgroundLoop
) -> None:
    plain = banner_server(background, b"HTTP/1.1 400 Bad Request\r\n\r\n")
    try:
        result, elapsed = handshake(certs, plain.sockets[0].getsockname()[1])
    finally:
        background.loop.call_soon_threadsafe(plain.close)
    assert (result.status, result.error) == ("down", "tls")
    assert elapsed < TIMEOUT_S + 0.5


@pytest.mark.parametrize(("where", "error"), [("refused", "connect"), ("blackhole", "timeout")])
def test_it_classifies_ports_that_never_handshake(certs: Certs, where: str, error: str) -> None:
    if where == "refused":
        result, elapsed = handshake(certs, refused_port())
    else:
        with blackhole_port() as port:
            result, elapsed = handshake(certs, port)
    assert (result.status, result.error) == ("down", error)
    assert elapsed < TIMEOUT_S + 0.5


def test_it_classifies_a_name_that_does_not_resolve_as_dns(certs: Certs, unresolvable: str) -> None:
    result, _ = handshake(certs, 443, host=unresolvable)
    assert (result.status, result.error) == ("down", "dns")

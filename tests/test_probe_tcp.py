"""The TCP probe against real loopback ports: open, refused, black-holed, unresolvable."""

from __future__ import annotations

from support_servers import HostileServer, blackhole_port, refused_port, run_checks, timed

from monitors.probes.tcp import TcpCheck

pytest_plugins = ("support_servers",)

TIMEOUT_S = 0.5


def connect(host: str, port: int, **fields: object):
    """(result, seconds) of one TCP check."""
    check = TcpCheck(id="tcp", host=host, port=port, **fields)
    (result,), elapsed = timed(lambda: run_checks([check], timeout_s=TIMEOUT_S))
    return result, elapsed


def test_it_reports_an_open_port_up_with_its_connect_time(hostile: HostileServer) -> None:
    result, elapsed = connect("127.0.0.1", hostile.port)
    assert (result.status, result.error) == ("up", None)
    assert 0 < result.latency_ms < elapsed * 1000


def test_it_classifies_a_refused_port_as_connect() -> None:
    result, elapsed = connect("127.0.0.1", refused_port())
    assert (result.status, result.error) == ("down", "connect")
    assert "Connect call failed" in result.detail or "refused" in result.detail.lower()
    assert elapsed < TIMEOUT_S + 0.5


def test_it_classifies_a_connect_that_never_completes_as_timeout() -> None:
    with blackhole_port() as port:
        result, elapsed = connect("127.0.0.1", port)
    assert (result.status, result.error) == ("down", "timeout")
    assert elapsed < TIMEOUT_S + 0.5


def test_it_classifies_a_name_that_does_not_resolve_as_dns(unresolvable: str) -> None:
    result, _ = connect(unresolvable, 443)
    assert (result.status, result.error) == ("down", "dns")


def test_it_marks_a_slow_connect_degraded(hostile: HostileServer) -> None:
    result, _ = connect("127.0.0.1", hostile.port, degraded_after=0.0)
    assert (result.status, result.error) == ("degraded", "slow")

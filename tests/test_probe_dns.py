"""The DNS probe against a scripted local dnslib server (never the system resolver)."""

from __future__ import annotations

import dns.resolver
import pytest
from pydantic import ValidationError
from support_servers import DnsServer, run_checks, timed

from monitors.probes import dns as dns_probe
from monitors.probes.dns import DnsCheck

pytest_plugins = ("support_servers",)

TIMEOUT_S = 0.5


def resolve(server: DnsServer, name: str, timeout_s: float = TIMEOUT_S, **fields: object):
    """(result, seconds) of one DNS check at the local server."""
    check = DnsCheck(id="dns", name=name, nameserver="127.0.0.1", port=server.port, **fields)
    (result,), elapsed = timed(lambda: run_checks([check], timeout_s=timeout_s))
    return result, elapsed


@pytest.mark.parametrize(
    ("name", "status", "error", "detail"),
    [
        ("ok.test", "up", None, "127.0.0.1"),
        ("many.test", "up", None, "127.0.0.1, 127.0.0.2, 127.0.0.3"),
        ("nx.test", "down", "dns", "NXDOMAIN"),
        ("fail.test", "down", "dns", "SERVFAIL"),
        ("empty.test", "down", "dns", "no A record"),
        ("silent.test", "down", "timeout", ""),
    ],
)
def test_it_classifies_each_kind_of_dns_answer_within_its_deadline(
    dns_server: DnsServer, name: str, status: str, error: str | None, detail: str
) -> None:
    result, elapsed = resolve(dns_server, name)
    assert (result.status, result.error) == (status, error), result
    assert detail in (result.detail or "")
    assert elapsed < TIMEOUT_S + 0.5


def test_it_retries_over_tcp_when_the_udp_answer_is_truncated(dns_server: DnsServer) -> None:
    result, _ = resolve(dns_server, "big.test")
    assert result.status == "up"
    assert ("big.test", "tcp") in dns_server.queries


def test_it_marks_a_slow_answer_degraded(dns_server: DnsServer) -> None:
    result, _ = resolve(dns_server, "ok.test", degraded_after=0.0)
    assert (result.status, result.error) == ("degraded", "slow")


def test_it_measures_the_latency_of_an_answer(dns_server: DnsServer) -> None:
    result, elapsed = resolve(dns_server, "ok.test")
    assert 0 < result.latency_ms < elapsed * 1000


def test_it_never_reads_the_system_configuration_when_a_nameserver_is_given(
    dns_server: DnsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("read /etc/resolv.conf")

    monkeypatch.setattr(dns.resolver.BaseResolver, "read_resolv_conf", forbidden)
    result, _ = resolve(dns_server, "ok.test", record="A")
    assert result.status == "up"


def test_it_asks_the_server_for_the_configured_record_type(dns_server: DnsServer) -> None:
    result, _ = resolve(dns_server, "ok.test", record="AAAA")
    assert (result.status, result.error) == ("down", "dns")
    assert "no AAAA record" in result.detail


def test_it_reports_a_machine_without_resolver_configuration_as_dns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(*args: object, **kwargs: object) -> None:
        raise dns.resolver.NoResolverConfiguration("no nameservers")

    monkeypatch.setattr(dns.resolver.BaseResolver, "read_resolv_conf", missing)
    monkeypatch.setattr(dns_probe, "_system", None)
    (result,) = run_checks([DnsCheck(id="dns", name="ok.test")], timeout_s=TIMEOUT_S)
    assert (result.status, result.error) == ("down", "dns")


@pytest.mark.parametrize("nameserver", ["ns1.example.test", "localhost"])
def test_it_refuses_a_nameserver_that_is_not_an_ip_address(nameserver: str) -> None:
    with pytest.raises(ValidationError, match="not an IP address"):
        DnsCheck(id="dns", name="ok.test", nameserver=nameserver)

"""DNS check: resolve a name (optionally at a given nameserver) and classify failures."""

from __future__ import annotations

import ipaddress
import time
from functools import lru_cache
from typing import Literal

import dns.asyncresolver
import dns.exception
import dns.resolver
from pydantic import Field, field_validator

from monitors.probes.base import CheckBase, Host, ProbeContext, ProbeResult, elapsed_ms
from monitors.text import short


class DnsCheck(CheckBase):
    """Resolve a name with dnspython's async resolver."""

    kind: Literal["dns"] = Field("dns", description="Check kind; selects the probe.")
    name: Host = Field(description="The name to resolve.")
    record: Literal["A", "AAAA", "CNAME", "MX", "NS", "TXT"] = Field(
        "A", description="Record type to ask for."
    )
    nameserver: Host | None = Field(
        None, description="IP of the nameserver to ask (default: the system resolver)."
    )
    port: int = Field(53, ge=1, le=65535, description="Nameserver port.")

    @field_validator("nameserver")
    @classmethod
    def _ip_only(cls, value: str | None) -> str | None:
        # dnspython wants an address here; a name would need a resolver to find the resolver.
        if value is not None:
            try:
                ipaddress.ip_address(value)
            except ValueError:
                raise ValueError(f"{value!r} is not an IP address") from None
        return value


# dnspython's own lifetime ends just before runner.run_check's hard deadline, so a silent
# server is usually reported by the resolver rather than cut off by the runner.
_LIFETIME_SHARE = 0.9
# The system configuration is re-read this often: a laptop that changes networks gets new
# nameservers, and stale ones would look like every platform's DNS failing at once.
_SYSTEM_TTL_S = 60.0
_system: tuple[float, dns.asyncresolver.Resolver] | None = None


def _system_resolver() -> dns.asyncresolver.Resolver:
    """The resolver from the system configuration (/etc/resolv.conf), cached briefly."""
    global _system
    now = time.monotonic()
    if _system is None or now - _system[0] > _SYSTEM_TTL_S:
        _system = (now, dns.asyncresolver.Resolver())
    return _system[1]


@lru_cache(maxsize=64)
def _nameserver_resolver(nameserver: str, port: int) -> dns.asyncresolver.Resolver:
    """A resolver asking one nameserver; it never reads the system configuration."""
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [nameserver]
    resolver.port = port
    return resolver


def _resolver(nameserver: str | None, port: int) -> dns.asyncresolver.Resolver:
    """The check's nameserver if it names one, else the system's."""
    return _nameserver_resolver(nameserver, port) if nameserver else _system_resolver()


def _failed_servers(exc: dns.resolver.NoNameservers) -> str:
    """'SERVFAIL from 127.0.0.1' out of dnspython's error list."""
    errors = exc.kwargs.get("errors") or []
    parts = []
    for error in errors[:3]:
        what = error[3]
        what = type(what).__name__ if isinstance(what, BaseException) else str(what)
        parts.append(f"{what} from {error[0]}")
    return short("; ".join(parts) or "all nameservers failed")


def _answer_text(answer: dns.resolver.Answer) -> str:
    values = [rdata.to_text() for rdata in answer]
    return short(", ".join(values[:8]) + (f" (+{len(values) - 8})" if len(values) > 8 else ""))


async def probe(check: DnsCheck, ctx: ProbeContext) -> ProbeResult:
    """Resolve the check's name and classify the outcome."""
    lifetime = max(ctx.timeout_s * _LIFETIME_SHARE, 0.01)
    start = time.perf_counter()
    try:
        resolver = _resolver(check.nameserver, check.port)  # may find no system configuration
        answer = await resolver.resolve(check.name, check.record, lifetime=lifetime, search=False)
    except dns.resolver.NXDOMAIN:
        return ProbeResult("down", elapsed_ms(start), error="dns", detail="NXDOMAIN")
    except dns.resolver.NoAnswer:
        return ProbeResult(
            "down", elapsed_ms(start), error="dns", detail=f"no {check.record} record (NOERROR)"
        )
    except dns.resolver.NoNameservers as exc:
        return ProbeResult("down", elapsed_ms(start), error="dns", detail=_failed_servers(exc))
    except dns.exception.Timeout:
        return ProbeResult(
            "down", elapsed_ms(start), error="timeout", detail=f"no DNS answer in {lifetime:.2g}s"
        )
    except (dns.exception.DNSException, OSError) as exc:
        return ProbeResult("down", elapsed_ms(start), error="dns", detail=short(exc))
    latency = elapsed_ms(start)
    detail = _answer_text(answer)
    if check.degraded_after is not None and latency > check.degraded_after * 1000.0:
        return ProbeResult("degraded", latency, error="slow", detail=detail)
    return ProbeResult("up", latency, detail=detail)

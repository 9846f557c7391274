"""DNS check: resolve a name (optionally at a given nameserver) and classify failures."""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Literal

import dns.asyncresolver
import dns.exception
import dns.resolver
from pydantic import Field

from monitors.probes.base import CheckBase, Host, ProbeContext, ProbeResult, elapsed_ms, short


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


# dnspython's own lifetime ends just before runner.run_check's hard deadline, so a silent
# server is reported by the resolver ("no answer from ...") rather than cut off blindly.
_LIFETIME_SHARE = 0.9


@lru_cache(maxsize=64)
def _resolver(nameserver: str | None, port: int) -> dns.asyncresolver.Resolver:
    """A resolver for one nameserver (never reading /etc/resolv.conf), or the system one."""
    if nameserver is None:
        return dns.asyncresolver.Resolver()  # the system configuration, read once
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [nameserver]
    resolver.port = port
    return resolver


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
    resolver = _resolver(check.nameserver, check.port)
    lifetime = max(ctx.timeout_s * _LIFETIME_SHARE, 0.01)
    start = time.perf_counter()
    try:
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

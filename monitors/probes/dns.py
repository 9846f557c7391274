"""DNS check: resolve a name (optionally at a given nameserver) and classify failures."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from monitors.probes.base import CheckBase, Host, ProbeContext, ProbeResult


class DnsCheck(CheckBase):
    """Resolve a name with dnspython's async resolver."""

    kind: Literal["dns"] = "dns"
    name: Host = Field(description="The name to resolve.")
    record: Literal["A", "AAAA", "CNAME", "MX", "NS", "TXT"] = Field(
        "A", description="Record type to ask for."
    )
    nameserver: Host | None = Field(
        None, description="IP of the nameserver to ask (default: the system resolver)."
    )
    port: int = Field(53, ge=1, le=65535, description="Nameserver port.")


async def probe(check: DnsCheck, ctx: ProbeContext) -> ProbeResult:
    """Resolve the check's name and classify the outcome."""
    raise NotImplementedError("dns probe: being built")

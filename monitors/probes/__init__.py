"""Check kinds: the PROBES registry and the AnyCheck union (the only list of kinds)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from pydantic import Field

from monitors.probes import dns, http, statuspage, tcp, tls
from monitors.probes.base import ProbeContext, ProbeResult
from monitors.probes.dns import DnsCheck
from monitors.probes.http import HttpCheck
from monitors.probes.statuspage import StatuspageCheck
from monitors.probes.tcp import TcpCheck
from monitors.probes.tls import TlsCheck

PROBES: dict[str, Callable[[Any, ProbeContext], Awaitable[ProbeResult]]] = {
    "http": http.probe,
    "dns": dns.probe,
    "tcp": tcp.probe,
    "tls": tls.probe,
    "statuspage": statuspage.probe,
}

AnyCheck = Annotated[
    HttpCheck | DnsCheck | TcpCheck | TlsCheck | StatuspageCheck, Field(discriminator="kind")
]

__all__ = [
    "PROBES",
    "AnyCheck",
    "DnsCheck",
    "HttpCheck",
    "ProbeContext",
    "ProbeResult",
    "StatuspageCheck",
    "TcpCheck",
    "TlsCheck",
]

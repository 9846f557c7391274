"""Checks, one module per kind, and ONE registry of kinds (results as data).

May use: only the shared vocabulary (monitors.vocabulary, monitors.timeutil); never history,
sampling, analysis, output, alerts or cli. Adding a kind is one module (its check model and
`probe()`) and one line in KINDS; PROBES, AnyCheck, the config's kind list, the docs
generator and the capability flags all come from here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Union

from pydantic import Field

import monitors.probes._httpx  # noqa: F401  (first: httpx without its command-line tool)
from monitors.probes import dns, http, statuspage, tcp, tls
from monitors.probes.base import CheckBase, ProbeContext, ProbeResult
from monitors.probes.dns import DnsCheck
from monitors.probes.http import HttpCheck
from monitors.probes.statuspage import StatuspageCheck
from monitors.probes.tcp import TcpCheck
from monitors.probes.tls import TlsCheck

Probe = Callable[[Any, ProbeContext], Awaitable[ProbeResult]]


@dataclass(frozen=True, slots=True)
class Kind:
    """One check kind: its config model, its probe and what the rest of the house may ask."""

    name: str
    model: type[CheckBase]
    probe: Probe
    summary: str  # one line for docs/configuration.md
    official: bool = False  # the vendor's word (a second signal), not a probe of a surface
    uses_http: bool = False  # wants an HTTP client (the sampler gives it a fresh one a check)
    explains: bool = False  # infrastructure (dns, tls): explains a failure, users don't feel it


KINDS: dict[str, Kind] = {kind.name: kind for kind in (
    Kind("http", HttpCheck, http.probe, "Fetch a URL anonymously and judge it.", uses_http=True),
    Kind("dns", DnsCheck, dns.probe, "Resolve a name.", explains=True),
    Kind("tcp", TcpCheck, tcp.probe, "Open a TCP connection."),
    Kind("tls", TlsCheck, tls.probe, "Handshake and check certificate expiry.", explains=True),
    Kind("statuspage", StatuspageCheck, statuspage.probe,
         "Read the vendor's official status (a second signal, not a probe surface).",
         official=True, uses_http=True),
)}

PROBES: dict[str, Probe] = {name: kind.probe for name, kind in KINDS.items()}
OFFICIAL_KINDS: tuple[str, ...] = tuple(n for n, k in KINDS.items() if k.official)
HTTP_KINDS: frozenset[str] = frozenset(n for n, k in KINDS.items() if k.uses_http)
INFRASTRUCTURE_KINDS: tuple[str, ...] = tuple(n for n, k in KINDS.items() if k.explains)

AnyCheck = Annotated[Union[tuple(k.model for k in KINDS.values())],  # noqa: UP007
                     Field(discriminator="kind")]


def is_official(kind: str) -> bool:
    """Whether checks of this kind carry the vendor's word rather than probe a surface."""
    return kind in OFFICIAL_KINDS


__all__ = [
    "HTTP_KINDS",
    "INFRASTRUCTURE_KINDS",
    "KINDS",
    "OFFICIAL_KINDS",
    "PROBES",
    "AnyCheck",
    "DnsCheck",
    "HttpCheck",
    "Kind",
    "ProbeContext",
    "ProbeResult",
    "StatuspageCheck",
    "TcpCheck",
    "TlsCheck",
    "is_official",
]

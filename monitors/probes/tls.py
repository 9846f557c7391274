"""TLS check: handshake, verify, and count the days until the certificate expires."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from monitors.probes.base import CheckBase, Host, ProbeContext, ProbeResult


class TlsCheck(CheckBase):
    """Handshake with host:port and read the certificate's expiry."""

    kind: Literal["tls"] = "tls"
    host: Host = Field(description="Host name to connect to (and the SNI name).")
    port: int = Field(443, ge=1, le=65535, description="TLS port.")
    server_name: str | None = Field(None, description="SNI / verification name if not host.")
    warn_days: int = Field(14, ge=0, le=365, description="Degraded when fewer days remain.")


async def probe(check: TlsCheck, ctx: ProbeContext) -> ProbeResult:
    """Handshake and report days to expiry."""
    raise NotImplementedError("tls probe: being built")

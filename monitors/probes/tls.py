"""TLS check: handshake, verify, and count the days until the certificate expires."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from datetime import UTC, datetime
from typing import Literal

from pydantic import Field

from monitors.probes.base import CheckBase, Host, ProbeContext, ProbeResult, elapsed_ms
from monitors.text import short


class TlsCheck(CheckBase):
    """Handshake with host:port and read the certificate's expiry."""

    kind: Literal["tls"] = Field("tls", description="Check kind; selects the probe.")
    host: Host = Field(description="Host name to connect to (and the SNI name).")
    port: int = Field(443, ge=1, le=65535, description="TLS port.")
    server_name: str | None = Field(None, description="SNI / verification name if not host.")
    warn_days: int = Field(14, ge=0, le=365, description="Degraded when fewer days remain.")


_SHUTDOWN_S = 2.0  # how long the closed connection may linger waiting for close_notify


def _verify_detail(exc: ssl.SSLError) -> str:
    """The verifier's own words ('certificate has expired', 'self-signed certificate')."""
    message = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or str(exc)
    return short(f"TLS: {message}")


async def _handshake(check: TlsCheck, ctx: ProbeContext) -> dict:
    """Connect, handshake with verification on, and return the peer certificate."""
    _, writer = await asyncio.open_connection(
        check.host,
        check.port,
        ssl=ctx.ssl_context,
        server_hostname=check.server_name or check.host,
        ssl_handshake_timeout=max(ctx.timeout_s, 0.01),
        ssl_shutdown_timeout=_SHUTDOWN_S,
    )
    cert = writer.get_extra_info("peercert") or {}
    # Not awaited: a peer that never answers close_notify must not hold the check open.
    writer.close()
    return cert


def _judge(check: TlsCheck, cert: dict, latency: float) -> ProbeResult:
    """Up with days left; degraded under warn_days (or slow); down without a certificate."""
    if "notAfter" not in cert:
        return ProbeResult("down", latency, error="tls", detail="no peer certificate")
    expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), UTC)
    days = int((expires - datetime.now(UTC)).total_seconds() // 86400)
    detail = f"expires in {days} day{'' if days == 1 else 's'} ({expires:%Y-%m-%d})"
    if days < check.warn_days:
        return ProbeResult("degraded", latency, error="cert_expiring", detail=detail)
    if check.degraded_after is not None and latency > check.degraded_after * 1000.0:
        return ProbeResult("degraded", latency, error="slow", detail=detail)
    return ProbeResult("up", latency, detail=detail)


async def probe(check: TlsCheck, ctx: ProbeContext) -> ProbeResult:
    """Handshake and report days to expiry."""
    start = time.perf_counter()
    try:
        cert = await _handshake(check, ctx)
    except ssl.SSLError as exc:  # self-signed, expired, wrong host, not TLS at all
        return ProbeResult("down", elapsed_ms(start), error="tls", detail=_verify_detail(exc))
    except socket.gaierror as exc:
        return ProbeResult("down", elapsed_ms(start), error="dns", detail=short(exc))
    except TimeoutError:  # the handshake timeout, or the OS giving up on the connect
        detail = "connect or TLS handshake timed out"
        return ProbeResult("down", elapsed_ms(start), error="timeout", detail=detail)
    except (OSError, EOFError) as exc:  # refused, reset, closed mid-handshake
        return ProbeResult("down", elapsed_ms(start), error="connect", detail=short(exc))
    return _judge(check, cert, elapsed_ms(start))

"""TCP check: connect to host:port and time it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from typing import Literal

from pydantic import Field

from monitors.probes.base import CheckBase, Host, ProbeContext, ProbeResult, elapsed_ms
from monitors.text import short


class TcpCheck(CheckBase):
    """Open a TCP connection."""

    kind: Literal["tcp"] = Field("tcp", description="Check kind; selects the probe.")
    host: Host = Field(description="Host name or IP.")
    port: int = Field(ge=1, le=65535, description="TCP port.")


async def probe(check: TcpCheck, ctx: ProbeContext) -> ProbeResult:
    """Open a TCP connection to the check's host and port and time it."""
    start = time.perf_counter()
    try:
        _, writer = await asyncio.open_connection(check.host, check.port)
    except socket.gaierror as exc:
        return ProbeResult("down", elapsed_ms(start), error="dns", detail=short(exc))
    except TimeoutError as exc:  # the OS gave up (ETIMEDOUT) before our deadline
        return ProbeResult("down", elapsed_ms(start), error="timeout", detail=short(exc))
    except OSError as exc:
        return ProbeResult("down", elapsed_ms(start), error="connect", detail=short(exc))
    latency = elapsed_ms(start)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    if check.degraded_after is not None and latency > check.degraded_after * 1000.0:
        detail = f"connect took {latency:.0f} ms"
        return ProbeResult("degraded", latency, error="slow", detail=detail)
    return ProbeResult("up", latency)

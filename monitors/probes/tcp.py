"""TCP check: connect to host:port and time it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from monitors.probes.base import CheckBase, Host, ProbeContext, ProbeResult


class TcpCheck(CheckBase):
    """Open a TCP connection."""

    kind: Literal["tcp"] = "tcp"
    host: Host = Field(description="Host name or IP.")
    port: int = Field(ge=1, le=65535, description="TCP port.")


async def probe(check: TcpCheck, ctx: ProbeContext) -> ProbeResult:
    """Open a TCP connection to the check's host and port and time it."""
    raise NotImplementedError("tcp probe: being built")

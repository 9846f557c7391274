"""Official status check: vendor status pages (Statuspage v2, Slack, RSS/Atom, Meta)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from monitors.probes.base import CheckBase, HttpURL, ProbeContext, ProbeResult


class StatuspageCheck(CheckBase):
    """Read a vendor's machine-readable status and normalise it."""

    kind: Literal["statuspage"] = "statuspage"
    url: HttpURL = Field(description="Status endpoint, e.g. https://discordstatus.com/api/v2/summary.json")
    format: Literal["auto", "statuspage", "slack", "feed", "metastatus"] = Field(
        "auto", description="Payload format; auto guesses from the URL and content."
    )
    components: list[str] = Field(
        default_factory=list,
        description="Only these components (or Meta services) matter; empty: all of them.",
    )
    orgs: list[str] = Field(
        default_factory=list, description="metastatus.com org ids to watch (Meta only)."
    )
    page_id: str | None = Field(None, description="Expected Statuspage page id, if known.")


async def probe(check: StatuspageCheck, ctx: ProbeContext) -> ProbeResult:
    """Fetch the status payload and normalise it to up/degraded/down/unknown."""
    raise NotImplementedError("statuspage probe: being built")

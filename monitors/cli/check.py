"""`python -m monitors check`: one round of every check, printed as an aligned table (with
the official status lines and the verdict of each platform) or as raw-sample JSON."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from monitors import verdict
from monitors.config import Platform, Settings
from monitors.probes import is_official
from monitors.probes.base import OfficialInfo, ProbeResult
from monitors.sampling.runner import Round, control_check, run_round
from monitors.text import short


def samples_json(samples: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Raw samples as JSON-ready objects (ts as ISO 8601 UTC with milliseconds)."""
    return [
        {**row, "ts": row["ts"].isoformat(timespec="milliseconds").replace("+00:00", "Z")}
        for row in samples
    ]


def _latency(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} ms" if value < 1000 else f"{value / 1000:.2f} s"


def _cells(platform: str, check: str, kind: str, result: ProbeResult | dict) -> list[str]:
    get = result.get if isinstance(result, dict) else lambda key: getattr(result, key)
    detail = get("detail") or ""
    return [
        platform,
        check,
        kind,
        get("status"),
        _latency(get("latency_ms")),
        str(get("http_status") or "-"),
        get("error") or "-",
        detail if len(detail) <= 72 else detail[:71] + "…",
    ]


def _official_line(info: OfficialInfo, result: ProbeResult | None) -> str:
    """'official: degraded — <title> (investigating)'."""
    status = result.status if result is not None else info.indicator
    text = info.title or info.description or info.indicator
    state = f" ({info.incident_status})" if info.incident_status else ""
    return short(f"official: {status} — {text}{state}")


def _verdict(found: Round) -> str:
    if found.vantage_offline:
        return f"own network: OFFLINE ({found.offline_reason}); platform samples are unknown"
    if found.controls_ok is None:
        return "own network: no controls configured"
    up = sum(r.status in ("up", "degraded") for r in found.controls.values())
    return f"own network: ok ({up}/{len(found.controls)} controls reachable)"


def format_round(found: Round, platforms: Sequence[Platform]) -> str:
    """A readable, aligned table of one round, official status lines and a verdict line."""
    header = ["PLATFORM", "CHECK", "KIND", "STATUS", "LATENCY", "HTTP", "ERROR", "DETAIL"]
    rows: list[list[str] | str] = [
        _cells("(control)", target, control_check(target).kind, result)
        for target, result in found.controls.items()
    ]
    by_platform: dict[str, list[dict[str, Any]]] = {}
    for row in found.samples:
        by_platform.setdefault(row["platform"], []).append(row)
    verdicts = verdict.platform_verdicts(found.samples)
    for platform in platforms:
        for row in by_platform.get(platform.id, []):
            rows.append(_cells(platform.id, row["check"], row["kind"], row))
        if platform.id in found.official:
            status_check = next((c.id for c in platform.checks if is_official(c.kind)), "")
            result = found.results.get((platform.id, status_check))
            rows.append("    " + _official_line(found.official[platform.id], result))
        if platform.id in verdicts:
            rows.append(f"    verdict: {platform.id} {verdicts[platform.id]}")
    widths = [max(len(r[i]) for r in [header, *rows] if isinstance(r, list)) for i in range(8)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True))]
    for row in rows:
        text = (
            row
            if isinstance(row, str)
            else "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        )
        lines.append(text.rstrip())
    counts = Counter(row["status"] for row in found.samples)
    tally = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("up", "degraded", "down", "unknown"))
    noun = "check" if len(found.samples) == 1 else "checks"
    lines.append(f"{len(found.samples)} {noun}: {tally} · {_verdict(found)}")
    return "\n".join(line.rstrip() for line in lines)


def cli_check(args: Any, settings: Settings) -> int:
    """`python -m monitors check`: one round of every check, printed as a table or JSON."""
    found = asyncio.run(run_round(settings.platforms, settings.monitor))
    if getattr(args, "json", False):
        print(json.dumps(samples_json(found.samples), indent=2))
    else:
        print(format_round(found, settings.platforms))
    return 0

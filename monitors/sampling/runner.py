"""One round: every check concurrently under a deadline, then the vantage-offline verdict."""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import httpx

from monitors import verdict
from monitors.config import Monitor, Platform
from monitors.probes import HTTP_KINDS, PROBES, AnyCheck
from monitors.probes.base import (
    OfficialInfo,
    ProbeContext,
    ProbeResult,
    make_client,
    make_ssl_context,
)
from monitors.probes.http import HttpCheck
from monitors.probes.tcp import TcpCheck
from monitors.sampling import overload
from monitors.sampling.politeness import Politeness
from monitors.text import short
from monitors.timeutil import utcnow
from monitors.vocabulary import COLUMNS

log = logging.getLogger("monitors.runner")

# The cross-provider rule (DESIGN.md "Own network vs platform").
OFFLINE_MIN_PLATFORMS = 3
OFFLINE_MIN_PROVIDERS = 2
OFFLINE_SHARE = 0.9


async def run_check(check: AnyCheck, ctx: ProbeContext) -> ProbeResult:
    """Run one check; always returns, within ctx.timeout_s."""
    try:
        async with asyncio.timeout(ctx.timeout_s):
            return await PROBES[check.kind](check, ctx)
    except TimeoutError:
        return ProbeResult("down", error="timeout", detail=f"not done within {ctx.timeout_s:g}s")
    except Exception as exc:  # a buggy probe must not end the round
        log.exception("probe %s crashed on check %s", check.kind, check.id)
        return ProbeResult("unknown", error="probe_error", detail=type(exc).__name__)


@dataclass
class Round:
    """What one round saw: samples ready for history plus the raw results behind them."""

    started: datetime
    ended: datetime
    vantage: str
    samples: list[dict[str, Any]]  # exactly schema.COLUMNS, after the vantage verdict
    controls_ok: bool | None  # None when no controls are configured
    vantage_offline: bool
    official: dict[str, OfficialInfo] = field(default_factory=dict)  # by platform id
    results: dict[tuple[str, str], ProbeResult] = field(default_factory=dict)  # as probed
    controls: dict[str, ProbeResult] = field(default_factory=dict)  # by control target
    offline_reason: str | None = None  # why the round is vantage_offline
    loop_lag_s: float = 0.0  # how late the event loop woke at worst during the round


def control_check(control: str) -> HttpCheck | TcpCheck:
    """A reachability control as a check: any HTTP answer below 500, or a TCP connect."""
    if control.startswith("tcp://"):
        host, _, port = control.removeprefix("tcp://").split("/", 1)[0].rpartition(":")
        return TcpCheck(id="control", host=host.strip("[]"), port=int(port))
    return HttpCheck(
        id="control", url=control, expect_status=list(range(100, 500)), follow_redirects=False
    )


@functools.lru_cache(maxsize=64)
def _control(control: str) -> HttpCheck | TcpCheck:
    """control_check(), built once per control (checks are frozen; a round needs no copy)."""
    return control_check(control)


def _controls(controls: Sequence[str]) -> list[HttpCheck | TcpCheck]:
    return [_control(c) for c in controls]


def _slot(moment: datetime) -> datetime:
    """A UTC datetime truncated to milliseconds (the Parquet ts precision)."""
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)


@dataclass(frozen=True, slots=True)
class _Gate:
    """The round's concurrency bound, and whether each HTTP check gets a client of its own."""

    slots: asyncio.Semaphore
    own_clients: bool


async def _gated(check: AnyCheck, ctx: ProbeContext, gate: _Gate) -> ProbeResult:
    async with gate.slots:
        if not gate.own_clients or check.kind not in HTTP_KINDS:
            return await run_check(check, ctx)
        # Every request opens a new connection whichever client sends it (probes/transport.py),
        # so each check measures DNS, connect and TLS afresh. A client per check keeps checks
        # anonymous: cookies a platform sets live for that check's own redirects only, never
        # reach the next check. With the lean transport a client costs ~0.05 ms to build.
        async with make_client(ctx.ssl_context, ctx.user_agent) as client:
            return await run_check(check, replace(ctx, client=client))


CHECK_SPACING_S = 0.25  # a platform's checks never start in the same instant


async def _probe_platform(
    platform: Platform, offset_s: float, ctx: ProbeContext, gate: _Gate,
    politeness: Politeness | None = None, spacing_s: float = 0.0,
) -> tuple[datetime, list[ProbeResult]]:
    """Start a platform's checks at its slot, `spacing_s` apart; (slot start, results)."""
    if offset_s > 0:
        await asyncio.sleep(offset_s)
    ts = _slot(utcnow())
    results = await asyncio.gather(*(
        _polite(platform, check, i * spacing_s, ctx, gate, politeness, ts)
        for i, check in enumerate(platform.checks)))
    return ts, list(results)


async def _polite(platform: Platform, check: AnyCheck, delay_s: float, ctx: ProbeContext,
                  gate: _Gate, politeness: Politeness | None,
                  ts: datetime) -> ProbeResult:
    """One check, unless the platform refused it lately (politeness.py)."""
    if delay_s > 0:
        await asyncio.sleep(delay_s)
    if politeness is None:
        return await _gated(check, ctx, gate)
    planned = politeness.plan(platform.id, check, ts)
    if isinstance(planned, ProbeResult):
        return planned
    result = await _gated(planned, ctx, gate)
    return politeness.observe(platform.id, check, planned, result, ts)


def offline_reason(
    platforms: Sequence[Platform],
    results: Sequence[Sequence[ProbeResult]],
    controls_ok: bool | None,
) -> str | None:
    """Why this round says the monitor's own network is offline, or None.

    1. Every reachability control failed, or
    2. at least 3 platforms had a verdict (`monitors.verdict`; refused and unknown ones
       don't count), at least 90 % of them were down, and those belong to at least 2
       providers.
    """
    if controls_ok is False:
        return "every reachability control failed"
    rows = [row for p, r in zip(platforms, results, strict=True)
            for row in verdict.result_rows(p.id, p.checks, r)]
    verdicts = verdict.platform_verdicts(rows)
    probed = [p for p in platforms if verdicts.get(p.id) in ("up", "degraded", "down")]
    failing = [p for p in probed if verdicts[p.id] == "down"]
    providers = {p.provider_name for p in failing}
    if (
        len(probed) >= OFFLINE_MIN_PLATFORMS
        and len(providers) >= OFFLINE_MIN_PROVIDERS
        and len(failing) >= OFFLINE_SHARE * len(probed)
    ):
        return f"{len(failing)} of {len(probed)} platforms across {len(providers)} providers failed"
    return None


def _sample(
    ts: datetime,
    vantage: str,
    platform: Platform,
    check: AnyCheck,
    result: ProbeResult,
    offline: bool,
) -> dict[str, Any]:
    """One raw-sample row (exactly schema.COLUMNS), rewritten when the vantage is offline."""
    row = {
        "ts": ts,
        "vantage": vantage,
        "platform": platform.id,
        "check": check.id,
        "kind": check.kind,
        "status": result.status,
        "latency_ms": result.latency_ms,
        "http_status": result.http_status,
        "error": result.error,
        "detail": short(result.detail) if result.detail else None,
    }
    if offline:
        saw = result.error or result.status
        row.update(
            status="unknown",
            latency_ms=None,
            http_status=None,
            error="vantage_offline",
            detail=short(f"own network offline; saw: {saw}"),
        )
    return {column: row[column] for column in COLUMNS}


async def _run_all(
    platforms: Sequence[Platform],
    controls: Sequence[str],
    ctx: ProbeContext,
    concurrency: int,
    spread_s: float,
    politeness: Politeness | None = None,
    own_clients: bool = False,
) -> tuple[list[ProbeResult], list[tuple[datetime, list[ProbeResult]]]]:
    """Controls first, then every platform at its offset; all bounded by one semaphore."""
    gate = _Gate(asyncio.Semaphore(concurrency), own_clients)
    control_tasks = [asyncio.ensure_future(_gated(c, ctx, gate)) for c in _controls(controls)]
    count = max(len(platforms), 1)
    most = max((len(p.checks) for p in platforms), default=1)
    spacing = min(CHECK_SPACING_S, spread_s / count / most) if spread_s > 0 else 0.0
    platform_tasks = [
        asyncio.ensure_future(
            _probe_platform(p, i * spread_s / count, ctx, gate, politeness, spacing))
        for i, p in enumerate(platforms)
    ]
    control_results = await asyncio.gather(*control_tasks)
    platform_results = await asyncio.gather(*platform_tasks)
    return list(control_results), list(platform_results)


async def run_round(
    platforms: Sequence[Platform],
    monitor: Monitor,
    *,
    vantage: str | None = None,
    client: httpx.AsyncClient | None = None,
    ssl_context: ssl.SSLContext | None = None,
    spread_s: float = 0.0,
    politeness: Politeness | None = None,
) -> Round:
    """Probe every platform (and the controls) once and apply the vantage-offline verdict.

    With `politeness` (the sampler's), refused checks are backed off and fall back to their
    other URLs; `spread_s` > 0 spreads platforms, and a platform's checks, over the round.
    """
    started = utcnow()
    ssl_context = ssl_context or make_ssl_context(monitor.ca_bundle)
    own_client = client is None
    if client is None:
        client = make_client(ssl_context, monitor.user_agent, concurrency=monitor.concurrency)
    ctx = ProbeContext(
        client=client,
        timeout_s=monitor.timeout,
        ssl_context=ssl_context,
        user_agent=monitor.user_agent,
    )
    meter = overload.LagMeter().start()
    try:
        control_results, platform_results = await _run_all(
            platforms, monitor.controls, ctx, monitor.concurrency, spread_s, politeness,
            own_client,
        )
    finally:
        lag = await meter.stop()
        if own_client:
            await client.aclose()
    control_results = overload.excuse(control_results, lag, monitor.timeout)
    platform_results = [(ts, overload.excuse(results, lag, monitor.timeout))
                        for ts, results in platform_results]
    found = _assemble(
        platforms, monitor, vantage or monitor.vantage, started, control_results, platform_results
    )
    found.loop_lag_s = lag
    return found


def _assemble(
    platforms: Sequence[Platform],
    monitor: Monitor,
    vantage: str,
    started: datetime,
    control_results: list[ProbeResult],
    platform_results: list[tuple[datetime, list[ProbeResult]]],
) -> Round:
    """Turn the raw results into a Round: verdict, samples, official info."""
    controls = dict(zip(monitor.controls, control_results, strict=True))
    controls_ok = _controls_ok(control_results) if controls else None
    reason = offline_reason(platforms, [r for _, r in platform_results], controls_ok)
    found = Round(
        started=started,
        ended=utcnow(),
        vantage=vantage,
        samples=[],
        controls_ok=controls_ok,
        vantage_offline=reason is not None,
        controls=controls,
        offline_reason=reason,
    )
    offline = found.vantage_offline
    for platform, (ts, results) in zip(platforms, platform_results, strict=True):
        for check, result in zip(platform.checks, results, strict=True):
            found.samples.append(_sample(ts, vantage, platform, check, result, offline))
            found.results[(platform.id, check.id)] = result
            if result.official is not None:
                found.official[platform.id] = result.official
    return found


def _controls_ok(results: Sequence[ProbeResult]) -> bool | None:
    """Any control reachable: True; none, but our own overload may be why: None; else False."""
    if any(r.status in ("up", "degraded") for r in results):
        return True
    return None if any(r.error == overload.OVERLOAD_ERROR for r in results) else False

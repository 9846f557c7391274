"""Our own starvation is not the platform's failure: a round whose event loop was starved
records its timeouts as unknown ("monitor overloaded"), never as down or own network offline."""

from __future__ import annotations

import asyncio
import time

from support_servers import HostileServer

from monitors.config import Monitor, Platform
from monitors.sampling import overload
from monitors.sampling.runner import run_round
from monitors.verdict import platform_verdicts

pytest_plugins = ("support_servers",)


def _setup(hostile: HostileServer) -> tuple[list[Platform], Monitor]:
    platforms = [Platform.model_validate({
        "id": f"p{i}", "name": f"P{i}", "provider": f"Prov{i % 2}",
        "checks": [{"id": "web", "kind": "http", "url": hostile.url("/slow?ms=200")}]})
        for i in range(3)]
    mon = Monitor.model_validate({"vantage": "lab", "timeout": 1.0,
                                  "controls": [hostile.url("/slow?ms=200")]})
    return platforms, mon


async def _round_while_blocked(platforms, mon, block_s: float):
    """One round while something in our own process holds the event loop for block_s."""
    async def hog():
        await asyncio.sleep(0.1)  # let every check send its request first
        time.sleep(block_s)  # CPU-bound work on the loop: nothing else runs

    found, _ = await asyncio.gather(run_round(platforms, mon), hog())
    return found


def test_a_starved_round_records_its_timeouts_as_overload_not_outage(hostile: HostileServer):
    platforms, mon = _setup(hostile)
    quiet = asyncio.run(run_round(platforms, mon))
    assert {r["status"] for r in quiet.samples} == {"up"}
    assert quiet.loop_lag_s < overload.threshold_s(mon.timeout)

    busy = asyncio.run(_round_while_blocked(platforms, mon, 1.5))
    assert busy.loop_lag_s >= 1.0
    assert {(r["status"], r["error"]) for r in busy.samples} == {("unknown", "overloaded")}
    assert all("monitor overloaded" in r["detail"] for r in busy.samples)
    assert not busy.vantage_offline  # the controls timed out for the same reason
    assert busy.controls_ok is None
    assert set(platform_verdicts(busy.samples).values()) == {"unknown"}


def test_a_short_hiccup_does_not_excuse_a_real_timeout(hostile: HostileServer):
    platforms = [Platform.model_validate({
        "id": "p", "name": "P", "provider": "P",
        "checks": [{"id": "web", "kind": "http", "url": hostile.url("/hang")}]})]
    mon = Monitor.model_validate({"vantage": "lab", "timeout": 1.0, "controls": []})
    found = asyncio.run(_round_while_blocked(platforms, mon, 0.1))
    assert found.loop_lag_s < overload.threshold_s(mon.timeout)
    assert [(r["status"], r["error"]) for r in found.samples] == [("down", "timeout")]


def test_the_lag_meter_sees_a_blocked_loop():
    async def measure() -> float:
        meter = overload.LagMeter().start()
        await asyncio.sleep(0.1)
        time.sleep(0.4)
        await asyncio.sleep(0.1)
        return await meter.stop()

    assert 0.3 <= asyncio.run(measure()) < 2.0

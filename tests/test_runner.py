"""Rounds against local servers: samples, controls, the vantage-offline verdict, concurrency."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, timedelta

import pytest
from support_servers import HostileServer, refused_port, timed

from monitors.config import Monitor, Platform
from monitors.probes import PROBES
from monitors.probes.base import OfficialInfo, ProbeResult, make_client
from monitors.sampling.runner import Round, offline_reason, run_round
from monitors.vocabulary import COLUMNS

pytest_plugins = ("support_servers",)


def platform(pid: str, provider: str, *checks: dict) -> Platform:
    """A platform with the given check dicts."""
    return Platform.model_validate(
        {"id": pid, "name": pid.title(), "provider": provider, "checks": list(checks)}
    )


def http(url: str, cid: str = "web", **fields: object) -> dict:
    """An http check dict."""
    return {"id": cid, "kind": "http", "url": url, **fields}


def tcp(port: int, cid: str = "tcp") -> dict:
    """A tcp check dict on loopback."""
    return {"id": cid, "kind": "tcp", "host": "127.0.0.1", "port": port}


def monitor(controls: list[str], **fields: object) -> Monitor:
    """A loopback monitor config."""
    return Monitor.model_validate(
        {"vantage": "lab", "timeout": 1.0, "controls": controls, **fields}
    )


def run(platforms: list[Platform], mon: Monitor, **kwargs: object) -> Round:
    """One round, synchronously."""
    return asyncio.run(run_round(platforms, mon, **kwargs))


@pytest.fixture
def good_controls(hostile: HostileServer) -> list[str]:
    """One TCP and one HTTP control that answer."""
    return [f"tcp://127.0.0.1:{hostile.port}", hostile.url("/ok")]


@pytest.fixture
def dead_controls() -> list[str]:
    """Controls nobody answers."""
    return [f"tcp://127.0.0.1:{refused_port()}", f"http://127.0.0.1:{refused_port()}/"]


def fleet(hostile: HostileServer) -> list[Platform]:
    """Three healthy platforms of two providers."""
    return [
        platform("insta", "Meta", http(hostile.url("/ok")), tcp(hostile.port)),
        platform("whats", "Meta", http(hostile.url("/ok"))),
        platform("tube", "Google", http(hostile.url("/ok"), keyword="pulse")),
    ]


def test_a_healthy_round_has_one_up_sample_per_check(
    hostile: HostileServer, good_controls: list[str]
) -> None:
    found = run(fleet(hostile), monitor(good_controls))
    assert [(s["platform"], s["check"], s["status"]) for s in found.samples] == [
        ("insta", "web", "up"),
        ("insta", "tcp", "up"),
        ("whats", "web", "up"),
        ("tube", "web", "up"),
    ]
    assert (found.controls_ok, found.vantage_offline) == (True, False)
    assert all(tuple(s) == COLUMNS and s["vantage"] == "lab" for s in found.samples)
    assert found.results[("insta", "tcp")].status == "up"
    assert found.started <= found.ended


def test_every_sample_of_a_platform_shares_its_slot_start_in_ms_utc(
    hostile: HostileServer, good_controls: list[str]
) -> None:
    found = run(fleet(hostile), monitor(good_controls))
    insta = {s["ts"] for s in found.samples if s["platform"] == "insta"}
    assert len(insta) == 1
    ts = insta.pop()
    assert ts.tzinfo == UTC and ts.microsecond % 1000 == 0
    assert found.started - timedelta(seconds=1) <= ts <= found.ended


def test_one_platform_down_leaves_the_others_up(
    hostile: HostileServer, good_controls: list[str]
) -> None:
    platforms = [*fleet(hostile), platform("gone", "X Corp", tcp(refused_port()))]
    found = run(platforms, monitor(good_controls))
    by_platform = {s["platform"]: (s["status"], s["error"]) for s in found.samples}
    assert by_platform["gone"] == ("down", "connect")
    assert by_platform["tube"] == ("up", None)
    assert found.vantage_offline is False


def test_failing_controls_make_every_sample_unknown_vantage_offline(
    hostile: HostileServer, dead_controls: list[str]
) -> None:
    platforms = [*fleet(hostile), platform("gone", "X Corp", tcp(refused_port()))]
    found = run(platforms, monitor(dead_controls))
    assert (found.controls_ok, found.vantage_offline) == (False, True)
    assert {(s["status"], s["error"]) for s in found.samples} == {("unknown", "vantage_offline")}
    details = {s["platform"]: s["detail"] for s in found.samples}
    assert details["gone"] == "own network offline; saw: connect"
    assert details["tube"] == "own network offline; saw: up"
    assert found.results[("tube", "web")].status == "up"  # results keep what was probed


def test_one_reachable_control_is_enough(
    hostile: HostileServer, good_controls: list[str], dead_controls: list[str]
) -> None:
    found = run(fleet(hostile), monitor([dead_controls[0], good_controls[1]]))
    assert (found.controls_ok, found.vantage_offline) == (True, False)


@pytest.mark.parametrize(("path", "reachable"), [("/missing", True), ("/garbage", False)])
def test_an_http_control_counts_any_answer_below_500_as_reachable(
    hostile: HostileServer, path: str, reachable: bool
) -> None:
    found = run([], monitor([hostile.url(path)]))
    assert found.controls_ok is reachable


def test_a_round_without_controls_has_no_control_verdict(hostile: HostileServer) -> None:
    found = run(fleet(hostile), monitor([]))
    assert (found.controls_ok, found.vantage_offline) == (None, False)


def test_nearly_every_platform_of_several_providers_down_means_our_network(
    good_controls: list[str],
) -> None:
    port = refused_port()
    platforms = [
        platform(p, prov, tcp(port)) for p, prov in (("a", "Meta"), ("b", "Meta"), ("c", "Google"))
    ]
    found = run(platforms, monitor(good_controls))
    assert (found.controls_ok, found.vantage_offline) == (True, True)
    assert {s["error"] for s in found.samples} == {"vantage_offline"}
    assert "3 of 3 platforms across 2 providers" in found.offline_reason


def _down() -> ProbeResult:
    return ProbeResult("down", error="connect")


def _up() -> ProbeResult:
    return ProbeResult("up", latency_ms=1.0)


@pytest.mark.parametrize(
    ("providers", "down", "offline"),
    [
        (["Meta", "Meta", "Google"], 3, True),  # 3 platforms, 2 providers, all down
        (["Meta", "Meta", "Meta"], 3, False),  # one provider: a provider outage
        (["Meta", "Google"], 2, False),  # fewer than 3 platforms probed
        (["Meta"] * 5 + ["Google"] * 5, 9, True),  # 90 % down across 2 providers
        (["Meta"] * 5 + ["Google"] * 5, 8, False),  # 80 % is a big outage, not us
        (["Meta"] * 9 + ["Google"], 9, False),  # the 9 down are all Meta
    ],
)
def test_the_cross_provider_rule(providers: list[str], down: int, offline: bool) -> None:
    platforms = [platform(f"p{i}", prov, tcp(9)) for i, prov in enumerate(providers)]
    results = [[_down()] if i < down else [_up()] for i in range(len(providers))]
    assert (offline_reason(platforms, results, controls_ok=True) is not None) is offline


def test_a_platform_counts_as_failing_only_when_every_probe_surface_fails() -> None:
    platforms = [platform(f"p{i}", f"prov{i}", tcp(9, "web"), tcp(9, "media")) for i in range(3)]
    partial = [[_down(), _down()], [_down(), _down()], [_down(), _up()]]
    assert offline_reason(platforms, partial, controls_ok=None) is None
    assert offline_reason(platforms, [[_down(), _down()]] * 3, controls_ok=None) is not None


def test_statuspage_checks_are_not_probe_surfaces() -> None:
    status = {"id": "status", "kind": "statuspage", "url": "http://127.0.0.1:9/api"}
    platforms = [platform(f"p{i}", f"prov{i}", status) for i in range(3)]
    results = [[_down()]] * 3
    assert offline_reason(platforms, results, controls_ok=None) is None


def test_a_crashing_probe_gives_probe_error_without_ending_the_round(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def crash(check: object, ctx: object) -> ProbeResult:
        raise RuntimeError("bug in a probe")

    monkeypatch.setitem(PROBES, "tcp", crash)
    with caplog.at_level(logging.ERROR, logger="monitors.runner"):
        found = run(fleet(hostile), monitor([]))
    by_check = {(s["platform"], s["check"]): s for s in found.samples}
    crashed = by_check[("insta", "tcp")]
    assert (crashed["status"], crashed["error"], crashed["detail"]) == (
        "unknown",
        "probe_error",
        "RuntimeError",
    )
    assert by_check[("insta", "web")]["status"] == "up"
    assert "probe tcp crashed" in caplog.text


def test_official_status_is_kept_per_platform_and_rewritten_when_offline(
    hostile: HostileServer, dead_controls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    info = OfficialInfo(indicator="minor", title="Elevated errors", incident_status="identified")

    async def official(check: object, ctx: object) -> ProbeResult:
        return ProbeResult("degraded", 5.0, 200, "official_incident", "Elevated errors", None, info)

    monkeypatch.setitem(PROBES, "statuspage", official)
    status = {"id": "status", "kind": "statuspage", "url": hostile.url("/ok")}
    found = run([platform("insta", "Meta", http(hostile.url("/ok")), status)], monitor([]))
    assert found.official == {"insta": info}
    assert found.samples[1]["error"] == "official_incident"
    offline = run([platform("insta", "Meta", status)], monitor(dead_controls))
    assert (offline.samples[0]["status"], offline.samples[0]["error"]) == (
        "unknown",
        "vantage_offline",
    )


def test_concurrency_is_bounded_by_the_monitor_setting(hostile: HostileServer) -> None:
    platforms = [platform(f"p{i}", "Load", http(hostile.url("/count?ms=150"))) for i in range(8)]

    async def go() -> Round:
        # A client with a big pool, so only the round's own bound can hold requests back.
        async with make_client(concurrency=64) as client:
            return await run_round(platforms, monitor([], concurrency=3), client=client)

    hostile.peak = 0
    found = asyncio.run(go())
    assert {s["status"] for s in found.samples} == {"up"}
    assert hostile.peak == 3


def test_a_hanging_check_cannot_hold_the_round_past_the_timeout(hostile: HostileServer) -> None:
    platforms = [platform("slow", "A", http(hostile.url("/hang")), http(hostile.url("/drip"), "m"))]
    found, elapsed = timed(lambda: run(platforms, monitor([], timeout=0.5)))
    assert {s["error"] for s in found.samples} == {"timeout"}
    assert elapsed < 0.5 + 0.5


def test_platforms_are_spread_over_the_round(hostile: HostileServer) -> None:
    platforms = [
        platform("a", "A", http(hostile.url("/ok"))),
        platform("b", "B", http(hostile.url("/ok"))),
    ]
    found = run(platforms, monitor([]), spread_s=0.4)
    first, second = (s["ts"] for s in found.samples)
    assert timedelta(seconds=0.15) <= second - first < timedelta(seconds=0.5)


def test_it_uses_a_given_client_and_leaves_it_open(hostile: HostileServer) -> None:
    async def go() -> tuple[Round, bool]:
        async with make_client(user_agent="Given/1") as client:
            found = await run_round(fleet(hostile), monitor([]), client=client, vantage="elsewhere")
            return found, client.is_closed

    found, closed = asyncio.run(go())
    assert closed is False
    assert {s["vantage"] for s in found.samples} == {"elsewhere"}

"""The demo: its story, its simulated platforms, a headless run checked against the script,
the synthetic history and the dashboard it starts (all on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta

import dns.asyncresolver
import dns.exception
import dns.resolver
import httpx
import pytest
from conftest import ROOT

from monitors import history
from monitors.analysis import incidents
from monitors.config import load_settings
from monitors.demo import dashboard_port, free_port
from monitors.demo.backfill import MARKER, backfill
from monitors.demo.config import demo_config, write_demo_settings
from monitors.demo.servers import SimPlatforms, StoryClock
from monitors.demo.story import META, SLOW_DELAY_S, DnsFailure, Scene, Story
from monitors.probes.base import ProbeContext, make_client
from monitors.probes.statuspage import StatuspageCheck
from monitors.probes.statuspage import probe as statuspage_probe
from monitors.timeutil import utcnow

SPEED = 24.0  # the 600 s story in 25 s
DURATION_S = 25


class FixedClock(StoryClock):
    """A story clock standing still at a chosen real second."""

    def __init__(self, elapsed_s: float) -> None:
        super().__init__()
        self.at_s = elapsed_s

    def elapsed(self) -> float:
        """The chosen second."""
        return self.at_s


@pytest.fixture
def sim_at():
    """Start simulated platforms frozen at a story second (speed 1)."""
    started: list[SimPlatforms] = []

    def start(story_s: float, story: Story | None = None) -> SimPlatforms:
        sim = SimPlatforms(story or Story(), FixedClock(story_s)).start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


def _resolve(sim: SimPlatforms, name: str, lifetime: float = 1.0) -> str:
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers, resolver.port = ["127.0.0.1"], sim.dns_port
    try:
        answer = asyncio.run(resolver.resolve(name, "A", lifetime=lifetime))
    except dns.resolver.NXDOMAIN:
        return "nxdomain"
    except dns.resolver.NoNameservers:
        return "servfail"
    except dns.exception.Timeout:
        return "timeout"
    return answer[0].to_text()


def _get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=5, trust_env=False)


# ------------------------------------------------------------------ the story as data
def test_the_story_at_150_s_has_meta_down_x_slow_tiktok_in_maintenance_and_reddit_flapping():
    world = Story().at(150)
    assert world.unreachable == frozenset(META)
    assert world.dns_mode("facebook", "dns") == "servfail"
    assert world.dns_mode("instagram", "dns-cdn") == "nxdomain"
    assert world.http_mode("x", "web") == ("slow", SLOW_DELAY_S)
    assert world.http_mode("reddit", "api") == ("flap", 0.0)
    assert world.http_mode("linkedin", "web") == ("ok", 0.0)
    assert [(e.name, e.status) for e in world.pages["tiktok"]] == [
        ("Scheduled infrastructure maintenance", "in_progress")]
    assert "meta" not in world.pages  # Meta has not said anything yet


def test_the_story_scales_with_speed_and_repeats_every_cycle():
    story = Story(speed=20)
    assert story.at(7.5).t == 150
    assert story.at(7.5).unreachable == frozenset(META)
    assert story.at(30 + 7.5).unreachable == frozenset(META)  # the next cycle
    calm = story.at(0.5)
    assert (calm.unreachable, calm.slow, calm.dns) == (frozenset(), {}, {})
    assert [e.status for e in calm.pages["tiktok"]] == ["scheduled"]  # announced ahead
    assert story.timeline()[0] == {
        "start_s": 1.5, "end_s": 28.5,
        "title": "Reddit API flapping: every other request fails (never an outage)"}


def test_the_vendor_updates_its_incident_and_resolves_it_when_the_scene_ends():
    story = Story()
    assert [e.status for e in story.at(200).pages["meta"]] == ["investigating"]
    assert [e.status for e in story.at(310).pages["meta"]] == ["identified"]
    assert "meta" not in story.at(430).pages
    assert "tiktok" not in story.at(430).pages


def test_speed_must_be_above_zero():
    with pytest.raises(ValueError, match="speed"):
        Story(speed=0)


# ------------------------------------------------------------------ simulated platforms
def test_the_simulated_platforms_answer_normally_when_the_story_is_calm(sim_at):
    sim = sim_at(10)
    assert _get(sim.url("facebook", "web")).status_code == 200
    assert "Facebook" in _get(sim.url("facebook", "web")).text
    assert _get(sim.url("linkedin", "api")).json()["error"]  # an API rejects anonymous calls
    assert _get(sim.control_url()).status_code == 200
    assert _resolve(sim, "www.facebook.com") == "127.0.0.1"
    assert _resolve(sim, "unknown.example") == "nxdomain"


def test_during_the_meta_outage_its_servers_refuse_and_its_names_fail(sim_at):
    sim = sim_at(150)
    with pytest.raises(httpx.ConnectError):
        _get(sim.url("instagram", "web"))
    assert _resolve(sim, "www.facebook.com") == "servfail"
    assert _resolve(sim, "mmg.whatsapp.net") == "nxdomain"
    assert _get(sim.url("linkedin", "web")).status_code == 200


def test_a_platform_accepts_connections_again_on_the_same_port_after_its_outage(sim_at):
    sim = sim_at(150)
    url = sim.url("facebook", "web")
    with pytest.raises(httpx.ConnectError):
        _get(url)
    sim.clock.at_s = 500  # type: ignore[attr-defined]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            assert _get(url).status_code == 200
            break
        except httpx.ConnectError:
            time.sleep(0.05)
    else:
        pytest.fail("facebook did not come back")


def test_slow_and_flapping_surfaces_behave_as_scripted(sim_at):
    sim = sim_at(150)
    started = time.perf_counter()
    assert _get(sim.url("x", "web")).status_code == 200
    assert time.perf_counter() - started >= SLOW_DELAY_S
    codes = [_get(sim.url("reddit", "api")).status_code for _ in range(4)]
    assert codes == [400, 503, 400, 503]  # every other request fails


def test_the_dns_server_can_stay_silent_for_a_scripted_timeout(sim_at):
    story = Story((Scene(0, 100, "silence", (DnsFailure(("facebook",), "timeout"),)),))
    sim = sim_at(10, story)
    assert _resolve(sim, "www.facebook.com", lifetime=0.3) == "timeout"
    assert _resolve(sim, "www.instagram.com") == "127.0.0.1"


def test_the_simulated_status_page_reads_as_maintenance_through_the_real_probe(sim_at):
    sim = sim_at(150)

    async def read() -> object:
        async with make_client() as client:
            check = StatuspageCheck(id="status", url=sim.status_url("tiktok"))
            return await statuspage_probe(check, ProbeContext(client=client, timeout_s=2))

    result = asyncio.run(read())
    assert (result.status, result.error) == ("degraded", "official_maintenance")
    assert "Scheduled infrastructure maintenance" in result.detail


def test_the_demo_config_is_loadable_toml_with_every_target_on_loopback(sim_at, tmp_path):
    sim = sim_at(0)
    settings = write_demo_settings(demo_config(sim, dashboard_port=1234), str(tmp_path))
    again = load_settings(str(tmp_path / "demo.toml"), str(tmp_path))
    assert again.platforms == settings.platforms
    assert {p.id for p in settings.platforms} >= {*META, "x", "tiktok", "reddit"}
    hosts = {httpx.URL(c.url).host for p in settings.platforms for c in p.checks
             if hasattr(c, "url")}
    hosts |= {c.nameserver for p in settings.platforms for c in p.checks if c.kind == "dns"}
    assert hosts == {"127.0.0.1"}
    assert all(p.impact.revenue_per_hour > 0 for p in settings.platforms)
    assert settings.platform("instagram").playbook.steps


# ------------------------------------------------------------------ a headless run
@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run `python -m monitors demo` headless for one short story; what it left behind."""
    data = tmp_path_factory.mktemp("demo") / "data"
    done = subprocess.run(
        [sys.executable, "-m", "monitors", "demo", "--no-dashboard", "--duration",
         str(DURATION_S), "--speed", str(SPEED), "--data", str(data)],
        capture_output=True, text=True, timeout=DURATION_S + 60, cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    settings = load_settings(str(data / "demo.toml"), str(data))
    samples = history.read_samples(str(data), utcnow() - timedelta(hours=1), utcnow())
    outages = incidents.detect(samples, settings.platforms, settings.monitor,
                               business=settings.business)
    state = json.loads((data / "state" / "demo.json").read_text())
    return {"data": data, "stdout": done.stdout, "outages": outages, "samples": samples,
            "started": datetime.fromisoformat(state["started_at"]), "timeline": state["timeline"]}


def _scene(run: dict, words: str) -> dict:
    return next(s for s in run["timeline"] if words in s["title"])


def _near(run: dict, moment: datetime, scene_s: float) -> bool:
    """The moment is within a round or two after the scene's scripted time."""
    offset = (moment - run["started"]).total_seconds() - scene_s
    return -0.5 <= offset <= 5.0


@pytest.mark.slow
def test_the_headless_demo_finds_exactly_the_scripted_incidents(demo_run):
    found = sorted((o.platform, o.severity) for o in demo_run["outages"])
    assert found == [("facebook", "down"), ("instagram", "down"), ("tiktok", "degraded"),
                     ("whatsapp", "down"), ("x", "degraded")]


@pytest.mark.slow
def test_the_meta_dns_outage_is_one_provider_incident_with_a_dns_cause(demo_run):
    groups = incidents.group_by_provider(demo_run["outages"])
    assert [(g.provider, sorted(g.platforms), g.severity) for g in groups] == [
        ("Meta", ["facebook", "instagram", "whatsapp"], "down")]
    scene = _scene(demo_run, "Meta-wide DNS outage")
    for outage in groups[0].outages:
        assert outage.cause.startswith("DNS / routing")
        assert "official" in outage.sources  # Meta acknowledged it on its status page
        assert _near(demo_run, outage.start, scene["start_s"])
        assert outage.end is not None and _near(demo_run, outage.end, scene["end_s"])


@pytest.mark.slow
def test_x_is_degraded_by_slow_responses(demo_run):
    (x,) = [o for o in demo_run["outages"] if o.platform == "x"]
    assert (x.severity, x.cause, x.checks) == ("degraded", "slow responses", ("api", "web"))
    assert _near(demo_run, x.start, _scene(demo_run, "X degraded")["start_s"])


@pytest.mark.slow
def test_tiktok_maintenance_is_labelled_as_scheduled_maintenance(demo_run):
    (tiktok,) = [o for o in demo_run["outages"] if o.platform == "tiktok"]
    assert (tiktok.maintenance, tiktok.cause, tiktok.sources) == (
        True, "scheduled maintenance", ("official",))


@pytest.mark.slow
def test_the_flapping_endpoint_failed_often_but_never_became_an_outage(demo_run):
    samples = demo_run["samples"]
    flaps = samples[(samples["platform"] == "reddit") & (samples["check"] == "api")]
    assert (flaps["status"] == "down").sum() >= 3
    assert (flaps["status"] == "up").sum() >= 3
    assert not [o for o in demo_run["outages"] if o.platform == "reddit"]


@pytest.mark.slow
def test_demo_data_carries_the_synthetic_marker_and_its_config(demo_run):
    marker = json.loads((demo_run["data"] / "state" / MARKER).read_text())
    assert marker["synthetic"] is True
    assert marker["note"].startswith("DEMO DATA")
    assert datetime.fromisoformat(marker["generated_at"])
    assert (demo_run["data"] / "demo.toml").is_file()
    assert "Press Ctrl-C to stop." in demo_run["stdout"]


# ------------------------------------------------------------------ synthetic history
@pytest.mark.slow
def test_the_backfill_writes_ninety_days_with_the_past_outages(sim_at, tmp_path):
    settings = write_demo_settings(demo_config(sim_at(0)), str(tmp_path))
    end = utcnow()
    stats = backfill(settings, 90 * 86400, end=end)
    assert stats["rows"] > 500_000
    samples = history.read_eventful_samples(str(tmp_path), end - timedelta(days=91), end)
    outages = incidents.detect(samples, settings.platforms, settings.monitor)
    assert [g.platforms for g in incidents.group_by_provider(outages)] == [META]
    by_platform = {o.platform: o for o in outages}
    assert set(by_platform) == {*META, "x", "tiktok", "instagram", "youtube", "discord"}
    assert by_platform["tiktok"].maintenance
    assert by_platform["youtube"].checks == ("media",)  # a partial outage: media down, web up
    assert all(o.end is not None and o.start > end - timedelta(days=90) for o in outages)


# ------------------------------------------------------------------ with the dashboard
@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / "dashboard.py").is_file(), reason="no dashboard yet")
def test_the_demo_serves_the_dashboard_and_stops_cleanly_on_ctrl_c(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "monitors", "demo", "--port", "0", "--speed", "20",
         "--data", str(tmp_path / "data")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    try:
        port = _dashboard_port(process, lines)
        assert _wait_healthy(port, 90), "the dashboard never answered /_stcore/health"
        process.send_signal(signal.SIGINT)
        process.wait(timeout=40)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    time.sleep(0.2)  # the reader thread takes the last lines
    output = "".join(lines)
    assert process.returncode == 0, output[-3000:]
    assert "Demo stopped" in output
    with pytest.raises(httpx.ConnectError):
        _get(f"http://127.0.0.1:{port}/_stcore/health")  # Streamlit is gone too


def _dashboard_port(process: subprocess.Popen, lines: list[str]) -> int:
    """Read the demo's output in a thread (so its pipe never fills); the dashboard's port."""
    assert process.stdout is not None
    threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        match = re.search(r"dashboard\s+http://127\.0\.0\.1:(\d+)", "".join(lines))
        if match:
            return int(match.group(1))
        time.sleep(0.1)
    pytest.fail("the demo never printed its dashboard URL:\n" + "".join(lines)[-2000:])


def _wait_healthy(port: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if _get(f"http://127.0.0.1:{port}/_stcore/health").status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


def test_a_zero_speed_is_refused_with_exit_code_2(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "monitors", "demo", "--no-dashboard", "--speed", "0",
         "--data", str(tmp_path)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 2
    assert "--speed" in done.stdout + done.stderr


def test_a_busy_dashboard_port_is_swapped_for_a_free_one():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        assert dashboard_port(taken) != taken
    port = free_port()
    assert dashboard_port(port) == port


def test_a_second_demo_on_the_same_data_folder_is_refused(tmp_path):
    held = history.acquire_writer_lock(str(tmp_path), "demo")
    assert held is not None
    try:
        done = subprocess.run(
            [sys.executable, "-m", "monitors", "demo", "--no-dashboard", "--duration", "1",
             "--data", str(tmp_path)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    finally:
        held.release()
    assert done.returncode == 1
    assert "another demo is running" in done.stdout
    assert not (tmp_path / "demo.toml").exists()  # the running demo's config is untouched


# ------------------------------------------------------------------ restarting
def _demo_ports(data) -> dict[str, int]:
    """Every port the demo's config points at: per platform check, the DNS and the control."""
    settings = load_settings(str(data / "demo.toml"), str(data))
    ports = {f"{p.id}/{c.id}": (httpx.URL(c.url).port if hasattr(c, "url") else c.port)
             for p in settings.platforms for c in p.checks}
    ports["control"] = httpx.URL(settings.monitor.controls[0]).port
    return ports


def _start_headless(data) -> tuple[subprocess.Popen, list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "monitors", "demo", "--no-dashboard", "--speed", "20",
         "--data", str(data)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []
    assert process.stdout is not None
    threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
    deadline = time.monotonic() + 60
    while "Press Ctrl-C to stop." not in "".join(lines):
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail("the demo did not start:\n" + "".join(lines)[-3000:])
        time.sleep(0.1)
    return process, lines


def _ctrl_c(process: subprocess.Popen, lines: list[str]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=40)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    time.sleep(0.2)
    assert process.returncode == 0, "".join(lines)[-3000:]
    assert "Demo stopped" in "".join(lines)


@pytest.mark.slow
def test_a_restart_right_after_ctrl_c_keeps_every_port(tmp_path):
    data = tmp_path / "data"
    first, lines = _start_headless(data)
    try:
        before = _demo_ports(data)
        control = before["control"]
        for _ in range(20):  # connections the servers closed linger in TIME_WAIT on the ports
            assert _get(f"http://127.0.0.1:{control}/control").status_code == 200
        time.sleep(3)  # and the sampler's rounds: one every 2 s on every platform
    finally:
        _ctrl_c(first, lines)
    second, lines = _start_headless(data)  # at once, as someone pressing ↑ Enter
    try:
        assert _demo_ports(data) == before
        assert _get(f"http://127.0.0.1:{control}/control").status_code == 200
        web = before["instagram/web"]
        assert "Instagram" in _get(f"http://127.0.0.1:{web}/web").text
    finally:
        _ctrl_c(second, lines)
    with pytest.raises(httpx.ConnectError):  # a clean shutdown: nothing listens any more
        _get(f"http://127.0.0.1:{control}/control")


def test_a_port_whose_last_connections_are_in_time_wait_is_free_for_the_dashboard():
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    conn, _ = server.accept()
    conn.close()  # the server closes first: its side of the connection waits in TIME_WAIT
    client.recv(1)
    client.close()
    server.close()
    time.sleep(0.1)
    assert dashboard_port(port) == port
    assert dashboard_port(0, previous=port) == port


def test_the_previous_dashboard_port_is_waited_for_while_it_is_released():
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    threading.Timer(0.6, busy.close).start()  # the old dashboard is still shutting down
    assert dashboard_port(0, previous=port, wait_s=10) == port

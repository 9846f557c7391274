"""The lean sampler (issue 20): one client a round on a transport that opens a new connection
for every check, TLS contexts built once, uvloop where installed, skipped rounds counted."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import time

import pytest
from support_sampler import http_platform, settings_for, wait_for, write_config
from support_servers import (
    LOCAL,
    BackgroundLoop,
    Certs,
    HostileServer,
    blackhole_port,
    run_checks,
)

from monitors.config import Monitor, Platform
from monitors.probes.base import make_client, make_ssl_context
from monitors.probes.http import HttpCheck
from monitors.probes.transport import HAPPY_EYEBALLS_S, _interleave, open_first
from monitors.sampling import eventloop, heartbeat
from monitors.sampling.runner import run_check, run_round
from monitors.sampling.sampler import Sampler

pytest_plugins = ("support_servers",)

LOOPS = ["asyncio"] + (["uvloop"] if importlib.util.find_spec("uvloop") else [])
KEEPALIVE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


class KeepAliveServer:
    """Answers every request on a connection and keeps it open: counts connections and
    requests, so a client that reused a connection would show fewer connections."""

    def __init__(self, background: BackgroundLoop, ssl_context=None) -> None:
        self.background, self.connections, self.requests = background, 0, 0
        self._server = background.run(asyncio.start_server(self._serve, LOCAL, 0,
                                                           ssl=ssl_context))
        self.port = self._server.sockets[0].getsockname()[1]
        self.scheme = "https" if ssl_context else "http"

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://{LOCAL}:{self.port}{path}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                self.requests += 1
                writer.write(KEEPALIVE)
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass
        finally:
            writer.close()

    def close(self) -> None:
        self.background.loop.call_soon_threadsafe(self._server.close)


def _run(coro, loop: str):
    """Run a coroutine on a new asyncio or uvloop event loop."""
    factory = None
    if loop == "uvloop":
        import uvloop  # lazy: optional dependency, only for the uvloop runs

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coro)


def _platforms(urls: list[str]) -> list[Platform]:
    return [Platform.model_validate({"id": f"p{i}", "name": f"P{i}", "provider": f"v{i}",
                                     "checks": [{"id": "web", "kind": "http", "url": url}]})
            for i, url in enumerate(urls)]


@pytest.mark.parametrize("loop", LOOPS)
def test_every_check_of_every_round_opens_its_own_connection(background, loop: str) -> None:
    server = KeepAliveServer(background)
    try:
        platforms = _platforms([server.url(f"/{i}") for i in range(4)])
        mon = Monitor.model_validate({"vantage": "lab", "timeout": 2.0, "controls": []})

        async def two_rounds():
            async with make_client() as client:  # one client for both rounds, as a caller may
                return [await run_round(platforms, mon, client=client) for _ in range(2)]

        rounds = _run(two_rounds(), loop)
    finally:
        server.close()
    assert [s["status"] for r in rounds for s in r.samples] == ["up"] * 8
    assert server.requests == 8
    assert server.connections == 8, "a connection was reused: a round would not see DNS/connect"
    assert all("connect" in r.phases_ms for rnd in rounds for r in rnd.results.values())


@pytest.mark.parametrize("loop", LOOPS)
def test_every_https_check_does_its_own_handshake_on_one_shared_context(
    background, certs: Certs, loop: str
) -> None:
    server = KeepAliveServer(background, certs.valid)
    context = certs.client_context()
    try:
        checks = [HttpCheck(id="web", url=server.url(f"/{i}")) for i in range(3)]

        async def go():
            async with make_client(context) as client:
                from monitors.probes.base import ProbeContext

                ctx = ProbeContext(client=client, timeout_s=2.0, ssl_context=context)
                return [await run_check(c, ctx) for c in checks]

        results = _run(go(), loop)
    finally:
        server.close()
    assert [r.status for r in results] == ["up"] * 3
    assert all(r.phases_ms["tls"] > 0 for r in results)
    assert server.connections == 3


HOSTILE = [("/drip", "timeout"), ("/hang", "timeout"), ("/loop", "redirects"),
           ("/garbage", "protocol"), ("/close", "protocol"), ("/reset", "connect"),
           ("/midreset", "connect"), ("/ok", None)]


@pytest.mark.parametrize("loop", LOOPS)
def test_hostile_answers_keep_their_classes_on_either_loop(hostile: HostileServer,
                                                           loop: str) -> None:
    checks = [HttpCheck(id="web", url=hostile.url(path)) for path, _ in HOSTILE]

    async def go():
        from support_servers import make_ctx

        ctx, client = make_ctx(0.5)
        async with client:
            return [await run_check(c, ctx) for c in checks]

    started = time.perf_counter()
    results = _run(go(), loop)
    assert [r.error for r in results] == [error for _, error in HOSTILE]
    assert time.perf_counter() - started < 0.5 * len(HOSTILE) + 1.5


def test_a_body_cut_at_the_cap_leaves_no_connection_open(hostile: HostileServer) -> None:
    found = run_checks([HttpCheck(id="web", url=hostile.url("/endless"))], timeout_s=1.0,
                       max_body_bytes=50_000)
    assert found[0].status == "up" and "stopped reading" in found[0].detail
    assert wait_for(lambda: hostile.in_flight == 0, timeout=3)


def test_the_tls_context_is_built_once_per_ca_bundle_and_again_when_it_changes(tmp_path,
                                                                               certs: Certs):
    bundle = tmp_path / "ca.pem"
    certs.ca.cert_pem.write_to_path(str(bundle))
    first = make_ssl_context(str(bundle))
    assert make_ssl_context(str(bundle)) is first
    assert make_ssl_context() is make_ssl_context()
    assert make_ssl_context() is not first
    other = Certs()
    other.ca.cert_pem.write_to_path(str(bundle))
    assert make_ssl_context(str(bundle)) is not first


def test_the_sampler_runs_its_probes_on_uvloop_when_it_is_installed(monkeypatch) -> None:
    loop = eventloop.new_event_loop()
    try:
        expected = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
        assert eventloop.loop_name() == expected
        assert type(loop).__module__.split(".")[0] == expected
    finally:
        loop.close()
    monkeypatch.setenv("PULSE_LOOP", "asyncio")
    assert eventloop.loop_name() == "asyncio"


def test_rounds_longer_than_the_interval_are_counted_as_skipped_and_shown(
    tmp_path, hostile: HostileServer
) -> None:
    data = tmp_path / "data"
    config = write_config(tmp_path / "c.toml", data=data, interval="0.5s", timeout="2s",
                          controls=[],
                          platforms=[http_platform("slow", "S", {"web": hostile.url(
                              "/slow?ms=1300")})])
    sampler = Sampler(settings_for(config)).start()
    try:
        assert wait_for(lambda: sampler.stats.rounds >= 2, timeout=20)
    finally:
        sampler.stop()
    beat = json.loads(next((data / "state").glob("heartbeat-*.json")).read_text())
    # each round takes ~1.3 s of a 0.5 s schedule: about two slots skipped per round
    assert beat["missed_rounds"] >= beat["rounds"] - 1 >= 1
    beat.pop("stopped_at")
    line = heartbeat.describe({**beat, "last_round_at": beat["last_round_at"]})
    assert f"{beat['missed_rounds']} rounds skipped" in line


def test_slots_the_scheduler_coalesced_are_counted_from_the_timeline(tmp_path) -> None:
    config = write_config(tmp_path / "c.toml", data=tmp_path / "d", interval="10s",
                          controls=[], platforms=[http_platform("a", "A", {"web": "http://127.0.0.1:9/"})])
    sampler = Sampler(settings_for(config))
    sampler._anchors[10.0] = time.monotonic()
    sampler._count_skipped(10.0)  # the first round: nothing skipped
    sampler._anchors[10.0] -= 40.0  # the scheduler's thread woke 4 slots later
    sampler._count_skipped(10.0)
    assert sampler.stats.missed_rounds == 3


def test_the_sampler_bounds_its_history_buffer_by_its_memory_budget(tmp_path) -> None:
    from monitors.sampling.sampler import MAX_BUFFER_ROWS

    config = write_config(tmp_path / "c.toml", data=tmp_path / "d", interval="10s",
                          controls=[], platforms=[http_platform("a", "A", {
                              "web": "http://127.0.0.1:9/"})])
    sampler = Sampler(settings_for(config)).start()
    try:
        assert sampler._writer.max_buffer_rows == MAX_BUFFER_ROWS <= 250_000
    finally:
        sampler.stop()


def test_cookies_live_for_one_checks_redirects_and_never_reach_the_next_check(httpserver):
    from werkzeug import Request, Response

    def login_wall(request: Request) -> Response:  # sets a cookie, then wants it back
        answer = Response(status=302, headers={"Location": "/home"})
        answer.set_cookie("seen", "1")
        return answer

    def home(request: Request) -> Response:
        return Response("welcome" if request.cookies.get("seen") == "1" else "who?",
                        status=200 if request.cookies.get("seen") == "1" else 500)

    def fresh(request: Request) -> Response:  # another check must arrive without cookies
        return Response("clean", status=500 if request.headers.get("Cookie") else 200)

    httpserver.expect_request("/wall").respond_with_handler(login_wall)
    httpserver.expect_request("/home").respond_with_handler(home)
    httpserver.expect_request("/fresh").respond_with_handler(fresh)
    checks = [{"id": "web", "kind": "http", "url": httpserver.url_for("/wall")},
              {"id": "api", "kind": "http", "url": httpserver.url_for("/fresh")},
              {"id": "media", "kind": "http", "url": httpserver.url_for("/home"),
               "expect_status": [500]}]
    platform = Platform.model_validate({"id": "p", "name": "P", "provider": "v",
                                        "checks": checks})
    mon = Monitor.model_validate({"vantage": "lab", "timeout": 2.0, "controls": []})
    found = asyncio.run(run_round([platform], mon, spread_s=0.2))
    by_check = {s["check"]: (s["status"], s["http_status"]) for s in found.samples}
    assert by_check == {"web": ("up", 200), "api": ("up", 200), "media": ("up", 500)}


@pytest.mark.parametrize("loop", LOOPS)
def test_an_address_that_never_answers_does_not_stall_the_next_one(background,
                                                                  loop: str) -> None:
    server = KeepAliveServer(background)

    async def connect() -> float:
        with blackhole_port() as dead:
            started = time.perf_counter()
            _, writer = await open_first([(LOCAL, dead), (LOCAL, server.port)])
        writer.close()
        return time.perf_counter() - started

    try:
        elapsed = _run(asyncio.wait_for(connect(), 5), loop)
    finally:
        server.close()
    assert HAPPY_EYEBALLS_S * 0.8 <= elapsed < 2.0  # the second attempt started 0.25 s later


def test_resolved_addresses_alternate_families_in_resolver_order() -> None:
    v6, v4 = 10, 2
    found = _interleave([(v6, "::1"), (v6, "::2"), (v4, "127.0.0.1"), (v6, "::1")])
    assert found == ["::1", "127.0.0.1", "::2"]

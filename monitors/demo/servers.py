"""Simulated platforms on 127.0.0.1, scripted by the story clock: HTTP servers, status pages, DNS.

Every platform has its own HTTP server (so "routes withdrawn" can refuse connections to it
alone); one more server answers the reachability control and the simulated vendor status
pages (Statuspage v2 `summary.json`); a DNS server answers the platforms' names, or fails
them with NXDOMAIN, SERVFAIL or silence. All bind port 0 on loopback, in one background
asyncio loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from monitors.demo.statuspages import status_html, statuspage_summary, surface_body
from monitors.demo.story import CAST, PAGES, Story, World

log = logging.getLogger("monitors.demo")

LOCAL = "127.0.0.1"
TICK_S = 0.05  # how often listeners follow the story (refuse / accept again)
Handler = Callable[[str], Awaitable[tuple[int, str, bytes, float]]]


class StoryClock:
    """Real seconds since the story started (0 until `start()`)."""

    def __init__(self) -> None:
        self._t0: float | None = None
        self.started_at: datetime | None = None

    def start(self) -> None:
        """Start (or restart) the story now."""
        self._t0, self.started_at = time.monotonic(), datetime.now(UTC)

    def elapsed(self) -> float:
        """Real seconds since start (0 before)."""
        return 0.0 if self._t0 is None else time.monotonic() - self._t0


class _Listener:
    """One HTTP listener on a fixed loopback port that can refuse connections and come back.

    `port` is tried first (the port of the previous demo run, so a restart keeps its
    addresses); when it is taken, any free port is used."""

    def __init__(self, handler: Handler, port: int = 0) -> None:
        self.handler = handler
        self.reserved = _bound_socket_or_any(port)  # bound, not listening: refused
        self.port: int = self.reserved.getsockname()[1]
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def accept(self) -> None:
        """Listen (again) on the port."""
        if self.server is not None:
            return
        sock = self.reserved or _bound_socket(self.port)
        self.reserved = None
        self.server = await asyncio.start_server(self._serve, sock=sock)

    async def refuse(self) -> None:
        """Stop listening but keep the port: new connections are refused (RST)."""
        if self.server is None:
            return
        self.server.close()
        self.server = None
        try:
            self.reserved = _bound_socket(self.port)
        except OSError as exc:  # rare: the port was reused; accept() will try again
            log.warning("demo: cannot reserve port %d: %s", self.port, exc)

    async def close(self) -> None:
        """Release the port for good: stop listening, end open connections, wait for both."""
        server, self.server = self.server, None
        if server is not None:
            server.close()
        for writer in list(self.writers):
            writer.close()
        if server is not None:
            with contextlib.suppress(TimeoutError, OSError):
                await asyncio.wait_for(server.wait_closed(), 2)
        if self.reserved is not None:
            self.reserved.close()
            self.reserved = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            parts = head.split(b" ", 2)
            path = parts[1].decode("ascii", "replace") if len(parts) > 1 else "/"
            status, ctype, body, delay_s = await self.handler(path.split("?", 1)[0])
            if delay_s:
                await asyncio.sleep(delay_s)
            reason = {200: "OK", 400: "Bad Request", 404: "Not Found",
                      503: "Service Unavailable"}.get(status, "Status")
            writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n"
                         f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                         + body)
            await writer.drain()
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self.writers.discard(writer)
            writer.close()


def _bound_socket(port: int) -> socket.socket:
    """A TCP socket bound to LOCAL:port. SO_REUSEADDR: connections of a previous run still in
    TIME_WAIT don't keep the port (a listener on it still does)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((LOCAL, port))
    except OSError:
        sock.close()
        raise
    return sock


def _bound_socket_or_any(port: int) -> socket.socket:
    if port:
        try:
            return _bound_socket(port)
        except OSError as exc:
            log.info("demo: port %d is taken (%s); using another one", port, exc)
    return _bound_socket(0)


class _DnsProtocol(asyncio.DatagramProtocol):
    """Answers A queries for the cast's names per the story; other names are NXDOMAIN."""

    def __init__(self, world: Callable[[], World]) -> None:
        self.world = world
        self.names = {f"{host.lower().rstrip('.')}.": (c.id, check)
                      for c in CAST for check, host in c.dns}
        self.transport: asyncio.DatagramTransport | None = None
        self.answered: Counter[str] = Counter()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport to answer on."""
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        """Answer one query (or stay silent: a scripted timeout)."""
        try:
            query = dns.message.from_wire(data)
            question = query.question[0]
        except Exception:  # not DNS: a real server would drop it too
            return
        reply = self.answer(query, question.name.to_text().lower(), question.rdtype)
        self.answered[reply] += 1
        if reply != "timeout" and self.transport is not None:
            self.transport.sendto(self._wire(query, question, reply), addr)

    def answer(self, query: dns.message.Message, name: str, rdtype: int) -> str:
        """The scripted outcome for a name: ok, servfail, nxdomain or timeout."""
        owner = self.names.get(name)
        if owner is None:
            return "nxdomain"
        return self.world().dns_mode(*owner)

    @staticmethod
    def _wire(query: dns.message.Message, question: Any, reply: str) -> bytes:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if reply == "servfail":
            response.set_rcode(dns.rcode.SERVFAIL)
        elif reply == "nxdomain":
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.A:
            response.answer.append(
                dns.rrset.from_text(question.name, 30, dns.rdataclass.IN, dns.rdatatype.A, LOCAL)
            )
        return response.to_wire()


class SimPlatforms:
    """The simulated platforms, status pages and DNS, running in a background thread."""

    def __init__(self, story: Story, clock: StoryClock | None = None,
                 ports: Mapping[str, int] | None = None) -> None:
        self.story = story
        self.clock = clock or StoryClock()
        self.wanted = {str(k): int(v) for k, v in (ports or {}).items()
                       if isinstance(v, int) and 0 < v < 65536}  # the previous run's ports
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="demo-servers",
                                       daemon=True)
        self.listeners: dict[str, _Listener] = {}
        self.control: _Listener | None = None
        self.dns: _DnsProtocol | None = None
        self.dns_port = 0
        self.requests: Counter[tuple[str, str]] = Counter()
        self._ticker: asyncio.Task | None = None

    # lifecycle ---------------------------------------------------------------
    def start(self) -> SimPlatforms:
        """Bind every server on 127.0.0.1 port 0 and start following the story."""
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    async def _start(self) -> None:
        self.control = _Listener(self._control_page, self.wanted.get("control", 0))
        await self.control.accept()
        for member in CAST:
            self.listeners[member.id] = _Listener(self._surface_handler(member.id),
                                                  self.wanted.get(member.id, 0))
        await self._follow()
        self.dns = _DnsProtocol(self.world)
        transport = None
        for port in dict.fromkeys([self.wanted.get("dns", 0), 0]):
            try:
                transport, _ = await self.loop.create_datagram_endpoint(
                    lambda: self.dns, local_addr=(LOCAL, port)  # type: ignore[arg-type, return-value]
                )
                break
            except OSError as exc:
                log.info("demo: DNS port %d is taken (%s); using another one", port, exc)
        assert transport is not None
        self.dns_port = transport.get_extra_info("sockname")[1]
        self._ticker = asyncio.ensure_future(self._tick())

    def ports(self) -> dict[str, int]:
        """Every port in use: 'control', 'dns' and one per platform (kept for a restart)."""
        return {"control": self.control_port, "dns": self.dns_port,
                **{pid: listener.port for pid, listener in self.listeners.items()}}

    def stop(self) -> None:
        """Close every server and stop the background loop."""
        if not self.thread.is_alive():
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        if not self.thread.is_alive():
            self.loop.close()

    async def _stop(self) -> None:
        if self._ticker:
            self._ticker.cancel()
        for listener in [*self.listeners.values(), *([self.control] if self.control else [])]:
            await listener.close()
        if self.dns and self.dns.transport:
            self.dns.transport.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # addresses ----------------------------------------------------------------
    @property
    def control_port(self) -> int:
        """Port of the control / status-page server."""
        assert self.control is not None
        return self.control.port

    def url(self, platform: str, surface: str) -> str:
        """The URL of a platform's HTTP surface."""
        return f"http://{LOCAL}:{self.listeners[platform].port}/{surface}"

    def status_url(self, page: str) -> str:
        """The URL of a simulated status page's summary.json."""
        return f"http://{LOCAL}:{self.control_port}/{page}/api/v2/summary.json"

    def control_url(self) -> str:
        """The reachability control's URL."""
        return f"http://{LOCAL}:{self.control_port}/control"

    # behaviour -------------------------------------------------------------------
    def world(self) -> World:
        """The story's world right now."""
        return self.story.at(self.clock.elapsed())

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            try:
                await self._follow()
            except Exception:  # the demo must keep serving whatever happens
                log.exception("demo: following the story failed")

    async def _follow(self) -> None:
        """Refuse connections for unreachable platforms, accept for the others."""
        down = self.world().unreachable
        for platform, listener in self.listeners.items():
            await (listener.refuse() if platform in down else listener.accept())

    def _surface_handler(self, platform: str) -> Handler:
        name = next(c.name for c in CAST if c.id == platform)

        async def handle(path: str) -> tuple[int, str, bytes, float]:
            surface = path.strip("/").split("/", 1)[0] or "web"
            self.requests[(platform, surface)] += 1
            mode, delay_s = self.world().http_mode(platform, surface)
            if mode == "flap" and self.requests[(platform, surface)] % 2 == 0:
                return 503, "text/plain", b"upstream connect error", 0.0
            return (*surface_body(name, surface), delay_s)

        return handle

    async def _control_page(self, path: str) -> tuple[int, str, bytes, float]:
        if path == "/control":
            return 200, "text/plain", b"ok", 0.0
        page_id = path.strip("/").split("/", 1)[0]
        if not any(p.id == page_id for p in PAGES):
            return 404, "text/plain", b"not found", 0.0
        summary = self.summary(page_id)
        if path.endswith("/api/v2/summary.json"):
            return 200, "application/json", json.dumps(summary).encode(), 0.0
        return 200, "text/html; charset=utf-8", status_html(summary).encode(), 0.0

    def summary(self, page_id: str, now: datetime | None = None) -> dict:
        """The page's Statuspage v2 summary.json right now."""
        now = now or datetime.now(UTC)
        return statuspage_summary(page_id, self.world().pages.get(page_id, ()), now,
                                  self.story.speed, f"http://{LOCAL}:{self.control_port}")



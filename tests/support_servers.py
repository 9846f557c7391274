"""Hostile local servers for probe tests: HTTP misbehaviour, scripted DNS, TLS certificates.

Test modules load the fixtures with `pytest_plugins = ("support_servers",)` and import the
helpers directly (PYTEST_DONT_REWRITE: no asserts here, so no rewrite warning either).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import select
import socket
import ssl
import struct
import tempfile
import threading
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from dnslib import QTYPE, RCODE, RR, A, DNSRecord

from monitors.probes.base import ProbeContext, make_client

LOCAL = "127.0.0.1"


# ---------------------------------------------------------------- background event loop
class BackgroundLoop:
    """An asyncio loop in a daemon thread, so servers run beside tests that call asyncio.run."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.loop.set_exception_handler(lambda loop, context: None)  # handshake noise
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 10) -> Any:
        """Run a coroutine on the background loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        """Cancel what still runs (hanging handlers), stop the loop and its thread."""
        with contextlib.suppress(Exception):
            self.run(_cancel_others(), timeout=5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


async def _cancel_others() -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


# ---------------------------------------------------------------- hostile HTTP server
class HostileServer:
    """HTTP/1.1 on 127.0.0.1, one behaviour per path (see the `_mode_*` methods).

    /ok  /slow?ms=N  /drip  /endless  /loop  /garbage  /close  /reset  /hang  /count?ms=N
    """

    def __init__(self, background: BackgroundLoop, ssl_context: ssl.SSLContext | None = None):
        self.background = background
        self.in_flight = 0
        self.peak = 0
        self.requests = 0
        self._server = background.run(asyncio.start_server(self._handle, LOCAL, 0, ssl=ssl_context))
        self.port = self._server.sockets[0].getsockname()[1]
        self.scheme = "https" if ssl_context else "http"

    def url(self, path: str = "/ok") -> str:
        """Absolute URL of a path on this server."""
        return f"{self.scheme}://{LOCAL}:{self.port}{path}"

    def close(self) -> None:
        """Stop listening (on the server's own loop: asyncio.Server is not thread-safe)."""
        self.background.loop.call_soon_threadsafe(self._server.close)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            writer.close()
            return
        self.requests += 1
        path = head.split(b" ", 2)[1].decode()
        mode, _, query = path.lstrip("/").partition("?")
        handler = getattr(self, f"_mode_{mode}", self._mode_missing)
        try:
            await handler(writer, query)
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            if not writer.is_closing():
                writer.close()

    @staticmethod
    def _head(status: str, length: int | None = None, extra: str = "") -> bytes:
        size = f"Content-Length: {length}\r\n" if length is not None else ""
        return f"HTTP/1.1 {status}\r\n{size}{extra}Connection: close\r\n\r\n".encode()

    async def _mode_ok(self, writer: asyncio.StreamWriter, query: str) -> None:
        body = b"hello from pulse"
        writer.write(self._head("200 OK", len(body), "Content-Type: text/plain\r\n") + body)
        await writer.drain()

    async def _mode_missing(self, writer: asyncio.StreamWriter, query: str) -> None:
        writer.write(self._head("404 Not Found", 0))
        await writer.drain()

    async def _mode_slow(self, writer: asyncio.StreamWriter, query: str) -> None:
        await asyncio.sleep(int(query.removeprefix("ms=") or 300) / 1000)
        await self._mode_ok(writer, query)

    async def _mode_count(self, writer: asyncio.StreamWriter, query: str) -> None:
        """Like /slow, counting how many requests are in flight at once."""
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await self._mode_slow(writer, query)
        finally:
            self.in_flight -= 1

    async def _mode_drip(self, writer: asyncio.StreamWriter, query: str) -> None:
        """Headers at once, then one byte every 50 ms: no single read ever times out."""
        writer.write(self._head("200 OK", 10_000))
        for _ in range(10_000):
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.05)

    async def _mode_endless(self, writer: asyncio.StreamWriter, query: str) -> None:
        """A body that never ends, as fast as the client reads."""
        writer.write(self._head("200 OK"))
        chunk = b"y" * 65536
        while True:
            writer.write(chunk)
            await writer.drain()

    async def _mode_loop(self, writer: asyncio.StreamWriter, query: str) -> None:
        writer.write(self._head("302 Found", 0, "Location: /loop\r\n"))
        await writer.drain()

    async def _mode_garbage(self, writer: asyncio.StreamWriter, query: str) -> None:
        writer.write(b"\x00\xff\xfeTHIS IS NOT HTTP\r\n\r\n\x01\x02")
        await writer.drain()

    async def _mode_close(self, writer: asyncio.StreamWriter, query: str) -> None:
        """Read the request, then close cleanly without a word."""
        writer.close()

    async def _mode_reset(self, writer: asyncio.StreamWriter, query: str) -> None:
        """Read the request, then reset the connection (RST via SO_LINGER 0)."""
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    async def _mode_hang(self, writer: asyncio.StreamWriter, query: str) -> None:
        """Read the request and never answer."""
        await asyncio.sleep(3600)

    async def _mode_midreset(self, writer: asyncio.StreamWriter, query: str) -> None:
        """Headers and part of the body, then a reset."""
        writer.write(self._head("200 OK", 100_000) + b"z" * 1000)
        await writer.drain()
        await asyncio.sleep(0.05)
        await self._mode_reset(writer, query)


# ---------------------------------------------------------------- ports that misbehave
def refused_port() -> int:
    """A loopback port nobody listens on (bound, read back, released)."""
    with socket.socket() as sock:
        sock.bind((LOCAL, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def blackhole_port() -> Iterator[int]:
    """A listening port whose accept queue is full, so new connects hang (SYNs dropped)."""
    listener = socket.socket()
    listener.bind((LOCAL, 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers: list[socket.socket] = []
    try:
        for _ in range(16):
            sock = socket.socket()
            sock.setblocking(False)
            fillers.append(sock)
            with contextlib.suppress(BlockingIOError):
                sock.connect((LOCAL, port))
            _, writable, _ = select.select([], [sock], [], 0.3)
            if not writable:
                break  # this connect hangs: the queue is full
        else:
            raise RuntimeError("could not fill the accept queue")
        yield port
    finally:
        for sock in fillers:
            sock.close()
        listener.close()


async def _start_banner(data: bytes) -> asyncio.Server:
    async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(data)
        with contextlib.suppress(OSError):
            await writer.drain()
        writer.close()

    return await asyncio.start_server(greet, LOCAL, 0)


def banner_server(background: BackgroundLoop, data: bytes) -> asyncio.Server:
    """A server that writes `data` as soon as a client connects, then closes (no TLS)."""
    return background.run(_start_banner(data))


@pytest.fixture
def unresolvable(monkeypatch: pytest.MonkeyPatch) -> str:
    """A host name the system resolver fails on, without any lookup leaving the machine.

    socket.getaddrinfo is the one chokepoint we don't own (the OS resolver); every probe's
    name lookup goes through it, so only that call is replaced, and only for this name.
    """
    name = "gone.invalid"
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in (name, name.encode()):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return name


# ---------------------------------------------------------------- scripted DNS server
class DnsServer:
    """A dnslib-based DNS server on 127.0.0.1 (UDP and TCP on one port) with scripted names.

    ok.test -> A 127.0.0.1, many.test -> 3 A records, nx.test -> NXDOMAIN,
    fail.test -> SERVFAIL, empty.test -> NOERROR without answers, silent.test -> no reply,
    big.test -> truncated over UDP, full answer over TCP. Anything else -> NXDOMAIN.
    """

    def __init__(self) -> None:
        self.queries: list[tuple[str, str]] = []  # (name, "udp"|"tcp")
        self._stop = threading.Event()
        self.udp, self.tcp = self._bind()
        self.port = self.udp.getsockname()[1]
        self._threads = [
            threading.Thread(target=self._serve_udp, daemon=True),
            threading.Thread(target=self._serve_tcp, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @staticmethod
    def _bind() -> tuple[socket.socket, socket.socket]:
        for _ in range(20):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind((LOCAL, 0))
            tcp = socket.socket()
            try:
                tcp.bind((LOCAL, udp.getsockname()[1]))
            except OSError:
                udp.close()
                tcp.close()
                continue
            tcp.listen(8)
            udp.settimeout(0.1)
            tcp.settimeout(0.1)
            return udp, tcp
        raise RuntimeError("no port free for both UDP and TCP")

    def answer(self, data: bytes, transport: str) -> bytes | None:
        """The scripted reply to one query, or None for silence."""
        request = DNSRecord.parse(data)
        name = str(request.q.qname).rstrip(".").lower()
        self.queries.append((name, transport))
        reply = request.reply()
        if name == "silent.test":
            return None
        if name == "ok.test":
            reply.add_answer(RR(request.q.qname, QTYPE.A, rdata=A("127.0.0.1"), ttl=60))
        elif name in ("many.test", "big.test"):
            if name == "big.test" and transport == "udp":
                reply.header.tc = 1
            else:
                for last in (1, 2, 3):
                    reply.add_answer(RR(request.q.qname, QTYPE.A, rdata=A(f"127.0.0.{last}")))
        elif name == "fail.test":
            reply.header.rcode = RCODE.SERVFAIL
        elif name != "empty.test":
            reply.header.rcode = RCODE.NXDOMAIN
        return reply.pack()

    def _serve_udp(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.udp.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            reply = self.answer(data, "udp")
            if reply is not None:
                self.udp.sendto(reply, peer)

    def _serve_tcp(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.tcp.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._tcp_conn, args=(conn,), daemon=True).start()

    def _tcp_conn(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError, ValueError):
            conn.settimeout(2)
            size = struct.unpack("!H", conn.recv(2))[0]
            data = b""
            while len(data) < size:
                data += conn.recv(size - len(data))
            reply = self.answer(data, "tcp")
            if reply is not None:
                conn.sendall(struct.pack("!H", len(reply)) + reply)
            else:
                self._stop.wait(5)

    def close(self) -> None:
        """Stop both listeners."""
        self._stop.set()
        for thread in self._threads:
            thread.join(2)
        self.udp.close()
        self.tcp.close()


# ---------------------------------------------------------------- certificates
class Certs:
    """A trustme CA and server contexts: valid, expired, expiring soon, wrong host, self-signed."""

    def __init__(self) -> None:
        self.ca = trustme.CA()
        now = datetime.now(UTC)
        self.valid = self._server(
            self.ca.issue_cert(LOCAL, "localhost", not_after=now + timedelta(days=90, hours=1))
        )
        self.expired = self._server(
            self.ca.issue_cert(
                LOCAL, not_before=now - timedelta(days=60), not_after=now - timedelta(days=1)
            )
        )
        self.expiring = self._server(
            self.ca.issue_cert(
                LOCAL,
                not_before=now - timedelta(days=60),
                not_after=now + timedelta(days=5, hours=1),
            )
        )
        self.wrong_host = self._server(self.ca.issue_cert("wrong-host.test"))
        self.self_signed = _self_signed_context()

    @staticmethod
    def _server(cert: trustme.LeafCert) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only this CA."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context


def _self_signed_context() -> ssl.SSLContext:
    """A server context with a self-signed certificate for 127.0.0.1 (no CA behind it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LOCAL)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=90))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOCAL))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "self-signed.pem"
        path.write_bytes(pem)
        context.load_cert_chain(path)
    return context


# ---------------------------------------------------------------- probe helpers
def make_ctx(
    timeout_s: float = 1.0, ssl_context: ssl.SSLContext | None = None, **kwargs: Any
) -> tuple[ProbeContext, httpx.AsyncClient]:
    """A ProbeContext with a fresh client (close it with `await client.aclose()`)."""
    ssl_context = ssl_context or ssl.create_default_context()
    client = make_client(ssl_context)
    return ProbeContext(
        client=client, timeout_s=timeout_s, ssl_context=ssl_context, **kwargs
    ), client


def run_checks(checks: list[Any], timeout_s: float = 1.0, **kwargs: Any) -> list[Any]:
    """Run checks through runner.run_check on one shared context; their ProbeResults."""
    from monitors.sampling.runner import run_check

    async def go() -> list[Any]:
        ctx, client = make_ctx(timeout_s, **kwargs)
        async with client:
            return [await run_check(check, ctx) for check in checks]

    return asyncio.run(go())


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    """(result, wall seconds) of a call."""
    import time

    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def background() -> Iterator[BackgroundLoop]:
    """One background event loop per test module."""
    loop = BackgroundLoop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def hostile(background: BackgroundLoop) -> Iterator[HostileServer]:
    """The hostile HTTP server (plain HTTP)."""
    server = HostileServer(background)
    yield server
    server.close()


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DnsServer]:
    """The scripted DNS server."""
    server = DnsServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def certs() -> Certs:
    """The trustme CA and its server certificates."""
    return Certs()

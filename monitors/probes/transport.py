"""A lean httpx transport: every request on a new connection, on plain asyncio streams and h11.

Why not httpx's own transport: a monitor wants a fresh connection per check (every round
measures DNS, connect and TLS; a pooled keep-alive connection would hide a platform whose
DNS just broke), so httpcore's pool, its anyio backend and a client per check were paid for
nothing: ~3,700 Python calls and 0.8-0.95 ms CPU per check (bench/profiles/). This
transport keeps everything the probes rely on from httpx — Request/Response, decoding,
redirect requests, the exception types `http.classify` maps, the per-phase timeouts and
the `trace` events that time the phases — and replaces only the connection underneath:

1. Resolve and connect (a numeric host skips the resolver; several addresses are raced as
   RFC 8305 says), then TLS with the shared `ssl.SSLContext` (StreamWriter.start_tls), all
   under the connect timeout.
2. Send the request with h11 (the HTTP/1.1 state machine httpcore uses), under the write
   timeout; read the head and then the body, each read under the read timeout.
3. Close the connection with the response: politely when the exchange completed, abort it
   when it did not (a cancelled check, a body cut at the cap).

Errors are raised as httpx's own types, chained to the OS or TLS error that caused them,
so `classify()` reads them by type exactly as before.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from asyncio import staggered
from collections.abc import AsyncIterator, Callable
from typing import Any

import h11
import httpx

READ_BYTES = 64 * 1024  # one read from the socket (httpcore's figure)
MAX_HEAD_BYTES = 100 * 1024  # status line + headers; larger is a protocol error
HAPPY_EYEBALLS_S = 0.25  # RFC 8305's connection attempt delay (anyio's, which httpcore used)
_DEFAULT_PORTS = {"http": 80, "https": 443}

Trace = Callable[[str, dict], Any] | None


async def _emit(trace: Trace, event: str) -> None:
    """Tell the probe's timing a phase boundary (httpcore's event names)."""
    if trace is not None:
        await trace(event, {})


async def _connect(
    host: str, port: int, tls: ssl.SSLContext | None, timeout_s: float | None, trace: Trace
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A new TCP connection, with TLS on top when asked; httpx errors on failure."""
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout_s):
            await _emit(trace, "connection.connect_tcp.started")
            reader, writer = await _open_stream(host, port)
            await _emit(trace, "connection.connect_tcp.complete")
            if tls is not None:
                await _emit(trace, "connection.start_tls.started")
                await writer.start_tls(tls, server_hostname=host)
                await _emit(trace, "connection.start_tls.complete")
        return reader, writer
    except TimeoutError as exc:
        _abort(writer)
        raise httpx.ConnectTimeout("connect timed out") from exc
    except (OSError, ssl.SSLError) as exc:  # gaierror, refused, reset, bad certificate …
        _abort(writer)
        raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
    except BaseException:
        _abort(writer)
        raise


async def _open_stream(host: str, port: int) -> tuple[asyncio.StreamReader,
                                                    asyncio.StreamWriter]:
    """Resolve the host (unless it is an IP literal) and connect to the first address that
    answers: several addresses are tried RFC 8305 style, families alternating, each attempt
    started HAPPY_EYEBALLS_S after the previous one, so a broken IPv6 path cannot stall a
    check (uvloop has no happy_eyeballs_delay, so this is done here for both loops)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port,
                                                             type=socket.SOCK_STREAM)
        hosts = _interleave([(info[0], info[4][0]) for info in infos])
        return await open_first([(h, port) for h in hosts])
    return await asyncio.open_connection(host, port, limit=READ_BYTES)


def _interleave(addresses: list[tuple[int, str]]) -> list[str]:
    """Addresses in resolver order, families alternating (RFC 8305 section 4), no repeats."""
    by_family: dict[int, list[str]] = {}
    for family, address in addresses:
        if address not in by_family.setdefault(family, []):
            by_family[family].append(address)
    queues = list(by_family.values())
    return [queue[i] for i in range(max(map(len, queues), default=0))
            for queue in queues if i < len(queue)]


async def open_first(addresses: list[tuple[str, int]]) -> tuple[asyncio.StreamReader,
                                                                 asyncio.StreamWriter]:
    """Connect to the first (address, port) that answers, attempts staggered by
    HAPPY_EYEBALLS_S; the first attempt's error when none does."""
    if len(addresses) == 1:
        return await asyncio.open_connection(*addresses[0], limit=READ_BYTES)
    attempts = [functools.partial(asyncio.open_connection, host, port, limit=READ_BYTES)
                for host, port in addresses]
    winner, _, errors = await staggered.staggered_race(attempts, HAPPY_EYEBALLS_S)
    if winner is None:
        raise next((e for e in errors if e is not None), OSError("no address answered"))
    return winner


def _abort(writer: asyncio.StreamWriter | None) -> None:
    """Drop a connection at once (no TLS close_notify, no waiting)."""
    if writer is not None:
        writer.transport.abort()


class _Exchange:
    """One request/response on one connection: h11 state, the stream, the read timeout."""

    __slots__ = ("closed", "conn", "read_s", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 read_s: float | None) -> None:
        self.conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_BYTES)
        self.reader, self.writer, self.read_s = reader, writer, read_s
        self.closed = False

    async def send(self, request: httpx.Request, write_s: float | None) -> None:
        """Write the request head and body (the probes send none) and the end of message."""
        head = h11.Request(method=request.method, target=request.url.raw_path,
                           headers=request.headers.raw)
        data = self.conn.send(head)
        async for chunk in request.stream:
            data += self.conn.send(h11.Data(data=chunk))
        data += self.conn.send(h11.EndOfMessage())
        try:
            self.writer.write(data)
            async with asyncio.timeout(write_s):
                await self.writer.drain()
        except TimeoutError as exc:
            raise httpx.WriteTimeout("write timed out") from exc
        except OSError as exc:
            raise httpx.WriteError(str(exc) or type(exc).__name__) from exc

    async def next_event(self) -> Any:
        """The next h11 event, reading from the socket as needed."""
        while True:
            try:
                event = self.conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc)) from exc
            if event is not h11.NEED_DATA:
                return event
            try:
                async with asyncio.timeout(self.read_s):
                    data = await self.reader.read(READ_BYTES)
            except TimeoutError as exc:
                raise httpx.ReadTimeout("read timed out") from exc
            except OSError as exc:  # reset, or a TLS error in the middle of the stream
                raise httpx.ReadError(str(exc) or type(exc).__name__) from exc
            if not data and self.conn.their_state is h11.SEND_RESPONSE:
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
            self.conn.receive_data(data)

    def close(self) -> None:
        """Close the connection: gracefully after a complete exchange, else abort it."""
        if self.closed:
            return
        self.closed = True
        if self.conn.their_state is h11.DONE:
            self.writer.close()
        else:
            self.writer.transport.abort()


class _Body(httpx.AsyncByteStream):
    """The response body as h11 hands it over; closing it closes the connection."""

    def __init__(self, exchange: _Exchange, transport: FreshTransport) -> None:
        self.exchange, self.transport = exchange, transport

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            event = await self.exchange.next_event()
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                return

    async def aclose(self) -> None:
        """Close the connection (the body may be unread: a capped or cancelled check)."""
        self.exchange.close()
        self.transport.open.discard(self.exchange)


class FreshTransport(httpx.AsyncBaseTransport):
    """httpx transport opening a new connection for every request (HTTP/1.1, no pool)."""

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        self.ssl_context = ssl_context
        self.open: set[_Exchange] = set()  # exchanges whose connection is still open

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Connect, send, read the response head; the body streams from the connection."""
        url = request.url
        if url.scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        timeouts = request.extensions.get("timeout", {})
        trace = request.extensions.get("trace")
        host = url.raw_host.decode("ascii")
        tls = self.ssl_context if url.scheme == "https" else None
        reader, writer = await _connect(host, url.port or _DEFAULT_PORTS[url.scheme], tls,
                                        timeouts.get("connect"), trace)
        exchange = _Exchange(reader, writer, timeouts.get("read"))
        self.open.add(exchange)
        try:
            await _emit(trace, "http11.send_request_headers.started")
            await exchange.send(request, timeouts.get("write"))
            event = await exchange.next_event()
            while isinstance(event, h11.InformationalResponse):  # 100 Continue, 103 …
                event = await exchange.next_event()
            if not isinstance(event, h11.Response):
                raise httpx.RemoteProtocolError("Server closed the connection without a response.")
            await _emit(trace, "http11.receive_response_headers.complete")
        except BaseException:
            exchange.close()
            self.open.discard(exchange)
            raise
        return httpx.Response(
            status_code=event.status_code,
            headers=event.headers.raw_items(),
            stream=_Body(exchange, self),
            extensions={"http_version": b"HTTP/" + event.http_version,
                        "reason_phrase": event.reason},
        )

    async def aclose(self) -> None:
        """Drop every connection still open (responses nobody closed)."""
        for exchange in list(self.open):
            exchange.close()
        self.open.clear()

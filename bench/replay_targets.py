"""Local targets for the real-world replay: HTTP, TLS and DNS servers on 127.0.0.1 only.

They run in a child process (so their CPU is not the runner's) and are stateless: the path of
a request says what to answer.

- `/ok/<platform>/<check>`: the healthy answer of that catalog check, from the table the
  parent passes in (status code, content type, body);
- `/fail/<code>/<platform>/<check>`: the recorded failure: HTTP `<code>` with a short body
  that names no brand, or for code 0 a connection reset right after the request arrives;
- the TLS port completes a handshake with a trustme certificate and closes;
- the DNS port answers every A query with 127.0.0.1 (other types: no records).

This module imports only the standard library and dnslib, so the child starts quickly.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus

LOCAL = "127.0.0.1"
Answer = tuple[int, str, bytes]  # (status, content type, body)


def reason(code: int) -> str:
    """The reason phrase of a status code ("Status" for codes such as LinkedIn's 999)."""
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Status"


def failure_body(code: int) -> bytes:
    """A short body naming no brand, as a bot wall, rate limiter or error page sends."""
    return f"<html><body><h1>{code} {reason(code)}</h1></body></html>".encode()


def _response(status: int, ctype: str, body: bytes) -> bytes:
    head = (f"HTTP/1.1 {status} {reason(status)}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode("latin-1") + body


def _answer(path: str, table: Mapping[str, Answer]) -> Answer | None:
    """The answer for a request path; None means reset the connection."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    if parts[0] == "ok" and len(parts) >= 3:
        found = table.get(f"{parts[1]}/{parts[2]}")
        if found is not None:
            return found
    elif parts[0] == "fail" and len(parts) >= 2 and parts[1].isdigit():
        code = int(parts[1])
        if code == 0:
            return None
        return code, "text/html; charset=utf-8", failure_body(code)
    return 404, "text/plain", b"no such replay target"


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0): what a connection reset by the far end looks like."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _serve_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      table: Mapping[str, Answer]) -> None:
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        parts = head.split(b" ", 2)
        path = parts[1].decode("ascii", "replace") if len(parts) > 1 else "/"
        answer = _answer(path, table)
        if answer is None:
            _reset(writer)
            return
        status, ctype, body = answer
        if parts[0] == b"HEAD":
            body = b""
        writer.write(_response(status, ctype, body))
        await writer.drain()
    except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def _serve_tls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()  # the handshake is all a TLS check needs


class _Dns(asyncio.DatagramProtocol):
    """Every A query answered with 127.0.0.1; anything else NOERROR without records."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        from dnslib import QTYPE, RR, A, DNSRecord

        try:
            request = DNSRecord.parse(data)
        except Exception:  # not DNS: drop it, as a real server would
            return
        reply = request.reply()
        if request.q.qtype == QTYPE.A:
            reply.add_answer(RR(request.q.qname, QTYPE.A, rdata=A(LOCAL), ttl=60))
        self.transport.sendto(reply.pack(), addr)  # type: ignore[attr-defined]


async def _main(table: Mapping[str, Answer], cert_pem: bytes, key_pem: bytes) -> None:
    loop = asyncio.get_running_loop()
    http = await asyncio.start_server(lambda r, w: _serve_http(r, w, table), LOCAL, 0,
                                      backlog=512)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory(prefix="pulse-replay-cert-") as folder:
        cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
        with open(cert, "wb") as handle:
            handle.write(cert_pem)
        with open(key, "wb") as handle:
            handle.write(key_pem)
        context.load_cert_chain(cert, key)
    https = await asyncio.start_server(lambda r, w: _serve_http(r, w, table), LOCAL, 0,
                                       ssl=context, backlog=512)
    tls = await asyncio.start_server(_serve_tls, LOCAL, 0, ssl=context, backlog=512)
    transport, _ = await loop.create_datagram_endpoint(_Dns, local_addr=(LOCAL, 0))
    ports = {
        "http": http.sockets[0].getsockname()[1],
        "https": https.sockets[0].getsockname()[1],
        "tls": tls.sockets[0].getsockname()[1],
        "dns": transport.get_extra_info("sockname")[1],
    }
    sys.stdout.write(json.dumps(ports) + "\n")
    sys.stdout.flush()
    # Serve until the parent closes our stdin (or ends, however it ended).
    await loop.run_in_executor(None, sys.stdin.buffer.read)


def child_main() -> None:
    """Entry point of the child: the set-up arrives as one JSON document on stdin."""
    setup = json.loads(sys.stdin.buffer.readline())
    table = {key: (int(code), ctype, base64.b64decode(body))
             for key, (code, ctype, body) in setup["table"].items()}
    asyncio.run(_main(table, setup["cert"].encode(), setup["key"].encode()))


@dataclass
class Targets:
    """The running servers: their ports, the CA bundle that verifies them, the child."""

    ports: dict[str, int]
    ca_path: str
    process: subprocess.Popen

    def close(self) -> None:
        """Stop the child process (ours, by its handle) and remove the CA file."""
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()  # type: ignore[union-attr]
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                self.process.wait(5)
        with contextlib.suppress(OSError):
            os.remove(self.ca_path)

    def __enter__(self) -> Targets:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start(table: Mapping[str, Answer], tls_names: list[str]) -> Targets:
    """Start the servers in a child process; `tls_names` are the names the certificate holds
    (besides 127.0.0.1 and localhost)."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert(LOCAL, "localhost", *sorted(set(tls_names)))
    handle, ca_path = tempfile.mkstemp(prefix="pulse-replay-ca-", suffix=".pem")
    os.close(handle)
    ca.cert_pem.write_to_path(ca_path)
    setup = {
        "table": {key: [code, ctype, base64.b64encode(body).decode()]
                  for key, (code, ctype, body) in table.items()},
        "cert": b"".join(blob.bytes() for blob in cert.cert_chain_pems).decode(),
        "key": cert.private_key_pem.bytes().decode(),
    }
    process = subprocess.Popen([sys.executable, __file__], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE)
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps(setup).encode() + b"\n")
        process.stdin.flush()
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"replay targets did not start (exit {process.wait(5)})")
        ports = json.loads(line)
    except BaseException:
        if process.poll() is None:
            process.terminate()
        raise
    return Targets(ports=ports, ca_path=ca_path, process=process)


if __name__ == "__main__":
    child_main()

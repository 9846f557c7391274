"""Benchmark: N HTTP checks through runner.run_check against a loopback server.

Prints checks per second and the client's CPU milliseconds per check. The server runs in a
child process (this script with --serve), so its CPU time is not counted. Loopback only.

    python bench/probe_throughput.py [-n 2000] [--concurrency 32] [--keyword pulse] [--raw]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitors.probes.base import ProbeContext, make_client, make_ssl_context
from monitors.probes.http import HttpCheck
from monitors.sampling.runner import run_check

BODY = b"<html><title>pulse</title>" + b"x" * 2048 + b"</html>"
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
    + str(len(BODY)).encode()
    + b"\r\n\r\n"
    + BODY
)


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Keep-alive: one canned response per request until the client hangs up."""
    try:
        while True:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def serve(tls_dir: str | None = None) -> None:
    """Run the loopback server and print its port on stdout (HTTPS with a trustme CA written
    to TLS_DIR/ca.pem when given)."""
    context = None
    if tls_dir:
        import ssl  # lazy: only the HTTPS server needs it

        import trustme  # lazy: a test-only package, for the HTTPS server

        ca = trustme.CA()
        ca.cert_pem.write_to_path(str(Path(tls_dir) / "ca.pem"))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    server = await asyncio.start_server(_answer, "127.0.0.1", 0, backlog=1024, ssl=context)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


async def bench(
    url: str, n: int, concurrency: int, keyword: str, raw: bool = False, fresh: bool = False,
    pooled: bool = False, shared: bool = False,
) -> dict[str, float]:
    """Run n checks, at most `concurrency` at once, as the runner does: a client per check
    on the lean transport (a new connection per check). `shared`: one such client for all;
    `pooled`: one client on httpx's keep-alive pool (connections reused); `fresh`: the old
    way, a pooled httpx client of its own for every check."""
    ssl_context = make_ssl_context()
    client = make_client(ssl_context, concurrency=concurrency, pooled=pooled)
    ctx = ProbeContext(client=client, timeout_s=10.0, ssl_context=ssl_context)
    check = HttpCheck(id="web", url=url, keyword=keyword)
    gate = asyncio.Semaphore(concurrency)

    async def one() -> tuple[str, float | None]:
        async with gate:
            if raw:  # baseline: bare httpx, no probe logic, no deadline, no trace
                start = time.perf_counter()
                response = await client.get(url)
                ok = response.status_code == 200
                return "up" if ok else "down", (time.perf_counter() - start) * 1000
            if shared or pooled:
                result = await run_check(check, ctx)
            else:  # as the runner does: a client per check (the old way: a pooled one)
                async with make_client(ssl_context, concurrency=2, pooled=fresh) as own:
                    result = await run_check(check, replace(ctx, client=own))
            return result.status, result.latency_ms

    async with client:
        await asyncio.gather(*(one() for _ in range(min(n, concurrency))))  # warm the pool
        wall, cpu = time.perf_counter(), time.process_time()
        results = await asyncio.gather(*(one() for _ in range(n)))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    latencies = sorted(latency for _, latency in results if latency is not None)
    return {
        "checks": n,
        "up": sum(status == "up" for status, _ in results),
        "wall_s": wall,
        "checks_per_s": n / wall,
        "cpu_ms_per_check": cpu * 1000 / n,
        "latency_p50_ms": statistics.median(latencies),
        "latency_p95_ms": latencies[int(len(latencies) * 0.95) - 1],
    }


def main() -> int:
    """Start the server process, run the benchmark, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="number of checks")
    parser.add_argument("--concurrency", type=int, default=32, help="checks in flight")
    parser.add_argument("--keyword", default="", help="keyword the body must contain")
    parser.add_argument("--raw", action="store_true", help="bare httpx GETs, for comparison")
    parser.add_argument("--fresh", action="store_true",
                        help="the old way: a pooled httpx client per check (default: as the "
                        "runner does, a lean client per check, a new connection per check)")
    parser.add_argument("--shared", action="store_true",
                        help="one lean client for every check (new connections, shared cookies)")
    parser.add_argument("--pooled", action="store_true",
                        help="one client on httpx's keep-alive pool (connections reused)")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio",
                        help="event loop of the checks")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tls-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.tls_dir))
        return 0
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(server.stdout.readline())
        loop = None
        if args.loop == "uvloop":
            import uvloop  # lazy: optional dependency, asked for by --loop uvloop

            loop = uvloop.new_event_loop
        with asyncio.Runner(loop_factory=loop) as runner:
            figures = runner.run(
                bench(f"http://127.0.0.1:{port}/", args.n, args.concurrency, args.keyword,
                      args.raw, args.fresh, args.pooled, args.shared))
    finally:
        server.terminate()
        server.wait(5)
    what = "bare httpx GETs" if args.raw else "HTTP checks via run_check"
    print(
        f"probe_throughput: {figures['checks']} {what}, concurrency {args.concurrency}, "
        f"keyword={args.keyword!r}, loop {args.loop}"
    )
    print(f"  up:               {figures['up']}/{figures['checks']}")
    print(f"  wall:             {figures['wall_s']:.2f} s")
    print(f"  checks/second:    {figures['checks_per_s']:.0f}")
    print(f"  CPU ms/check:     {figures['cpu_ms_per_check']:.3f}")
    print(
        f"  latency p50/p95:  {figures['latency_p50_ms']:.1f} / {figures['latency_p95_ms']:.1f} ms"
    )
    return 0 if figures["up"] == figures["checks"] else 1


if __name__ == "__main__":
    sys.exit(main())

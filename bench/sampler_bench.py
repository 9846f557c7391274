"""Sampler benchmark: resource use of the default catalog, and lateness at 1,000 checks / 10 s.

Loopback only: every URL, host and nameserver of the catalog is pointed at local servers
(HTTP, HTTPS with a trustme CA, TCP, and a dnslib DNS server) run in a separate process, so
their CPU is not counted against the sampler.

    python bench/sampler_bench.py catalog [--seconds 120] [--interval 60] [--runs 3]
    python bench/sampler_bench.py load [--checks 1000] [--interval 10] [--seconds 60]
        [--runs 3] [--burner off|on|both]

Each run is a fresh process (so RSS is that run's own). CPU is getrusage (user + system, all
threads) over the measured window, printed next to wall time with the load average; with
several runs, min / median / max. `--burner both` interleaves runs without and with busy
processes on every core, and counts the checks recorded as platform failures (down or
degraded) under the burner that the runs without it recorded as up.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.burner import Burner
from monitors.config import Config, Settings, merge_platforms
from monitors.sampling.sampler import Sampler

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "status_pages"
DEFAULT_BODY = b'{"error": {"message": "ok"}, "status": {"indicator": "none"}, "url": "x"}'
_ORGS = ["fbs", "ads-manager", "marketing-api", "graph-api", "facebook-login", "fb-ig-shops",
         "ig-messenger", "whatsapp-business-api", "messenger"]
# Real status payloads by path, so the status checks parse what they would in production
# (a body they cannot parse is cheaper than the real thing, and recorded unknown).
STATUS_BODIES = {
    "/api/v2/summary.json": (FIXTURES / "statuspage_discord_operational.json").read_bytes(),
    "/api/v2.0.0/current": (FIXTURES / "slack_current_ok.json").read_bytes(),
    "/data/orgs.json": json.dumps([
        {"id": org, "name": org, "services": [
            {"id": i, "name": f"Service {i}", "status": "No known issues"} for i in range(6)]}
        for org in _ORGS]).encode(),
}


def _serve(ready: mp.Queue, ca_dir: str) -> None:
    """Child process: HTTP, HTTPS and DNS servers on 127.0.0.1 answering everything."""
    import asyncio
    import socketserver
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import trustme
    from dnslib import QTYPE, RR, A, DNSRecord

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca.cert_pem.write_to_path(os.path.join(ca_dir, "ca.pem"))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            body = STATUS_BODIES.get(self.path.split("?", 1)[0], DEFAULT_BODY)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    https = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    https.socket = context.wrap_socket(https.socket, server_side=True)
    for server in (http, https):
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()

    class Dns(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            data, sock = self.request
            request = DNSRecord.parse(data)
            reply = request.reply()
            if request.q.qtype == QTYPE.A:
                reply.add_answer(RR(request.q.qname, QTYPE.A, rdata=A("127.0.0.1"), ttl=60))
            sock.sendto(reply.pack(), self.client_address)

    dns = socketserver.ThreadingUDPServer(("127.0.0.1", 0), Dns)
    threading.Thread(target=dns.serve_forever, daemon=True).start()
    ready.put({"http": http.server_address[1], "https": https.server_address[1],
               "dns": dns.server_address[1]})
    asyncio.run(asyncio.sleep(10**6))


def start_servers() -> tuple[mp.Process, dict, str]:
    """Start the local servers in a child process; returns (process, ports, ca bundle path)."""
    ca_dir = tempfile.mkdtemp(prefix="pulse-bench-ca-")
    spawn = mp.get_context("spawn")
    ready = spawn.Queue()
    proc = spawn.Process(target=_serve, args=(ready, ca_dir), daemon=True)
    proc.start()
    ports = ready.get(timeout=60)
    return proc, ports, os.path.join(ca_dir, "ca.pem")


def localize_check(check: dict, ports: dict) -> dict:
    """Point one catalog check at the local servers, keeping its kind, path and expectations."""
    check = dict(check)
    kind = check["kind"]
    if kind in ("http", "statuspage"):
        parts = urlsplit(check["url"])
        port = ports["https"] if parts.scheme == "https" else ports["http"]
        check["url"] = f"{parts.scheme}://127.0.0.1:{port}{parts.path or '/'}"
        if kind == "http":
            check["expect_status"] = [200]
            check.pop("keyword", None)
            check.pop("json_field", None)
        check.pop("page_id", None)  # every status page is served from one local host
        check.pop("fallback_urls", None)
    elif kind == "dns":
        check.update(nameserver="127.0.0.1", port=ports["dns"], record="A")
    elif kind in ("tcp", "tls"):
        check.update(host="127.0.0.1", port=ports["https"])
        check.pop("server_name", None)
    return check


def catalog_settings(ports: dict, ca: str, data: str, interval: float) -> Settings:
    """The built-in catalog, every target on loopback."""
    catalog = merge_platforms(Config())
    platforms = []
    for platform in catalog:
        raw = platform.model_dump(mode="json")
        raw["checks"] = [localize_check(c, ports) for c in raw["checks"]]
        platforms.append(raw)
    config = Config.model_validate({
        "monitor": {"interval": interval, "timeout": 10, "vantage": "bench", "data": data,
                    "default_platforms": False, "ca_bundle": ca,
                    "controls": [f"tcp://127.0.0.1:{ports['http']}"]},
        "platforms": platforms,
    })
    return Settings(config=config, platforms=tuple(config.platforms), data=data, source="bench")


def load_settings_for(ports: dict, data: str, checks: int, interval: float) -> Settings:
    """N plain HTTP checks over 50 platforms of 10 providers, every `interval` seconds."""
    per = max(1, checks // 50)
    platforms = [
        {"id": f"p{i:02d}", "name": f"P{i}", "provider": f"prov{i % 10}",
         "checks": [{"id": f"c{j}", "kind": "http",
                     "url": f"http://127.0.0.1:{ports['http']}/{i}/{j}"} for j in range(per)]}
        for i in range(50)
    ]
    config = Config.model_validate({
        "monitor": {"interval": interval, "timeout": 5, "vantage": "bench", "data": data,
                    "default_platforms": False, "concurrency": 64,
                    "controls": [f"tcp://127.0.0.1:{ports['http']}"]},
        "platforms": platforms,
    })
    return Settings(config=config, platforms=tuple(config.platforms), data=data, source="bench")


def rss_mb() -> float:
    """Resident memory of this process in MB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_s() -> float:
    """User + system CPU seconds of this process, every thread (getrusage)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _tally(sampler: Sampler) -> dict[int, tuple[Counter, Counter]]:
    """Per round number: samples by (status, error), and platform failures by platform/check."""
    by_round: dict[int, tuple[Counter, Counter]] = {}

    def hook(found) -> None:  # runs after the round's stats are counted: rounds is its number
        statuses, failures = by_round.setdefault(sampler.stats.rounds, (Counter(), Counter()))
        for row in found.samples:
            statuses[f"{row['status']}/{row['error'] or ''}"] += 1
            if row["status"] in ("down", "degraded"):
                failures[f"{row['platform']}/{row['check']}"] += 1

    sampler.add_hook(hook)
    return by_round


def _window(by_round: dict[int, tuple[Counter, Counter]], first: int, last: int) -> tuple:
    """Statuses and failures of rounds first..last."""
    statuses, failures = Counter(), Counter()
    for number in range(first, last + 1):
        found = by_round.get(number, (Counter(), Counter()))
        statuses.update(found[0])
        failures.update(found[1])
    return dict(statuses), dict(failures)


def _wait_rounds(sampler: Sampler, rounds: int, limit_s: float, peak: float) -> float:
    """Wait until the sampler finished `rounds` rounds, polling RSS; the peak RSS seen."""
    deadline = time.monotonic() + limit_s
    while sampler.stats.rounds < rounds and time.monotonic() < deadline:
        time.sleep(0.25)
        peak = max(peak, rss_mb())
    return peak


def measure(settings: Settings, seconds: float, burn: bool = False) -> dict:
    """Run the sampler for `seconds` (with busy processes on every core when `burn`); report
    CPU (getrusage) next to wall time, RSS, rounds, skipped rounds, lateness and every
    sample's status."""
    sampler = Sampler(settings, own_process=True)  # as `monitors run` does
    by_round = _tally(sampler)
    sampler.start()
    interval = settings.monitor.interval
    peak = _wait_rounds(sampler, 1, interval + 120, rss_mb())  # the first round settles
    burner = Burner().start() if burn else None
    try:
        # The window runs from the end of one round to the end of the round `seconds` later,
        # so CPU and checks cover the same whole rounds.
        load0 = os.getloadavg()[0]
        cpu0, wall0, rounds0 = _cpu_s(), time.monotonic(), sampler.stats.rounds
        checks0 = sampler.stats.checks_ok + sampler.stats.checks_failed
        target = rounds0 + max(1, round(seconds / interval))
        peak = _wait_rounds(sampler, target, seconds + interval + 120, peak)
        cpu, wall = _cpu_s() - cpu0, time.monotonic() - wall0
        checks = sampler.stats.checks_ok + sampler.stats.checks_failed - checks0
        rounds = sampler.stats.rounds - rounds0
        stats = sampler.stats
        sampler.stop()  # the hooks of the window's last round have run by now
        window = _window(by_round, rounds0 + 1, rounds0 + rounds)
    finally:
        if burner:
            burner.stop()
    return {
        "burner": burn, "wall_s": round(wall, 1), "cpu_s": round(cpu, 2),
        "load_avg_1m": [round(load0, 2), round(os.getloadavg()[0], 2)],
        "rounds": rounds, "checks": checks,
        "cpu_pct_of_core": round(100 * cpu / wall, 3),
        "cpu_ms_per_check": round(1000 * cpu / checks, 3) if checks else None,
        # the kernel's high-water mark of this fresh process: start-up, rounds and flushes
        "rss_mb_peak": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_mb_polled_max": round(peak, 1), "late_rounds_gt_1s": stats.late_rounds,
        "missed_rounds": stats.missed_rounds, "max_lateness_s": round(stats.max_lateness_s, 3),
        "max_loop_lag_s": stats.max_loop_lag_s, "overloaded_rounds": stats.overloaded_rounds,
        "statuses": window[0], "platform_failures": window[1],
    }


def run_once(args: argparse.Namespace) -> dict:
    """One scenario in this process: local servers, the sampler, the figures."""
    proc, ports, ca = start_servers()
    data = tempfile.mkdtemp(prefix="pulse-bench-data-")
    try:
        if args.scenario == "catalog":
            settings = catalog_settings(ports, ca, data, args.interval or 60)
        else:
            settings = load_settings_for(ports, data, args.checks, args.interval or 10)
        n_checks = sum(len(p.checks) for p in settings.platforms)
        return {"scenario": args.scenario, "platforms": len(settings.platforms),
                "checks_per_round": n_checks, "interval_s": settings.monitor.interval,
                **measure(settings, args.seconds, args.burn)}
    finally:
        proc.terminate()


def _spread(values: list) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return f"{min(values):g} / {statistics.median(values):g} / {max(values):g}"


def _summary(runs: list[dict]) -> None:
    """min / median / max per burner setting, and the failures only the burner brought."""
    for burn in (False, True):
        chosen = [r for r in runs if r["burner"] == burn]
        if not chosen:
            continue
        print(f"\n{'with' if burn else 'without'} the CPU burner, {len(chosen)} runs "
              "(min / median / max):")
        for key in ("cpu_ms_per_check", "cpu_pct_of_core", "rss_mb_peak", "missed_rounds",
                    "late_rounds_gt_1s", "max_lateness_s", "max_loop_lag_s",
                    "overloaded_rounds"):
            print(f"  {key:22s} {_spread([r[key] for r in chosen])}")
        failures = [sum(r["platform_failures"].values()) for r in chosen]
        print(f"  {'platform failures':22s} {_spread(failures)}")
        print(f"  load average (start, end): {[r['load_avg_1m'] for r in chosen]}")
    quiet = [r for r in runs if not r["burner"]]
    if quiet and len(quiet) < len(runs):
        seen = set().union(*(r["platform_failures"] for r in quiet))
        ours = [sum(n for key, n in r["platform_failures"].items() if key not in seen)
                for r in runs if r["burner"]]
        print(f"\nchecks recorded as platform failures under the burner that the runs "
              f"without it recorded as up: {ours} (per burner run)")


def main() -> int:
    """Parse arguments; run the scenario `--runs` times, each in a fresh process; print
    each run's JSON and min / median / max."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", choices=["catalog", "load"])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--interval", type=float)
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1, help="fresh processes, one per run")
    parser.add_argument("--burner", choices=["off", "on", "both"], default="off",
                        help="busy processes on every core during the run; 'both' "
                        "interleaves runs without and with them")
    parser.add_argument("--burn", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_once(args)))
        return 0
    plan = {"off": [False], "on": [True], "both": [False, True]}[args.burner] * args.runs
    runs = []
    for burn in plan:
        cmd = [sys.executable, __file__, args.scenario, "--one", "--seconds", str(args.seconds),
               "--checks", str(args.checks)]
        cmd += ["--interval", str(args.interval)] if args.interval else []
        cmd += ["--burn"] if burn else []
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
            return 1
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(runs[-1]), flush=True)
    _summary(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Side by side: the Pulse sampler against Prometheus + blackbox_exporter, same targets, same run.

Both sides probe the same N local HTTP targets every interval with fresh connections (the
exporter builds a client per probe; the sampler opens new connections every round), at the
same time, on one machine, so the CPU-per-check and RSS ratios are measured under one load.
Every process is started by this script with its own config in a temp folder, listens on
127.0.0.1 only, and is stopped by its PID at the end. Nothing leaves loopback.

CPU is read from /proc/PID/stat (utime + stime, the kernel's getrusage figures for that
process) over a window that starts and ends just after a Pulse round; RSS is sampled every
0.5 s on both sides (the peak of the sum for Prometheus + exporter), and each process's
VmHWM (the kernel's high-water mark since it started) is read at the end: both ratios are
printed.

    python bench/blackbox_bench.py [--checks 500] [--interval 10] [--window 120] [--runs 3]
        [--https] [--burn]

Needs Debian's `prometheus` and `prometheus-blackbox-exporter` (their services not started).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.burner import Burner  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (its own, not its children's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def mem_mb(pid: int, key: str = "VmRSS") -> float:
    """VmRSS (or VmHWM, the peak) of one process in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def start_target(https: bool, ca_dir: Path) -> tuple[subprocess.Popen, int]:
    """The local target server (bench/probe_throughput.py --serve) in its own process."""
    cmd = [sys.executable, str(ROOT / "bench" / "probe_throughput.py"), "--serve"]
    if https:
        cmd += ["--tls-dir", str(ca_dir)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, start_new_session=True)
    return proc, int(proc.stdout.readline())


def pulse_config(path: Path, data: Path, urls: list[str], interval: float,
                 ca: str | None) -> None:
    """A loopback config: the URLs as HTTP checks, 10 per platform, no catalog."""
    lines = ["[monitor]", f'interval = "{interval:g}s"', 'timeout = "5s"', 'vantage = "bench"',
             f'data = "{data}"', "default_platforms = false", "concurrency = 32",
             f'controls = ["{urls[0]}"]', 'flush_every = "30s"']
    if ca:
        lines.append(f'ca_bundle = "{ca}"')
    for i in range(0, len(urls), 10):
        lines += ["", "[[platforms]]", f'id = "p{i // 10:03d}"', f'name = "P{i // 10}"',
                  f'provider = "prov{i // 10 % 10}"']
        for j, url in enumerate(urls[i:i + 10]):
            lines += ["  [[platforms.checks]]", f'  id = "c{j}"', '  kind = "http"',
                      f'  url = "{url}"']
    path.write_text("\n".join(lines) + "\n")


def blackbox_configs(folder: Path, urls: list[str], interval: float, bb_port: int,
                     ca: str | None) -> tuple[Path, Path]:
    """blackbox.yml (one http module, fresh client per probe) and prometheus.yml (N targets)."""
    tls = f"\n      tls_config:\n        ca_file: {ca}" if ca else ""
    bb = folder / "blackbox.yml"
    bb.write_text(
        "modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n    http:\n"
        "      valid_status_codes: [200]\n      preferred_ip_protocol: ip4\n"
        f"      ip_protocol_fallback: false{tls}\n")
    targets = "\n".join(f"          - {url}" for url in urls)
    prom = folder / "prometheus.yml"
    prom.write_text(
        f"global:\n  scrape_interval: {interval:g}s\n  scrape_timeout: 5s\n"
        "scrape_configs:\n  - job_name: blackbox\n    metrics_path: /probe\n"
        "    params:\n      module: [http_2xx]\n    static_configs:\n      - targets:\n"
        f"{targets}\n    relabel_configs:\n      - source_labels: [__address__]\n"
        "        target_label: __param_target\n      - source_labels: [__param_target]\n"
        "        target_label: instance\n      - target_label: __address__\n"
        f"        replacement: 127.0.0.1:{bb_port}\n")
    return bb, prom


def prom_query(port: int, query: str, at: float) -> float:
    """One instant PromQL query against our local Prometheus; its scalar value."""
    params = urllib.parse.urlencode({"query": query, "time": f"{at:.3f}"})
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/query?{params}",
                                timeout=10) as answer:
        result = json.load(answer)["data"]["result"]
    return float(result[0]["value"][1]) if result else 0.0


def heartbeat(data: Path) -> dict:
    """The Pulse sampler's heartbeat (rounds, checks), or {} before the first one."""
    for path in data.glob("state/heartbeat-*.json"):
        try:
            return json.loads(path.read_text())
        except ValueError:
            return {}
    return {}


def wait_round(data: Path, after: int, limit_s: float) -> dict:
    """Poll until the sampler has finished round `after` + 1; its heartbeat."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        beat = heartbeat(data)
        if beat.get("rounds", 0) > after:
            return beat
        time.sleep(0.05)
    raise RuntimeError("the Pulse sampler finished no round in time")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM one process we started (by its PID), then wait; SIGKILL if it hangs."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(5)


def one_run(args: argparse.Namespace, work: Path) -> dict:
    """Start the target, Pulse, the exporter and Prometheus; measure one window; stop them."""
    target, port = start_target(args.https, work)
    scheme = "https" if args.https else "http"
    ca = str(work / "ca.pem") if args.https else None
    host = "localhost" if args.https else "127.0.0.1"
    urls = [f"{scheme}://{host}:{port}/t{i}" for i in range(args.checks)]
    data = work / "pulse-data"
    config = work / "pulse.toml"
    pulse_config(config, data, urls, args.interval, ca)
    bb_port, prom_port = free_port(), free_port()
    bb_yml, prom_yml = blackbox_configs(work, urls, args.interval, bb_port, ca)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITORS_")}
    procs: dict[str, subprocess.Popen] = {}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL,
             "start_new_session": True}
    burner = Burner(args.burn_procs) if args.burn else None
    try:
        procs["exporter"] = subprocess.Popen(
            [shutil.which("prometheus-blackbox-exporter") or "prometheus-blackbox-exporter",
             f"--config.file={bb_yml}", f"--web.listen-address=127.0.0.1:{bb_port}"], **quiet)
        procs["prometheus"] = subprocess.Popen(
            [shutil.which("prometheus") or "prometheus", f"--config.file={prom_yml}",
             f"--storage.tsdb.path={work / 'tsdb'}", f"--web.listen-address=127.0.0.1:{prom_port}",
             "--log.level=error"], **quiet)
        procs["pulse"] = subprocess.Popen(
            [sys.executable, "-m", "monitors", "run", "--config", str(config), "--data",
             str(data)], cwd=ROOT, env=env, **quiet)
        if burner:
            burner.start()
        beat = wait_round(data, 0, 60)
        deadline = time.monotonic() + args.warmup
        while time.monotonic() < deadline:
            beat = wait_round(data, beat["rounds"], args.interval * 3)
        return _measure(args, procs, data, beat, prom_port)
    finally:
        if burner:
            burner.stop()
        for proc in procs.values():
            stop(proc)
        stop(target)


def _measure(args: argparse.Namespace, procs: dict, data: Path, beat: dict,
             prom_port: int) -> dict:
    """The window: from just after one Pulse round to just after the round `window` later."""
    pids = {name: proc.pid for name, proc in procs.items()}
    cpu0 = {name: cpu_s(pid) for name, pid in pids.items()}
    t0, checks0, ok0 = time.time(), _checks(beat), beat.get("checks_ok", 0)
    rounds0, load0 = beat["rounds"], os.getloadavg()[0]
    peak = {"pulse": 0.0, "bb": 0.0}
    target_rounds = rounds0 + round(args.window / args.interval)
    while beat["rounds"] < target_rounds:
        time.sleep(0.5)
        peak["pulse"] = max(peak["pulse"], mem_mb(pids["pulse"]))
        peak["bb"] = max(peak["bb"], mem_mb(pids["exporter"]) + mem_mb(pids["prometheus"]))
        beat = heartbeat(data) or beat
    cpu1 = {name: cpu_s(pid) for name, pid in pids.items()}
    t1, cpu = time.time(), {name: cpu1[name] - cpu0[name] for name in pids}
    time.sleep(2)  # let the last scrapes land
    window = f"{t1 - t0:.0f}s"
    probes = prom_query(prom_port, f"sum(count_over_time(probe_success[{window}]))", t1)
    probes_ok = prom_query(prom_port, f"sum(sum_over_time(probe_success[{window}]))", t1)
    checks = _checks(beat) - checks0
    return {
        "wall_s": round(t1 - t0, 1), "load_avg_1m": [round(load0, 2),
                                                     round(os.getloadavg()[0], 2)],
        "pulse_checks": checks, "pulse_up": beat.get("checks_ok", 0) - ok0,
        "pulse_missed_rounds": beat.get("missed_rounds"),
        "pulse_cpu_s": round(cpu["pulse"], 2),
        "pulse_ms_per_check": round(1000 * cpu["pulse"] / max(checks, 1), 3),
        "bb_probes": int(probes), "bb_up": int(probes_ok),
        "exporter_cpu_s": round(cpu["exporter"], 2),
        "prometheus_cpu_s": round(cpu["prometheus"], 2),
        "exporter_ms_per_check": round(1000 * cpu["exporter"] / max(probes, 1), 3),
        "exporter_prom_ms_per_check": round(
            1000 * (cpu["exporter"] + cpu["prometheus"]) / max(probes, 1), 3),
        "pulse_rss_peak_mb": round(peak["pulse"], 1),
        "pulse_hwm_mb": round(mem_mb(pids["pulse"], "VmHWM"), 1),
        "bb_prom_rss_peak_mb": round(peak["bb"], 1),
        "bb_prom_hwm_mb": round(mem_mb(pids["exporter"], "VmHWM")
                                + mem_mb(pids["prometheus"], "VmHWM"), 1),
    }


def _checks(beat: dict) -> int:
    return beat.get("checks_ok", 0) + beat.get("checks_failed", 0) + beat.get(
        "refused_checks", 0)


def _spread(values: list[float]) -> str:
    return (f"{min(values):.3f} / {statistics.median(values):.3f} / {max(values):.3f}"
            if values else "-")


def main() -> int:
    """Run the side-by-side bench `--runs` times; print each run and min / median / max."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=500)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--window", type=float, default=120.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--https", action="store_true", help="HTTPS targets (trustme CA)")
    parser.add_argument("--burn", action="store_true", help="busy processes on every core")
    parser.add_argument("--burn-procs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--json", type=Path, help="also write the runs here")
    args = parser.parse_args()
    for tool in ("prometheus", "prometheus-blackbox-exporter"):
        if not shutil.which(tool):
            print(f"{tool} not found: apt-get install prometheus prometheus-blackbox-exporter")
            return 2
    runs = []
    for i in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="pulse-bb-") as work:
            run = one_run(args, Path(work))
        run["ratio_cpu"] = round(run["pulse_ms_per_check"] / run["exporter_ms_per_check"], 3)
        run["ratio_cpu_vs_both"] = round(
            run["pulse_ms_per_check"] / run["exporter_prom_ms_per_check"], 3)
        run["ratio_rss"] = round(run["pulse_rss_peak_mb"] / run["bb_prom_rss_peak_mb"], 3)
        run["ratio_rss_hwm"] = round(run["pulse_hwm_mb"] / run["bb_prom_hwm_mb"], 3)
        runs.append(run)
        print(f"run {i + 1}: {json.dumps(run)}", flush=True)
    print(f"\n{args.checks} {'HTTPS' if args.https else 'HTTP'} checks every "
          f"{args.interval:g} s, {args.window:g} s windows, {len(runs)} runs"
          f"{', CPU burner on' if args.burn else ''} (min / median / max):")
    for key in ("pulse_ms_per_check", "exporter_ms_per_check", "exporter_prom_ms_per_check",
                "ratio_cpu", "ratio_cpu_vs_both", "pulse_rss_peak_mb", "bb_prom_rss_peak_mb",
                "ratio_rss", "pulse_hwm_mb", "bb_prom_hwm_mb", "ratio_rss_hwm"):
        print(f"  {key:28s} {_spread([r[key] for r in runs])}")
    print(f"  load average 1 min (start, end): {[r['load_avg_1m'] for r in runs]}")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

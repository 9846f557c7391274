"""Serve the dashboard on 127.0.0.1 in a subprocess and drive it with the system Chromium.

Used by the end-to-end tests, bench/dashboard_bench.py and scripts/screenshots.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
# Debian's chromium, headless, with everything that might phone home switched off. The proxy
# points at a closed loopback port and DNS resolves nothing, so no request can leave the
# machine; Chromium never sends loopback traffic through a proxy.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1;localhost;[::1]",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]


def chromium() -> str | None:
    """The system Chromium, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (bind port 0 and read it back)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(data: Path | str, config: Path | str, *, env: dict[str, str] | None = None,
          timeout_s: float = 90) -> Iterator[str]:
    """`streamlit run dashboard.py` on 127.0.0.1 with this data and config; yields its URL."""
    port = free_port()
    environment = {**os.environ, "MONITORS_CONFIG": str(config), "MONITORS_DATA": str(data),
                   "PULSE_NO_SAMPLER": "1", **(env or {})}
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (lives as long as the server)
        "w+", prefix="streamlit-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, timeout_s, log.name)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        Path(log.name).unlink(missing_ok=True)


def _wait_healthy(url: str, process: subprocess.Popen, timeout_s: float, log: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{Path(log).read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/_stcore/health", timeout=2).text.strip() == "ok":
                return
        time.sleep(0.3)
    raise RuntimeError(f"streamlit did not become healthy:\n{Path(log).read_text()[-3000:]}")


def launch(playwright, **kwargs):
    """Headless Debian Chromium through Playwright (never a downloaded browser)."""
    return playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS,
                                      headless=True, **kwargs)


def wait_idle(page, timeout_ms: float = 60_000) -> None:
    """Wait until the app has finished its script run (no 'running' status widget)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=timeout_ms)

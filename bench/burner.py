"""A CPU burner for the benches: busy processes on every core, started and stopped by PID.

Each burner is a plain `python -c` busy loop at normal priority, in its own session, so the
sampler under test competes with them for the cores the way it would with other work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

_LOOP = "import time\nwhile True:\n    sum(i * i for i in range(10000))\n"


class Burner:
    """`procs` busy processes (default: one per core) while started."""

    def __init__(self, procs: int | None = None) -> None:
        self.count = procs or os.cpu_count() or 2
        self.procs: list[subprocess.Popen] = []

    def start(self) -> Burner:
        """Start the busy processes."""
        self.procs = [subprocess.Popen([sys.executable, "-c", _LOOP], start_new_session=True)
                      for _ in range(self.count)]
        return self

    def stop(self) -> None:
        """Stop every busy process this burner started (by its PID)."""
        for proc in self.procs:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            proc.wait(10)
        self.procs = []

    def __enter__(self) -> Burner:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""The sampler process: its probe loop — uvloop where it is installed (about an eighth less
CPU per check in the probe bench), else asyncio's — and, when sampling is the
process's only job, its allocator.

uvloop is an optional dependency (requirements.txt, not on Windows). `PULSE_LOOP=asyncio`
forces the standard loop, for comparison or if uvloop misbehaves somewhere.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os

import pyarrow


def loop_name() -> str:
    """'uvloop' when the sampler will run on uvloop, else 'asyncio'."""
    if os.environ.get("PULSE_LOOP", "").lower() == "asyncio":
        return "asyncio"
    return "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A new event loop for the probes (uvloop when available and not switched off)."""
    if loop_name() == "uvloop":
        import uvloop  # lazy: optional, and only the process that probes needs it

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def lean_process() -> None:
    """Tune a process whose only job is sampling: Arrow allocates from the system allocator
    (its default, mimalloc, keeps arenas of its own: several MB more RSS for the small
    batches a sampler flushes; bench/README.md). Process-wide, so not for the dashboard."""
    pyarrow.set_memory_pool(pyarrow.system_memory_pool())

"""A demo data folder with measured impact: 90 days of backfilled history and the demo shop's
DEMO (synthetic) sales series, as `python -m monitors demo --backfill 90d` writes them.

Used by the measured-impact tests, scripts/screenshots.py and bench/dashboard_bench.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from monitors.config import Settings
from monitors.demo.backfill import backfill, write_marker
from monitors.demo.config import CONFIG_NAME, demo_config, write_demo_settings
from monitors.demo.sales import write_sales
from monitors.demo.servers import SimPlatforms
from monitors.demo.story import Story

SPAN_S = 90 * 86400.0


def build_demo(data: Path | str, *, end: datetime | None = None) -> tuple[Settings, dict]:
    """Write the demo's config, 90 days of history and its sales series; (settings, truth).

    The simulated platforms run only while the config is written (it names their ports);
    a dashboard on this folder must not sample (PULSE_NO_SAMPLER=1).
    """
    end = end or datetime.now(UTC)
    sim = SimPlatforms(Story()).start()
    try:
        settings = write_demo_settings(demo_config(sim, sales=True), str(data))
    finally:
        sim.stop()
    write_marker(str(data), backfill_s=SPAN_S)
    backfill(settings, SPAN_S, end=end)
    truth = write_sales(str(data), end, SPAN_S)
    return settings, truth


def demo_config_path(data: Path | str) -> Path:
    """Where build_demo() wrote the config."""
    return Path(data) / CONFIG_NAME

"""The sampler's log: confirmed outages and recoveries are WARNING lines; unconfirmed changes
are INFO and rate-limited, so a flapping platform cannot bury the log."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from monitors.sampling.changelog import QUIET_S, ChangeLog

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _play(pattern: str, **kwargs) -> list[tuple[int, str]]:
    """Feed one verdict a minute for platform x ('.' up, 'X' down, 'S' degraded, 'R' refused)."""
    names = {".": "up", "X": "down", "S": "degraded", "R": "refused", "?": "unknown"}
    log, lines = ChangeLog(**kwargs), []
    for i, char in enumerate(pattern):
        lines += log.observe({"x": names[char]}, T0 + timedelta(minutes=i))
    return lines


def test_an_outage_and_its_recovery_are_two_warnings():
    lines = _play("...XXXX...")
    warnings = [m for level, m in lines if level == logging.WARNING]
    assert warnings == ["x: down (confirmed over 2 rounds)", "x: recovered (was down)"]


def test_a_blip_is_one_info_line_and_no_warning():
    lines = _play("...X.....")
    assert [level for level, _ in lines] == [logging.INFO]
    assert lines[0][1] == "x: up -> down (not confirmed)"


def test_a_flapping_platform_logs_at_most_one_line_per_quiet_period():
    flaps = ".X" * 300  # 600 rounds, one a minute: 10 hours of flapping
    lines = _play(flaps)
    assert all(level == logging.INFO for level, _ in lines)
    assert len(lines) <= 600 * 60 / QUIET_S + 1
    assert "more changes" in lines[1][1]


def test_refusals_neither_confirm_nor_recover():
    lines = _play("..XRRX..", confirm=3)
    assert not [m for level, m in lines if level == logging.WARNING]
    assert _play("XXXRR..", recover=2)[-1] == (logging.WARNING, "x: recovered (was down)")

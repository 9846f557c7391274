"""What the sampler's log says about platforms: WARNING for confirmed outages and recoveries,
INFO (rate-limited per platform) for unconfirmed changes, so one flapping platform cannot
bury the log (pure: rounds' verdicts in, log lines out).

Confirmation follows the analysis: a failing status (down, degraded) seen in `confirm`
rounds in a row is confirmed; `recover` up rounds in a row end it. Refused and unknown
rounds neither confirm nor recover anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

QUIET_S = 600.0  # at most one unconfirmed-change line per platform this often
_FAILING = ("down", "degraded")


@dataclass(slots=True)
class _Track:
    raw: str  # the last round's verdict
    run_status: str  # the status of the current run of failing or up rounds
    run: int = 0
    confirmed: str = "up"  # what the log last told as confirmed
    last_info: datetime | None = None
    held: int = 0  # unconfirmed changes not logged since last_info


@dataclass
class ChangeLog:
    """Per platform, the state the log lines are derived from."""

    confirm: int = 2
    recover: int = 2
    quiet_s: float = QUIET_S
    tracks: dict[str, _Track] = field(default_factory=dict)

    def observe(self, verdicts: dict[str, str], now: datetime) -> list[tuple[int, str]]:
        """(level, message) lines for one round's verdicts."""
        lines = []
        for platform, status in verdicts.items():
            track = self.tracks.get(platform)
            if track is None:
                self.tracks[platform] = _Track(raw=status, run_status=status,
                                               run=int(status in (*_FAILING, "up")))
                continue
            before, track.raw = track.raw, status
            if status in (*_FAILING, "up"):
                same = status == track.run_status or (status in _FAILING
                                                      and track.run_status in _FAILING)
                track.run = track.run + 1 if same else 1
                track.run_status = status
            line = self._confirmed(platform, track, status)
            if line:
                lines.append(line)
            elif status != before:
                lines.extend(self._unconfirmed(platform, track, before, status, now))
        return lines

    def _confirmed(self, platform: str, track: _Track, status: str) -> tuple[int, str] | None:
        if status in _FAILING and track.confirmed == "up" and track.run >= self.confirm:
            track.confirmed = status
            return logging.WARNING, f"{platform}: {status} (confirmed over {track.run} rounds)"
        if status == "up" and track.confirmed != "up" and track.run >= self.recover:
            was, track.confirmed = track.confirmed, "up"
            return logging.WARNING, f"{platform}: recovered (was {was})"
        return None

    def _unconfirmed(self, platform: str, track: _Track, before: str, status: str,
                     now: datetime) -> list[tuple[int, str]]:
        if track.last_info is not None and (now - track.last_info).total_seconds() < self.quiet_s:
            track.held += 1
            return []
        held = f" (+{track.held} more changes in the last {self.quiet_s / 60:.0f} min)" \
            if track.held else ""
        track.last_info, track.held = now, 0
        return [(logging.INFO, f"{platform}: {before} -> {status} (not confirmed){held}")]

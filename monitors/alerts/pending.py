"""Alerts seen from outside the sampler: where their state lives, and what is undelivered."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from monitors.alerts.messages import when
from monitors.alerts.notifier import Notifier
from monitors.config import Settings
from monitors.history.state import local_state_dir


def state_dir(settings: Settings) -> Path:
    """Where alert state lives (shared with the sampler): DATA/state, or a local folder for S3."""
    return local_state_dir(settings.data)


def undelivered(settings: Settings) -> list[str]:
    """One line per alert not delivered yet, for the dashboard (targets by label only)."""
    lines = []
    for message in Notifier(settings, state_dir(settings)).pending():
        next_try = when(datetime.fromisoformat(message["next_attempt"]), settings)
        why = message["last_error"] or "waiting to be sent"
        lines.append(f"Alert '{message['title']}' not delivered yet "
                     f"({message['attempts']} failed attempt(s), next try {next_try}): {why}")
    return lines

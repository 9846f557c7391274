"""State changes -> apprise notifications routed around down platforms (see notifier.py)."""

from monitors.alerts.channels import (
    HOST_PLATFORMS,
    SCHEME_PLATFORMS,
    AlertError,
    Target,
    automatic_avoid,
    redact_url,
    targets_from_settings,
)
from monitors.alerts.events import DIGEST_AFTER, AlertEvent, events_from_state
from monitors.alerts.notifier import Delivery, Notifier, down_from_outages
from monitors.alerts.pending import state_dir, undelivered

__all__ = [
    "DIGEST_AFTER",
    "HOST_PLATFORMS",
    "SCHEME_PLATFORMS",
    "AlertError",
    "AlertEvent",
    "Delivery",
    "Notifier",
    "Target",
    "automatic_avoid",
    "down_from_outages",
    "events_from_state",
    "redact_url",
    "state_dir",
    "targets_from_settings",
    "undelivered",
]

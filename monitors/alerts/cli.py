"""Alerts seen from outside the sampler: `alerts test|list` and the undelivered list (dashboard)."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from monitors.alerts.channels import automatic_avoid, targets_from_settings
from monitors.alerts.messages import when
from monitors.alerts.notifier import Notifier
from monitors.config import Settings


def state_dir(settings: Settings) -> Path:
    """Where alert state lives (shared with the sampler): DATA/state, or a local folder for S3."""
    from monitors.history.state import local_state_dir

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


def _list(settings: Settings) -> int:
    targets = targets_from_settings(settings)
    if not targets:
        print("no alert targets configured (add [[alerts]] with an apprise url to the config)")
        return 0
    for target in targets:
        auto = sorted(automatic_avoid(target.url))
        avoid = ", ".join(sorted(target.avoid)) or "-"
        note = f" (automatic: {', '.join(auto)})" if auto else ""
        print(f"{target.label}\n  events: {', '.join(sorted(target.events))}\n"
              f"  skipped while down: {avoid}{note}")
    pending = Notifier(settings, state_dir(settings)).pending()
    if pending:
        print(f"{len(pending)} alert(s) waiting for delivery:")
        for message in pending:
            print(f"  {message['title']} (attempts {message['attempts']}, "
                  f"next {message['next_attempt']}): {message['last_error'] or '-'}")
    return 0


def _test(settings: Settings) -> int:
    notifier = Notifier(settings, state_dir(settings))
    if not notifier.targets:
        print("no alert targets configured (add [[alerts]] with an apprise url to the config)")
        return 1
    deliveries = notifier.send_test()
    for delivery in deliveries:
        if delivery.status == "sent":
            print(f"ok      {delivery.target}")
        else:
            print(f"FAILED  {delivery.target}: {delivery.reason}")
    failed = sum(d.status != "sent" for d in deliveries)
    print(f"{len(deliveries) - failed} of {len(deliveries)} target(s) reached")
    return 1 if failed else 0


def cli_alerts(args: argparse.Namespace, settings: Settings) -> int:
    """`alerts test` sends a test message to every target; `alerts list` shows them (redacted)."""
    return _test(settings) if args.action == "test" else _list(settings)

"""`python -m monitors alerts test|list`: send a test message to every target, or list them
(redacted) with what is waiting for delivery."""

from __future__ import annotations

import argparse

from monitors.alerts import Notifier, automatic_avoid, state_dir, targets_from_settings
from monitors.config import Settings


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

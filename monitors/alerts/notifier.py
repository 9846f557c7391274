"""The Notifier: events -> outbox -> routed delivery with retries, shared by every vantage."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from filelock import Timeout

from monitors.alerts import messages
from monitors.alerts.channels import AlertError, Target, scrub, send, targets_from_settings
from monitors.alerts.events import AlertEvent, events_from_state
from monitors.alerts.store import LEASE_S, AlertStore, Transaction, backoff_s, expire
from monitors.config import Settings
from monitors.timeutil import utcnow

if TYPE_CHECKING:  # only for hints: alerts need not load pandas with the detector
    from monitors.analysis.incidents import Outage

log = logging.getLogger("monitors.alerts")


@dataclass(frozen=True, slots=True)
class Delivery:
    """What happened to one message at one target (the target by label, never by URL)."""

    target: str
    key: str
    kind: str
    status: Literal["sent", "failed", "skipped"]
    reason: str = ""
    permanent: bool = False


def _iso(ts: datetime) -> str:
    return ts.isoformat()


def _wants(target: Target, event: AlertEvent) -> bool:
    if event.kind == "digest":
        return any(_wants(target, part) for part in event.parts)
    return target.wants(event.kind, event.severity)


def attempt(target: Target, key: str, kind: str, title: str, body: str) -> Delivery:
    """Send one message to one target and record the outcome (the one place AlertError ends)."""
    try:
        send(target, title, body)
    except AlertError as exc:
        reason = scrub(str(exc), target.secrets)
        log.warning("alert %r to %s failed: %s", title, target.label, reason)
        return Delivery(target.label, key, kind, "failed", reason, exc.permanent)
    except Exception as exc:  # a bug in a channel must not stop the other targets
        log.warning("alert %r to %s crashed: %s", title, target.label, type(exc).__name__)
        return Delivery(target.label, key, kind, "failed", type(exc).__name__)
    log.info("alert %r sent to %s", title, target.label)
    return Delivery(target.label, key, kind, "sent")


def down_from_outages(outages: Iterable[Outage]) -> set[str]:
    """Platforms with an ongoing outage of severity down (the default for routing)."""
    return {o.platform for o in outages if o.end is None and o.severity == "down"}


class Notifier:
    """Turns detected outages into alerts, once per change across vantages and restarts."""

    def __init__(self, settings: Settings, state_dir: Path | str, *, vantage: str | None = None):
        self.settings = settings
        self.vantage = vantage or settings.monitor.vantage
        self.targets = targets_from_settings(settings)
        self.store = AlertStore(state_dir)
        self._pruned: datetime | None = None

    def process(
        self,
        outages: Sequence[Outage],
        *,
        vantage_offline: bool,
        down_platforms: set[str] | None = None,
        now: datetime | None = None,
    ) -> list[Delivery]:
        """One round: compute events, queue them, send what is due; returns the deliveries.

        1. Under the state lock: compare the saved state with `outages` (events_from_state),
           queue each new event that some target wants and that no process claimed before,
           remember which platforms are down (for routing retries), lease the due messages.
        2. Without the lock: send each leased message to every target that wants it and is not
           routed around (skipped while a platform it depends on is down).
        3. Under the lock again: drop delivered messages; keep the others with backoff.
        """
        now = now or utcnow()
        down = set(down_platforms) if down_platforms is not None else down_from_outages(outages)
        if self._pruned is None or now - self._pruned > timedelta(days=1):
            self._pruned = now
            self.store.prune_claims()  # disk hygiene only: keys embed start times, never recur
        try:
            with self.store.transaction(self.vantage) as txn:
                events, txn.data["state"] = events_from_state(
                    txn.data["state"], outages, vantage_offline=vantage_offline, now=now,
                    settings=self.settings, vantage=self.vantage,
                )
                if not vantage_offline:  # unknown is not down: keep the last known view
                    txn.data["down"] = sorted(down)
                for event in events:
                    self._enqueue(txn, event, now)
                due = self._lease_due(txn.data, now)
                down = set(txn.data["down"])
        except Timeout:
            log.warning("alert state is locked by another process; alerts wait for next round")
            return []
        return self._send(due, down, now)

    def retry_pending(self, now: datetime | None = None) -> list[Delivery]:
        """Send the queued messages whose retry time has come; returns the deliveries."""
        now = now or utcnow()
        try:
            with self.store.transaction(self.vantage) as txn:
                due = self._lease_due(txn.data, now)
                down = set(txn.data["down"])
        except Timeout:
            return []
        return self._send(due, down, now)

    def pending(self) -> list[dict[str, Any]]:
        """Messages not delivered yet (for the dashboard); no target URLs, errors redacted."""
        fields = ("id", "key", "created", "attempts", "next_attempt", "last_error", "vantage")
        return [
            {**{f: m.get(f) for f in fields}, "kind": m["event"]["kind"],
             "title": m["event"]["title"], "platforms": list(m["event"]["platforms"])}
            for m in self.store.read()["outbox"]
        ]

    def send_test(self, now: datetime | None = None) -> list[Delivery]:
        """Send a test message to every target, routing ignored; one Delivery per target."""
        now = now or utcnow()
        results = []
        for target in self.targets:
            title, body = messages.test_message(self.vantage, target.label, self.settings, now)
            results.append(attempt(target, "test", "test", title, body))
        return results

    def _enqueue(self, txn: Transaction, event: AlertEvent, now: datetime) -> None:
        if not any(_wants(t, event) for t in self.targets):
            log.debug("no alert target wants %s", event.key)
            return
        if self.store.claimed(event.key):
            log.info("alert %s was already handled by another sampler", event.key)
            return
        outbox = txn.data["outbox"]
        if event.kind == "vantage_online":
            self._fold_offline(outbox, event, now)
        outbox.append({
            "id": hashlib.sha256(event.key.encode()).hexdigest()[:12],
            "key": event.key,
            "event": event.to_json(),
            "created": _iso(now),
            "attempts": 0,
            "next_attempt": _iso(now),
            "lease_until": None,
            "last_error": None,
            "vantage": self.vantage,
        })
        txn.claim_after_save(event.key)

    @staticmethod
    def _fold_offline(outbox: list[dict[str, Any]], event: AlertEvent, now: datetime) -> None:
        # "went offline" still queued when the network is back: one message tells both
        offline_key = event.key.replace("vantage_online:", "vantage_offline:", 1)
        for message in list(outbox):
            lease = message.get("lease_until")
            leased = lease and datetime.fromisoformat(lease) > now
            if message["key"] == offline_key and not leased:
                outbox.remove(message)
                event.body = event.body.replace(
                    "\n\n", "\n(The alert that it went offline could not be sent then.)\n\n", 1
                )

    @staticmethod
    def _lease_due(data: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
        data["outbox"] = expire(data["outbox"], now)
        due = []
        for message in data["outbox"]:
            lease = message.get("lease_until")
            if datetime.fromisoformat(message["next_attempt"]) > now or (
                lease and datetime.fromisoformat(lease) > now
            ):
                continue
            message["lease_until"] = _iso(now + timedelta(seconds=LEASE_S))
            due.append(dict(message))
        return due

    def _send(self, due: list[dict[str, Any]], down: set[str], now: datetime) -> list[Delivery]:
        if not due:
            return []
        outcomes = {m["id"]: self._deliver(AlertEvent.from_json(m["event"]), down) for m in due}
        try:
            with self.store.transaction(self.vantage) as txn:
                txn.data["outbox"] = [
                    m for m in txn.data["outbox"] if not _settle(m, outcomes.get(m["id"]), now)
                ]
        except Timeout:
            log.warning("alert state locked; delivery results of this round kept in leases only")
        return [d for deliveries in outcomes.values() for d in deliveries]

    def _deliver(self, event: AlertEvent, down: set[str]) -> list[Delivery]:
        results = []
        for target in self.targets:
            if not _wants(target, event):
                continue
            blocked = target.blocked_by(down)
            if blocked:
                reason = f"routed around: {', '.join(blocked)} down"
                log.info("alert %r not sent to %s (%s)", event.title, target.label, reason)
                results.append(Delivery(target.label, event.key, event.kind, "skipped", reason))
                continue
            title, body = _render(event, target, self.settings)
            results.append(attempt(target, event.key, event.kind, title, body))
        return results


def _render(event: AlertEvent, target: Target, settings: Settings) -> tuple[str, str]:
    if event.kind != "digest":
        return event.title, event.body
    wanted = [p for p in event.parts if _wants(target, p)]
    if len(wanted) == 1:
        return wanted[0].title, wanted[0].body
    return messages.digest_message([p.summary or p.title for p in wanted], settings)


def _settle(message: dict[str, Any], deliveries: list[Delivery] | None, now: datetime) -> bool:
    """Record one message's outcome; True when it is done (delivered, or nobody wants it)."""
    if deliveries is None:
        return False
    message["lease_until"] = None
    if not deliveries:
        log.info("alert %r dropped: no configured target wants it", message["event"]["title"])
        return True
    if any(d.status == "sent" for d in deliveries):
        return True
    failed = [d for d in deliveries if d.status == "failed"]
    message["last_error"] = "; ".join(f"{d.target}: {d.reason}" for d in deliveries)[:500]
    if failed:  # routed-around only: retry next round, when the platform may be back
        message["attempts"] += 1
        wait = timedelta(seconds=backoff_s(message["attempts"]))
        message["next_attempt"] = _iso(now + wait)
    log.warning("alert %r not delivered yet, kept for retry (%s)", message["event"]["title"],
                message["last_error"])
    return False

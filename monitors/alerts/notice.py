"""The customer notice kept current: built from the live verdicts after each round (beside
the sampler, like the alerts) or from the history (`monitors notice`), and written through a
Store — atomically, and only when what it says changes.

Nothing here loads pandas at import, and a sampler whose platforms are all up never does:
detection and the live board run only while a kept round of some platform failed (without
one no outage can be open, and the notice is the all-clear).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from monitors.alerts.hook import RecentRounds
from monitors.config import Settings
from monitors.history.store import Store, open_store
from monitors.output.notice import CustomerNotice, build_notice, notice_from_board
from monitors.output.notice_render import (
    CONTENT_TYPES,
    FILES,
    fingerprint,
    notice_document,
    render_all,
)
from monitors.sampling.runner import Round
from monitors.sampling.sampler import Sampler
from monitors.timeutil import utcnow

if TYPE_CHECKING:
    import pandas as pd

    from monitors.analysis.incidents import Outage

log = logging.getLogger("monitors.notice")

LIVE_MINUTES = 90  # the live board's raw samples (dashboard_pages/data.py)
SINCE_WINDOW = "7d"  # outages looked at, as on the live board
CACHE_CONTROL = "max-age=60"  # a website's visitors see a change within a minute
_TYPE_OF = {name: CONTENT_TYPES[kind] for kind, name in FILES.items()}


def notice_store(settings: Settings, target: str | None = None) -> Store:
    """The Store the notice is written to: `target` (e.g. -o DIR) or `[notice] to`."""
    location = target or settings.config.notice.to
    if not location:
        raise ValueError("no notice location: set [notice] to, or give -o DIR")
    endpoint = settings.config.notice.storage_endpoint or settings.monitor.storage_endpoint
    return open_store(location, endpoint)


def unknown_platforms(settings: Settings) -> list[str]:
    """Ids in `[notice] platforms` that no configured platform has (a typo shows nothing)."""
    known = {p.id for p in settings.platforms}
    return [pid for pid in settings.config.notice.platforms if pid not in known]


def write_text(store: Store, rel: str, text: str) -> None:
    """Write one file so no reader sees half of it: temp file, fsync and rename in a folder
    (Store.write); one PUT with its content type on an object store."""
    payload = text.encode("utf-8")
    if store.local:
        store.write(rel, lambda out: out.write(payload))
        return
    metadata = {"Content-Type": _TYPE_OF.get(rel, "application/octet-stream"),
                "Cache-Control": CACHE_CONTROL}
    # the store's filesystem opens lazily, so a file this small goes up in one PutObject
    with store.fs.open_output_stream(store.full(rel), metadata=metadata) as out:
        out.write(payload)


def published_fingerprint(store: Store) -> str | None:
    """The fingerprint of the notice.json already there (None: none, or unreadable)."""
    try:
        document = store.read_json(FILES["json"])
    except (OSError, ValueError):
        return None
    return fingerprint(document) if isinstance(document, dict) else None


def publish(store: Store, notice: CustomerNotice, *, previous: str | None = None) -> str | None:
    """Write notice.json, .svg and .html unless the notice says what `previous` (a
    fingerprint) said; the new fingerprint when written, None when nothing changed."""
    current = fingerprint(notice_document(notice))
    if current == previous:
        return None
    for name, text in render_all(notice).items():
        write_text(store, name, text)
    return current


def notice_now(samples: pd.DataFrame, outages: Sequence[Outage], settings: Settings, *,
               now: datetime) -> CustomerNotice:
    """The notice for recent samples and the outages detected on them (the live board's
    verdicts: monitors.verdict via board.status_board)."""
    from monitors.output import board  # lazy: the live board loads pandas

    rows = board.status_board(samples, settings.platforms, outages=outages, now=now)
    return notice_from_board(rows.to_dict("records"), outages, settings.platforms,
                             settings.config.notice, business_name=settings.business.name,
                             updated=now)


def notice_from_history(settings: Settings, *, now: datetime | None = None) -> CustomerNotice:
    """The notice the history supports now: the live board's samples and outages."""
    from monitors.analysis import loaders  # lazy: reading history loads pandas

    now = now or utcnow()
    samples = loaders.recent_samples(settings, LIVE_MINUTES, now=now)
    outages = loaders.analysis(settings, loaders.scope(SINCE_WINDOW, end=now)).outages
    return notice_now(samples, outages, settings, now=now)


class NoticeHook:
    """After each round: the notice from this sampler's recent rounds, written on change."""

    def __init__(self, sampler: Sampler, settings: Settings, store: Store | None = None):
        self.settings = settings
        self.sampler = sampler
        self.store = store or notice_store(settings)
        self.recent = RecentRounds(settings.monitor,
                                   {p.id: p.interval for p in settings.platforms if p.interval})
        self.published = published_fingerprint(self.store)
        self.writes = 0

    def current(self, now: datetime) -> CustomerNotice:
        """The notice from the kept rounds (detection and the live board on them)."""
        from monitors.analysis import incidents  # lazy: detection loads pandas

        samples = self.recent.frame()
        outages = incidents.detect(samples, self.settings.platforms, self.settings.monitor,
                                   now=now)
        self.recent.settle(o.platform for o in outages if o.end is None)
        return notice_now(samples, outages, self.settings, now=now)

    def failing(self) -> bool:
        """Whether any kept round of any platform failed (else no outage can be open)."""
        return any(failed for kept in self.recent.rounds.values() for _s, failed, _r in kept)

    def __call__(self, result: Round) -> None:
        self.recent.add(result.samples)
        if self.failing():
            notice = self.current(result.ended)
        else:  # nothing failed in the kept rounds: the all-clear, without detection
            self.recent.settle(())
            notice = build_notice({}, self.settings.platforms, self.settings.config.notice,
                                  business_name=self.settings.business.name,
                                  updated=result.ended)
        try:
            written = publish(self.store, notice, previous=self.published)
        except OSError as exc:  # the website's folder or bucket: retried next round
            log.warning("customer notice not written to %s: %s", self.store.url, exc)
            return
        if written:
            self.published, self.writes = written, self.writes + 1
            log.info("customer notice: %s", notice.state)


def attach(sampler: Sampler, settings: Settings) -> NoticeHook | None:
    """Keep the customer notice current beside a started sampler when `[notice] to` is set."""
    if not settings.config.notice.to:
        return None
    if unknown := unknown_platforms(settings):
        log.warning("notice.platforms: no platform has the id %s", ", ".join(map(repr, unknown)))
    try:
        hook = NoticeHook(sampler, settings)
    except Exception:
        log.exception("customer notice disabled: could not open %s", settings.config.notice.to)
        return None
    sampler.add_hook(hook)
    return hook

"""Dead-man's switch: ping a healthchecks.io-style URL after every round, never delaying one."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading

import httpx

from monitors.text import short

log = logging.getLogger("monitors.deadman")


class Pinger:
    """Sends pings from a background thread; a slow or dead receiver never blocks a round.

    Only the newest ping waits while one is in flight: a hanging receiver costs at most one
    thread and one queued ping, and rounds carry on on time.
    """

    def __init__(self, url: str, *, timeout_s: float = 5.0, user_agent: str = "PlatformPulse"):
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self.sent = 0
        self.failed = 0
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue(maxsize=1)
        self._client = httpx.Client(
            timeout=timeout_s, trust_env=False, headers={"User-Agent": user_agent}
        )
        self._thread = threading.Thread(target=self._run, name="pulse-deadman", daemon=True)
        self._thread.start()

    def success(self) -> None:
        """Report a good round."""
        self._offer("", "")

    def fail(self, reason: str) -> None:
        """Report a round that could not run or whose own network is offline."""
        self._offer("/fail", reason)

    def _offer(self, suffix: str, body: str) -> None:
        with contextlib.suppress(queue.Empty):
            self._queue.get_nowait()  # drop a ping still waiting: only the newest matters
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait((suffix, body))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            suffix, body = item
            try:
                response = self._client.post(self.url + suffix, content=body[:1000].encode())
                self.sent += 1
                if response.status_code >= 400:
                    self.failed += 1
                    log.warning("heartbeat ping answered HTTP %d", response.status_code)
            except httpx.HTTPError as exc:
                self.failed += 1
                log.warning("heartbeat ping failed: %s", short(type(exc).__name__))

    def close(self) -> None:
        """Stop the background thread after the ping in flight."""
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            self._queue.get_nowait()
            self._queue.put_nowait(None)
        self._thread.join(timeout=self.timeout_s + 1)
        self._client.close()

"""Helpers for the official-status tests: recorded payloads, served endpoints, one probe run."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer

from monitors.probes.base import MAX_BODY_BYTES, ProbeContext, ProbeResult, make_client
from monitors.probes.statuspage import StatuspageCheck, probe

STATUS_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "status_pages"
JSON = "application/json; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"


def recorded(name: str) -> bytes:
    """The bytes of one recorded payload in tests/fixtures/status_pages/."""
    return (STATUS_FIXTURES / name).read_bytes()


def recorded_json(name: str) -> dict[str, Any]:
    """A recorded JSON payload as a fresh dict (safe to change in a test)."""
    return copy.deepcopy(json.loads(recorded(name)))


def serve(server: HTTPServer, path: str, body: bytes | str | dict | list,
          content_type: str = JSON, status: int = 200,
          headers: dict[str, str] | None = None) -> str:
    """Answer GET `path` with the body (dicts and lists as JSON); return the URL."""
    if isinstance(body, dict | list):
        body = json.dumps(body)
    server.expect_request(path, method="GET").respond_with_data(
        body, status=status, content_type=content_type, headers=headers
    )
    return server.url_for(path)


def check(url: str, **fields: Any) -> StatuspageCheck:
    """A statuspage check on a local URL."""
    return StatuspageCheck(id="status", url=url, **fields)


async def probe_async(target: StatuspageCheck, *, timeout_s: float = 5.0,
                      max_body_bytes: int = MAX_BODY_BYTES) -> ProbeResult:
    """Run the probe once with a fresh shared client, as the runner would."""
    async with make_client() as client:
        ctx = ProbeContext(client=client, timeout_s=timeout_s, max_body_bytes=max_body_bytes)
        return await probe(target, ctx)


def run(target: StatuspageCheck, **kwargs: Any) -> ProbeResult:
    """Run the probe once from synchronous test code."""
    return asyncio.run(probe_async(target, **kwargs))


def probe_payload(server: HTTPServer, body: bytes | str | dict | list, *,
                  path: str = "/api/v2/summary.json", content_type: str = JSON,
                  **fields: Any) -> ProbeResult:
    """Serve one payload and probe it."""
    return run(check(serve(server, path, body, content_type), **fields))

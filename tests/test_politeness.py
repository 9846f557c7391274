"""A polite client: refused checks back off (Retry-After, then growing pauses), fall back to
other URLs after a long refusal, and a platform's checks never start in the same instant."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import UTC, datetime, timedelta

import time_machine
from pytest_httpserver import HTTPServer
from werkzeug import Response

from monitors.config import Monitor, Platform
from monitors.probes.base import ProbeResult
from monitors.probes.http import HttpCheck, retry_after_s
from monitors.sampling.politeness import FALLBACK_AFTER_S, MAX_PAUSE_S, Politeness
from monitors.sampling.runner import run_round

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REFUSED = ProbeResult("unknown", 12.0, 429, "refused", "refused: HTTP 429")
UP = ProbeResult("up", 12.0, 200)


def _check(**fields) -> HttpCheck:
    return HttpCheck(id="web", url="http://127.0.0.1:9/", **fields)


def _sent_rounds(polite: Politeness, check: HttpCheck, answers, interval_s: float = 60):
    """Which of consecutive rounds were sent, answering from `answers` when sent."""
    sent, answers = [], iter(answers)
    for i in range(40):
        now = T0 + timedelta(seconds=i * interval_s)
        planned = polite.plan("x", check, now)
        if isinstance(planned, ProbeResult):
            assert planned.error == "refused" and planned.detail.startswith("not sent")
            continue
        sent.append(i)
        polite.observe("x", check, planned, next(answers), now)
    return sent


def test_pauses_grow_while_refused_and_are_capped():
    polite = Politeness(60)
    sent = _sent_rounds(polite, _check(), [REFUSED] * 40)
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert gaps[:4] == [1, 2, 4, 8]  # one round, then a pause doubling with every refusal
    assert max(gaps) == MAX_PAUSE_S / 60 == 15  # never longer than the cap


def test_retry_after_is_honoured_and_any_answer_ends_the_pause():
    polite = Politeness(60)
    told = ProbeResult("unknown", 5.0, 429, "refused", "x", retry_after_s=300)
    sent = _sent_rounds(polite, _check(), [told] + [UP] * 39)
    assert sent[:4] == [0, 5, 6, 7]


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert retry_after_s("120") == 120
    assert retry_after_s("Mon, 02 Mar 2026 09:02:00 GMT", now) == 120
    assert retry_after_s("99999999") == 86_400
    assert retry_after_s("soon") is None and retry_after_s(None) is None


def test_a_long_refusal_moves_to_the_fallback_and_names_it():
    check = _check(fallback_urls=["http://127.0.0.1:9/other"])
    polite = Politeness(60)
    moved = recorded = None
    for i in range(180):
        now = T0 + timedelta(minutes=i)
        planned = polite.plan("x", check, now)
        if isinstance(planned, ProbeResult):
            continue
        on_fallback = planned.url != check.url
        if on_fallback and moved is None:
            moved = now
            assert polite.lasting(now)[0]["check"] == "web"
        recorded = polite.observe("x", check, planned, UP if on_fallback else REFUSED, now)
    assert moved is not None
    assert FALLBACK_AFTER_S <= (moved - T0).total_seconds() <= FALLBACK_AFTER_S + MAX_PAUSE_S
    assert recorded.status == "up" and recorded.detail == "via http://127.0.0.1:9/other"
    assert polite.lasting(now) == []


def _platform(httpserver: HTTPServer) -> Platform:
    return Platform.model_validate({"id": "ig", "name": "IG", "provider": "Meta", "checks": [
        {"id": "web", "kind": "http", "url": httpserver.url_for("/web")},
        {"id": "api", "kind": "http", "url": httpserver.url_for("/api")},
        {"id": "media", "kind": "http", "url": httpserver.url_for("/media")},
    ]})


def test_the_runner_does_not_send_a_check_the_platform_asked_us_to_wait_for(
        httpserver: HTTPServer):
    hits = []

    def web(request):
        hits.append(request.path)
        return Response("slow down", status=429, headers={"Retry-After": "120"})

    httpserver.expect_request("/web").respond_with_handler(web)
    httpserver.expect_request("/api").respond_with_data("ok")
    httpserver.expect_request("/media").respond_with_data("ok")
    platform = _platform(httpserver)
    mon = Monitor.model_validate({"vantage": "lab", "timeout": 1.0, "controls": [],
                                  "interval": 60})
    polite = Politeness(60)
    seen = []
    with time_machine.travel(T0, tick=True) as traveller:
        for _ in range(4):
            found = asyncio.run(run_round([platform], mon, politeness=polite))
            seen.append({r["check"]: (r["status"], r["error"]) for r in found.samples})
            traveller.shift(60)
    assert hits == ["/web", "/web"]  # round 1 and round 3 (after 120 s), never in between
    assert seen[1]["web"] == ("unknown", "refused") and seen[1]["api"] == ("up", None)


def test_a_platforms_checks_start_apart_when_the_round_is_spread(httpserver: HTTPServer):
    arrivals: list[float] = []

    def note(request):
        arrivals.append(time.monotonic())
        return Response("ok")

    for path in ("/web", "/api", "/media"):
        httpserver.expect_request(path).respond_with_handler(note)
    mon = Monitor.model_validate({"vantage": "lab", "timeout": 1.0, "controls": []})
    asyncio.run(run_round([_platform(httpserver)], mon, spread_s=3.0))
    arrivals.sort()
    assert len(arrivals) == 3
    assert min(b - a for a, b in itertools.pairwise(arrivals)) >= 0.2

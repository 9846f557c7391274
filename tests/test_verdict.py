"""The one verdict rule (monitors.verdict): a table over every mix of answers, and proof that
the sampler log, `check`, the live board and the analysis all reach it through one function."""

from __future__ import annotations

import itertools
from datetime import timedelta

import numpy as np
import pyarrow as pa
import pytest
from support_samples import T0, frame, monitor, platform, rounds

from monitors import verdict
from monitors.analysis import incidents, verdicts
from monitors.cli import check
from monitors.config import Platform
from monitors.history import rollup
from monitors.history.schema import SAMPLE_SCHEMA
from monitors.output import board as live
from monitors.probes import http
from monitors.sampling import runner, sampler

# A check's answer -> (status, error, http_status) as the probes record it.
ANSWERS = {
    "up": ("up", None, 200),
    "slow": ("degraded", "slow", 200),
    "cert": ("degraded", "cert_expiring", None),  # a warning, not a failure
    "refused": ("unknown", "refused", 429),
    "down": ("down", "http_status", 503),
    "unknown": ("unknown", "probe_error", None),
}
FACING = ("up", "slow", "refused", "down", "unknown")
INFRA = ("up", "slow", "cert", "down", "unknown")


def expected(web: str, media: str, dns: str, official: bool) -> str:
    """The rule in DESIGN.md "Surfaces" and "What a check's answer means", restated plainly."""
    facing = [web, media]
    judged = [a for a in facing if a in ("up", "slow", "down")]
    if not judged:
        if official:
            return "degraded"
        return "refused" if "refused" in facing else "unknown"
    if all(a == "down" for a in judged):
        return "down"
    if any(a in ("slow", "down") for a in judged) or dns in ("slow", "down") or official:
        return "degraded"
    return "up"


def _row(ts, pid: str, check: str, kind: str, answer: str) -> dict:
    status, error, code = ANSWERS[answer]
    return {"ts": ts, "vantage": "hq", "platform": pid, "check": check, "kind": kind,
            "status": status, "latency_ms": 120.0 if status != "unknown" else None,
            "http_status": code, "error": error, "detail": None}


def _official_row(ts, pid: str, incident: bool) -> dict:
    return {"ts": ts, "vantage": "hq", "platform": pid, "check": "status",
            "kind": "statuspage", "status": "degraded" if incident else "up",
            "latency_ms": 50.0, "http_status": 200,
            "error": "official_incident" if incident else None, "detail": None}


COMBOS = list(itertools.product(FACING, FACING, INFRA, (False, True)))


@pytest.fixture(scope="module")
def table():
    """Every combination as its own platform, one round each, as sample rows."""
    rows, platforms = [], []
    for i, (web, media, dns, official) in enumerate(COMBOS):
        pid = f"p{i}"
        ts = T0 + timedelta(minutes=i)
        rows += [_row(ts, pid, "web", "http", web), _row(ts, pid, "media", "http", media),
                 _row(ts, pid, "dns", "dns", dns), _official_row(ts, pid, official)]
        platforms.append(Platform(id=pid, name=pid, provider="P", checks=[
            {"id": "web", "kind": "http", "url": "http://127.0.0.1:9/"},
            {"id": "media", "kind": "http", "url": "http://127.0.0.1:9/m"},
            {"id": "dns", "kind": "dns", "name": "example.test", "nameserver": "127.0.0.1"},
            {"id": "status", "kind": "statuspage", "url": "http://127.0.0.1:9/s.json"},
        ]))
    return rows, platforms


def _by_path(rows: list[dict], platforms: list[Platform]) -> dict[str, dict[str, str]]:
    """The verdict per platform as each caller sees it."""
    samples = frame(rows)
    out = {"sampler log": sampler.round_verdicts(rows)}
    board = live.platform_rounds(samples)
    out["live board"] = dict(zip(board["platform"], board["status"], strict=True))
    prep = verdicts.prepare(samples, [p.id for p in platforms], 10.0)
    found, _ = verdicts.vantage_rounds(prep)
    out["analysis"] = {prep.ids[p]: verdict.NAMES[int(c)]
                       for p, c in zip(found["p"], found["verdict"], strict=True)}
    shown = check.format_round(runner.Round(T0, T0, "hq", rows, None, False), platforms)
    out["check"] = dict(line.split()[1:3] for line in shown.splitlines()
                        if line.strip().startswith("verdict:"))
    return out


def test_every_mix_of_answers_has_one_verdict_and_every_caller_agrees(table):
    rows, platforms = table
    truth = {f"p{i}": expected(*combo) for i, combo in enumerate(COMBOS)}
    for path, seen in _by_path(rows, platforms).items():
        wrong = {pid: (COMBOS[int(pid[1:])], seen.get(pid), want)
                 for pid, want in truth.items() if seen.get(pid) != want}
        assert not wrong, f"{path} disagrees: {list(wrong.items())[:5]}"


def test_every_caller_goes_through_the_one_function(table, monkeypatch):
    rows, platforms = table
    calls = []
    real = verdict.decide

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(verdict, "decide", spy)
    paths = {"sampler log": lambda: sampler.round_verdicts(rows),
             "live board": lambda: live.platform_rounds(frame(rows)),
             "analysis": lambda: verdicts.vantage_rounds(
                 verdicts.prepare(frame(rows), [p.id for p in platforms], 10.0)),
             "check": lambda: check.format_round(
                 runner.Round(T0, T0, "hq", rows, None, False), platforms)}
    for path, run in paths.items():
        calls.clear()
        run()
        assert calls, f"{path} decides without monitors.verdict.decide"
    calls.clear()
    runner.offline_reason(platforms[:1], [[runner.ProbeResult("down")] * 4], None)
    assert calls, "the own-network test must use the rule too"


@pytest.mark.parametrize(
    ("answers", "want"),
    [
        ({"web": "down"}, "down"),
        ({"web": "up"}, "up"),
        ({"web": "refused"}, "refused"),
        ({"dns": "down"}, "down"),  # judged on infrastructure when nothing else is checked
        ({"dns": "up", "tls": "cert"}, "up"),
        ({"web": "down", "dns": "up", "tls": "up"}, "down"),  # a dead shop whose DNS answers
        ({"web": "refused", "api": "up", "dns": "up"}, "up"),  # judged on the api
        ({"web": "refused", "api": "refused", "dns": "down"}, "refused"),
    ],
)
def test_named_cases(answers, want):
    kinds = {"dns": "dns", "tls": "tls"}
    rows = [_row(T0, "x", check, kinds.get(check, "http"), answer)
            for check, answer in answers.items()]
    assert verdict.platform_verdicts(rows) == {"x": want}


@pytest.mark.parametrize(
    ("code", "expected_codes", "refused"),
    [(429, [200], True), (999, [200], True), (403, [200], True), (400, [200], True),
     (404, [200], True), (404, [200, 404], False), (403, [403], False), (500, [200], False),
     (503, [200], False), (200, [200], False), (301, [200], False)],
)
def test_what_counts_as_a_refusal(code, expected_codes, refused):
    assert http.is_refusal(code, expected_codes) is refused


def test_refusals_never_open_an_outage_and_count_as_unknown_time():
    insta = platform("insta")
    samples = rounds("...." + "R" * 30 + "r" * 30 + "....")
    detection = incidents.detect_timeline(samples, [insta], monitor(), coverage=True)
    assert detection.outages == []
    codes = detection.buckets["verdict"].to_numpy()
    assert (codes[4:34] == verdict.SKIP).all()  # all surfaces refused: not measurable
    assert (codes[34:64] == verdict.UP).all()  # web refused, media up: judged on media


def test_a_real_outage_next_to_refusals_is_still_caught():
    insta = platform("insta")
    samples = rounds("..." + "R" * 10 + "5" * 5 + "....")
    found = incidents.detect(samples, [insta], monitor())
    assert len(found) == 1 and found[0].severity == "down"
    assert found[0].start == T0 + timedelta(minutes=13)


def test_row_flags_are_the_same_through_both_membership_tests(table):
    rows, _ = table
    samples = frame(rows)
    small = verdict.row_flags(verdict.membership(rows))
    big = verdict.row_flags(lambda c, v: samples[c].isin(v).to_numpy())
    for name in ("probe", "facing", "known", "down", "failing", "refused", "official"):
        assert np.array_equal(getattr(small, name), getattr(big, name)), name


def test_the_hourly_round_roll_ups_count_rounds_by_the_same_rule(table):
    rows, _ = table
    counts = rollup.round_counts(pa.Table.from_pylist(rows, schema=SAMPLE_SCHEMA))
    want: dict[str, int] = {}
    for combo in COMBOS:
        name = expected(*combo)
        want[name] = want.get(name, 0) + 1
    got = [sum(v[k] for v in counts.values()) for k in range(4)]
    assert got == [len(COMBOS), want.get("unknown", 0) + want.get("refused", 0),
                   want.get("down", 0), want.get("degraded", 0)]

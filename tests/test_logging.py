"""Logs of `monitors run`: one line per round and per state change, as JSON or as text."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from support_sampler import LocalServer, http_platform, write_config

from monitors.sampling import heartbeat

TEXT_LINE = re.compile(r"^\d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|CRITICAL) +([\w.]+): (.*)$")
ROUND = re.compile(r"^round (\d+): ")
CHANGE = "a: up -> down (not confirmed)"  # INFO: one failed round is not an outage yet
CONFIRMED = "a: down (confirmed over 2 rounds)"  # WARNING, with the round that confirms it


class FlipTarget(LocalServer):
    """A local HTTP server that answers 200 to the first request and 500 to every later one."""

    def __init__(self) -> None:
        self.hits = 0
        target = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                target.hits += 1
                self.send_response(200 if target.hits == 1 else 500)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        super().__init__(Handler)


class Run:
    """One `monitors run --duration` against its own flipping target, stderr kept."""

    def __init__(self, tmp: Path, fmt: str) -> None:
        self.target = FlipTarget()
        self.data = tmp / f"data-{fmt}"
        config = write_config(
            tmp / f"{fmt}.toml",
            data=self.data,
            interval="0.5s",
            timeout="3s",  # generous: a slow first round on a busy machine must not flip early
            controls=[f"tcp://127.0.0.1:{self.target.port}"],
            platforms=[http_platform("a", "A", {"web": f"http://127.0.0.1:{self.target.port}/a"})],
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "monitors", "run", "--config", str(config),
             "--duration", "3", "--log-format", fmt],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def finish(self) -> tuple[int, str, str, int]:
        """Wait for the run; returns exit code, stdout, stderr and the rounds it recorded."""
        try:
            stdout, stderr = self.process.communicate(timeout=90)
        finally:
            self.target.close()
        beat = heartbeat.read_heartbeat(str(self.data), "test") or {}
        return self.process.returncode, stdout, stderr, int(beat.get("rounds", -1))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, str, int]]:
    """A JSON-logging and a text-logging run, side by side."""
    tmp = tmp_path_factory.mktemp("logging")
    started = {fmt: Run(tmp, fmt) for fmt in ("json", "text")}
    return {fmt: run.finish() for fmt, run in started.items()}


def _json_events(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines()]


def _text_events(stderr: str) -> list[dict]:
    events = []
    for line in stderr.splitlines():
        match = TEXT_LINE.match(line)
        assert match, f"not a log line: {line!r}"
        events.append({"level": match[1].lower(), "logger": match[2], "msg": match[3]})
    return events


EVENTS = {"json": _json_events, "text": _text_events}


def _rounds(events: list[dict]) -> list[int]:
    return [int(m[1]) for e in events if (m := ROUND.match(e["msg"]))]


def test_the_runs_exit_0_and_log_nothing_to_stdout(runs) -> None:
    for code, stdout, stderr, _ in runs.values():
        assert code == 0, stderr
        assert stdout == ""


def test_json_logs_are_one_object_per_line(runs) -> None:
    _, _, stderr, _ = runs["json"]
    events = _json_events(stderr)
    assert events
    for event in events:
        assert {"ts", "level", "logger", "msg"} <= set(event)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["ts"])


def test_text_logs_are_one_plain_line_per_event(runs) -> None:
    _, _, stderr, _ = runs["text"]
    events = _text_events(stderr)
    assert events
    assert not any(line.lstrip().startswith("{") for line in stderr.splitlines())


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_each_round_logs_exactly_one_line(runs, fmt: str) -> None:
    _, _, stderr, recorded = runs[fmt]
    rounds = _rounds(EVENTS[fmt](stderr))
    assert len(rounds) >= 2
    assert rounds == list(range(1, recorded + 1))


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_change_logs_info_and_its_confirmation_one_warning_line(runs, fmt: str) -> None:
    _, _, stderr, _ = runs[fmt]
    events = EVENTS[fmt](stderr)
    changes = [i for i, e in enumerate(events) if e["msg"] == CHANGE]
    confirmed = [i for i, e in enumerate(events) if e["msg"] == CONFIRMED]
    assert len(changes) == 1 and len(confirmed) == 1, [e["msg"] for e in events]
    assert [events[i]["level"] for i in (changes[0], confirmed[0])] == ["info", "warning"]
    assert {events[i]["logger"] for i in (changes[0], confirmed[0])} == {"monitors.sampler"}
    about_a = [e for e in events if e["level"] == "warning" and e["msg"].startswith("a:")]
    assert [e["msg"] for e in about_a] == [CONFIRMED]  # nothing else about a cried wolf
    # logged with the rounds that saw them: the flip after round 1, confirmed after round 2
    assert _rounds(events[: changes[0]]) == [1] and _rounds(events[changes[0]:])[0] == 2
    assert _rounds(events[: confirmed[0]]) == [1, 2]


def test_both_formats_carry_the_same_events(runs) -> None:
    def shape(fmt: str) -> list[tuple[str, str, str]]:
        _, _, stderr, _ = runs[fmt]
        kinds = []
        for event in EVENTS[fmt](stderr):
            msg = event["msg"]
            if msg.startswith("sampler started"):
                kinds.append(("started", event["level"], event["logger"]))
            elif ROUND.match(msg):
                kinds.append(("round", event["level"], event["logger"]))
            elif msg in (CHANGE, CONFIRMED):
                kinds.append(("change", event["level"], event["logger"]))
            elif msg.startswith("sampler stopped"):
                kinds.append(("stopped", event["level"], event["logger"]))
        # rounds per run depend on timing; what happens around them must not
        collapsed = [k for i, k in enumerate(kinds) if i == 0 or k != kinds[i - 1]]
        return collapsed

    assert shape("json") == shape("text") == [
        ("started", "info", "monitors.sampler"),
        ("round", "info", "monitors.sampler"),
        ("change", "info", "monitors.sampler"),
        ("round", "info", "monitors.sampler"),
        ("change", "warning", "monitors.sampler"),
        ("round", "info", "monitors.sampler"),
        ("stopped", "info", "monitors.sampler"),
    ]

"""`python -m monitors check` in a subprocess against loopback servers: JSON and the table."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT
from pytest_httpserver import HTTPServer
from support_servers import HostileServer, refused_port

from monitors.cli.check import format_round
from monitors.config import Platform
from monitors.probes.base import OfficialInfo, ProbeResult
from monitors.sampling.runner import Round
from monitors.vocabulary import COLUMNS

pytest_plugins = ("support_servers",)


def write_config(tmp_path: Path, hostile: HostileServer, controls: list[str]) -> Path:
    """A loopback-only config: two healthy checks, one dead platform."""
    listed = ", ".join(f'"{c}"' for c in controls)
    path = tmp_path / "loop.toml"
    path.write_text(f"""
[monitor]
timeout = "1s"
vantage = "cli-test"
default_platforms = false
controls = [{listed}]

[[platforms]]
id = "alpha"
name = "Alpha"
provider = "A Corp"
  [[platforms.checks]]
  id = "web"
  kind = "http"
  url = "{hostile.url("/ok")}"
  keyword = "pulse"
  [[platforms.checks]]
  id = "tcp"
  kind = "tcp"
  host = "127.0.0.1"
  port = {hostile.port}

[[platforms]]
id = "beta"
name = "Beta"
provider = "B Corp"
  [[platforms.checks]]
  id = "web"
  kind = "http"
  url = "http://127.0.0.1:{refused_port()}/"
""")
    return path


def check_command(config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run the check command in a child Python process (the netguard is active there too)."""
    return subprocess.run(
        [sys.executable, "-m", "monitors", "check", "--config", str(config), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_prints_one_raw_sample_object_per_check_as_json(
    tmp_path: Path, hostile: HostileServer
) -> None:
    config = write_config(tmp_path, hostile, [f"tcp://127.0.0.1:{hostile.port}"])
    done = check_command(config, "--json")
    assert done.returncode == 0, done.stderr
    samples = json.loads(done.stdout)
    assert [tuple(s) for s in samples] == [COLUMNS] * 3
    found = {(s["platform"], s["check"]): (s["status"], s["error"]) for s in samples}
    assert found == {
        ("alpha", "web"): ("up", None),
        ("alpha", "tcp"): ("up", None),
        ("beta", "web"): ("down", "connect"),
    }
    ts = datetime.fromisoformat(samples[0]["ts"])
    assert samples[0]["ts"].endswith("Z") and ts.tzinfo is not None
    assert samples[0]["ts"] == samples[1]["ts"]  # one platform, one slot
    assert {s["vantage"] for s in samples} == {"cli-test"}
    assert isinstance(samples[0]["latency_ms"], float) and samples[0]["http_status"] == 200


def test_it_prints_an_aligned_table_with_counts_and_the_network_verdict(
    tmp_path: Path, hostile: HostileServer
) -> None:
    config = write_config(tmp_path, hostile, [f"tcp://127.0.0.1:{hostile.port}"])
    done = check_command(config)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.rstrip("\n").splitlines()
    header = lines[0]
    assert header.split() == [
        "PLATFORM",
        "CHECK",
        "KIND",
        "STATUS",
        "LATENCY",
        "HTTP",
        "ERROR",
        "DETAIL",
    ]
    rows = [line for line in lines[1:-1] if not line.startswith(" ")]
    status_col = header.index("STATUS")
    assert [row[status_col:].split()[0] for row in rows] == ["up", "up", "up", "down"]
    assert rows[0].startswith("(control)")
    assert lines[-1] == (
        "3 checks: 2 up, 0 degraded, 1 down, 0 unknown · own network: ok (1/1 controls reachable)"
    )


def test_it_says_when_the_own_network_is_offline(tmp_path: Path, hostile: HostileServer) -> None:
    config = write_config(tmp_path, hostile, [f"tcp://127.0.0.1:{refused_port()}"])
    done = check_command(config)
    assert done.returncode == 0, done.stderr
    assert "vantage_offline" in done.stdout
    assert "0 up, 0 degraded, 0 down, 3 unknown · own network: OFFLINE" in done.stdout


def test_it_exits_2_with_one_line_on_a_bad_config(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[monitor]\ntimeout = "soon"\n')
    done = check_command(bad)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "monitor.timeout" in done.stderr


def test_it_prints_the_vendors_official_status_under_the_platform(
    tmp_path: Path, hostile: HostileServer, httpserver: HTTPServer
) -> None:
    payload = FIXTURES / "status_pages" / "synthetic_statuspage_discord_degraded_investigating.json"
    httpserver.expect_request("/api/v2/summary.json").respond_with_data(
        payload.read_text(), content_type="application/json"
    )
    config = write_config(tmp_path, hostile, [])
    config.write_text(
        config.read_text().replace(
            'id = "tcp"',
            f"""id = "status"
  kind = "statuspage"
  url = "{httpserver.url_for("/api/v2/summary.json")}"
  [[platforms.checks]]
  id = "tcp\"""",
        )
    )
    done = check_command(config)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    status_row = next(i for i, line in enumerate(lines) if " statuspage " in line)
    assert "official_incident" in lines[status_row]
    official = next(line.strip() for line in lines if line.strip().startswith("official:"))
    assert official == "official: degraded — Messaging issues (investigating)"


def test_the_table_shows_the_official_status_next_to_the_probes() -> None:
    alpha = Platform.model_validate(
        {
            "id": "alpha",
            "name": "Alpha",
            "checks": [
                {"id": "web", "kind": "tcp", "host": "127.0.0.1", "port": 9},
                {
                    "id": "status",
                    "kind": "statuspage",
                    "url": "http://127.0.0.1:9/api/v2/summary.json",
                },
            ],
        }
    )
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    official = ProbeResult(
        "degraded",
        12.0,
        200,
        "official_incident",
        "Login issues",
        official=OfficialInfo(
            indicator="minor", title="Login issues", incident_status="investigating"
        ),
    )
    samples = [
        {
            "ts": now,
            "vantage": "v",
            "platform": "alpha",
            "check": "web",
            "kind": "tcp",
            "status": "up",
            "latency_ms": 3.0,
            "http_status": None,
            "error": None,
            "detail": None,
        },
        {
            "ts": now,
            "vantage": "v",
            "platform": "alpha",
            "check": "status",
            "kind": "statuspage",
            "status": "degraded",
            "latency_ms": 12.0,
            "http_status": 200,
            "error": "official_incident",
            "detail": "Login issues",
        },
    ]
    found = Round(
        started=now,
        ended=now,
        vantage="v",
        samples=samples,
        controls_ok=None,
        vantage_offline=False,
        official={"alpha": official.official},
        results={("alpha", "status"): official},
    )
    text = format_round(found, [alpha])
    lines = text.splitlines()
    status_row = next(i for i, line in enumerate(lines) if " statuspage " in line)
    assert lines[status_row + 1].strip() == "official: degraded — Login issues (investigating)"
    assert lines[-1].endswith("own network: no controls configured")


@pytest.mark.parametrize("latency", [None, 999.4, 1500.0])
def test_the_table_formats_latency_for_people(latency: float | None) -> None:
    now = datetime(2025, 3, 1, tzinfo=UTC)
    alpha = Platform.model_validate(
        {
            "id": "alpha",
            "name": "Alpha",
            "checks": [{"id": "web", "kind": "tcp", "host": "127.0.0.1", "port": 9}],
        }
    )
    sample = {
        "ts": now,
        "vantage": "v",
        "platform": "alpha",
        "check": "web",
        "kind": "tcp",
        "status": "up",
        "latency_ms": latency,
        "http_status": None,
        "error": None,
        "detail": None,
    }
    found = Round(
        started=now,
        ended=now,
        vantage="v",
        samples=[sample],
        controls_ok=None,
        vantage_offline=False,
    )
    expected = {None: " - ", 999.4: " 999 ms ", 1500.0: " 1.50 s "}[latency]
    assert expected in format_round(found, [alpha]).splitlines()[1] + " "

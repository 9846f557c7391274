"""`python -m monitors doctor` against real loopback servers: findings, advice, the table,
JSON, exit codes, the own-network line and redaction of secrets."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT
from pytest_httpserver import HTTPServer
from support_servers import DnsServer, refused_port
from werkzeug import Response

from monitors.cli.doctor import HEADER, Finding, diagnose, redact, with_fallbacks
from monitors.config import load_settings
from monitors.sampling.runner import run_round

pytest_plugins = ("support_servers",)

CHALLENGE = "<html><head><title>Just a moment...</title></head><body>Checking your browser</body>"
FIELDS = ["platform", "check", "kind", "target", "verdict", "http_status", "error", "detail",
          "advice", "latency_ms", "fallback"]


@pytest.fixture
def site(httpserver: HTTPServer) -> HTTPServer:
    """One local server, one behaviour per path."""
    httpserver.expect_request("/ok").respond_with_data("hello from pulse")
    httpserver.expect_request("/limited").respond_with_response(
        Response("slow down", status=429, headers={"Retry-After": "120"}))
    httpserver.expect_request("/li").respond_with_data("", status=999)
    httpserver.expect_request("/wall").respond_with_data(
        CHALLENGE, status=403, content_type="text/html")
    httpserver.expect_request("/gone").respond_with_data("no such page", status=404)
    httpserver.expect_request("/broken").respond_with_data("upstream failed", status=503)
    httpserver.expect_request("/secret").respond_with_response(
        Response(status=302, headers={"Location": "/landing?api_key=SECRET&lang=en"}))
    httpserver.expect_request("/landing").respond_with_data("welcome to pulse")
    return httpserver


def platform_toml(pid: str, provider: str, *checks: str) -> str:
    return (f'\n[[platforms]]\nid = "{pid}"\nname = "{pid.title()}"\nprovider = "{provider}"\n'
            + "".join(checks))


def http(cid: str, url: str, extra: str = "") -> str:
    return f'  [[platforms.checks]]\n  id = "{cid}"\n  kind = "http"\n  url = "{url}"\n{extra}'


def dns(cid: str, name: str, port: int) -> str:
    return (f'  [[platforms.checks]]\n  id = "{cid}"\n  kind = "dns"\n  name = "{name}"\n'
            f'  nameserver = "127.0.0.1"\n  port = {port}\n')


def write(tmp_path: Path, controls: list[str], *platforms: str) -> Path:
    """A loopback-only config (no catalog): every target and nameserver is 127.0.0.1."""
    listed = ", ".join(f'"{c}"' for c in controls)
    path = tmp_path / "doctor.toml"
    path.write_text(f'[monitor]\ntimeout = "2s"\nvantage = "doctor-test"\n'
                    f'default_platforms = false\ncontrols = [{listed}]\n' + "".join(platforms))
    return path


def full_config(tmp_path: Path, site: HTTPServer, dns_server: DnsServer,
                controls: list[str] | None = None) -> Path:
    """Every kind of answer: ok, refused (429, 999, 403 challenge, 404) and failed."""
    url = site.url_for
    secret = url("/secret?api_key=SECRET").replace("http://", "http://bob:HUNTER2@")
    return write(
        tmp_path,
        controls if controls is not None else [f"tcp://127.0.0.1:{site.port}"],
        platform_toml("good", "Alpha", http("web", url("/ok"), '  keyword = "pulse"\n'),
                      dns("dns", "ok.test", dns_server.port)),
        platform_toml("limited", "Beta", http("web", url("/limited"))),
        platform_toml("pro", "Gamma", http("web", url("/li"))),
        platform_toml("walled", "Delta", http(
            "web", url("/wall"), f'  fallback_urls = ["{url("/ok")}"]\n')),
        platform_toml("lost", "Delta", http("web", url("/gone"))),
        platform_toml("broken", "Epsilon", http("web", url("/broken")),
                      dns("dns", "nx.test", dns_server.port)),
        platform_toml("closed", "Zeta", http("web", f"http://127.0.0.1:{refused_port()}/")),
        platform_toml("keyed", "Eta", http("api", secret, '  keyword = "welcome"\n')),
    )


def doctor(config: Path, *extra: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The doctor command in a child process (loopback-guarded by conftest)."""
    return subprocess.run(
        [sys.executable, "-m", "monitors", "doctor", "--config", str(config), *extra],
        cwd=cwd, capture_output=True, text=True, timeout=60,
    )


def findings_of(config: Path) -> dict[tuple[str, str, int], Finding]:
    """One in-process round over the config's endpoints, diagnosed, by (platform, check, i)."""
    settings = load_settings(str(config))
    platforms = settings.platforms
    found = asyncio.run(run_round(with_fallbacks(platforms), settings.monitor))
    return {(f.platform, f.check, f.fallback): f
            for f in diagnose(platforms, found.results, found.controls)}


# ---------------------------------------------------------------- diagnose
def test_each_endpoint_is_ok_refused_or_failed_with_its_code_and_error_class(
    tmp_path: Path, site: HTTPServer, dns_server: DnsServer
) -> None:
    found = findings_of(full_config(tmp_path, site, dns_server))
    assert {key: (f.verdict, f.http_status, f.error) for key, f in found.items()} == {
        ("(control)", "control", 0): ("ok", None, None),
        ("good", "web", 0): ("ok", 200, None),
        ("good", "dns", 0): ("ok", None, None),
        ("limited", "web", 0): ("refused", 429, "refused"),
        ("pro", "web", 0): ("refused", 999, "refused"),
        ("walled", "web", 0): ("refused", 403, "refused"),
        ("walled", "web", 1): ("ok", 200, None),
        ("lost", "web", 0): ("refused", 404, "refused"),
        ("broken", "web", 0): ("failed", 503, "http_status"),
        ("broken", "dns", 0): ("failed", None, "dns"),
        ("closed", "web", 0): ("failed", None, "connect"),
        ("keyed", "api", 0): ("ok", 200, None),
    }
    assert all(f.advice is None for f in found.values() if f.verdict == "ok")


def test_a_rate_limit_names_its_retry_after_and_the_backoff(
    tmp_path: Path, site: HTTPServer, dns_server: DnsServer
) -> None:
    advice = findings_of(full_config(tmp_path, site, dns_server))["limited", "web", 0].advice
    assert advice == ("rate limited (Retry-After 120 s): the sampler backs off on its own; "
                      "lengthen the interval or add a fallback URL")


def test_a_bot_wall_says_so_and_points_at_fallbacks_or_expect_status(
    tmp_path: Path, site: HTTPServer, dns_server: DnsServer
) -> None:
    found = findings_of(full_config(tmp_path, site, dns_server))
    linkedin = found["pro", "web", 0].advice
    assert "bot wall refuses anonymous monitors from this network" in linkedin
    assert "add `fallback_urls` for this check" in linkedin
    assert "set expect_status if 999 is what this surface healthily answers" in linkedin
    walled = found["walled", "web", 0].advice
    assert "bot wall" in walled and "403" in walled
    assert "listed below as (fallback N)" in walled  # it has one, and that one answered
    assert found["walled", "web", 1].target == site.url_for("/ok")
    assert found["lost", "web", 0].advice == (
        "the edge answers 404 to this path: check the URL or set expect_status")


def test_a_failure_says_what_its_error_class_means(
    tmp_path: Path, site: HTTPServer, dns_server: DnsServer
) -> None:
    found = findings_of(full_config(tmp_path, site, dns_server))
    assert "server answered with an error (HTTP 503)" in found["broken", "web", 0].advice
    assert "HTTP 503" in found["broken", "web", 0].detail
    assert "did not resolve" in found["broken", "dns", 0].advice
    assert "NXDOMAIN" in found["broken", "dns", 0].detail
    assert "no connection" in found["closed", "web", 0].advice


def test_targets_and_details_never_carry_credentials_or_query_tokens(
    tmp_path: Path, site: HTTPServer, dns_server: DnsServer
) -> None:
    keyed = findings_of(full_config(tmp_path, site, dns_server))["keyed", "api", 0]
    assert keyed.target == site.url_for("/secret?api_key=***").replace(
        "http://", "http://***@")
    assert keyed.detail is not None and "redirect" in keyed.detail  # names where it landed
    assert "SECRET" not in keyed.detail and "api_key=***&lang=en" in keyed.detail


def test_redact_hides_secret_values_and_keeps_the_rest() -> None:
    assert redact("https://a.test/x?format=json&token=abc&Sig=zz#top") == (
        "https://a.test/x?format=json&token=***&Sig=***#top")
    assert redact("https://api.telegram.org/bot123:AAbb-cc/getMe") == (
        "https://api.telegram.org/bot***/getMe")
    assert redact("https://u:p@a.test/") == "https://***@a.test/"


# ---------------------------------------------------------------- the command
def test_the_table_groups_findings_by_platform_and_ends_with_the_tally(
    tmp_path: Path, site: HTTPServer, dns_server: DnsServer
) -> None:
    done = doctor(full_config(tmp_path, site, dns_server))
    assert done.returncode == 1, done.stderr  # something failed
    lines = done.stdout.rstrip("\n").splitlines()
    assert lines[0] == "own network: ok (1/1 controls reachable)"
    header = lines[2]
    assert header.split() == HEADER
    column = header.index("VERDICT")
    rows = [line for line in lines[3:] if line.startswith("  ") and line[2] != " "]
    assert [row[column:].split()[0] for row in rows] == [
        "ok", "ok", "ok", "refused", "refused", "refused", "ok", "refused", "failed",
        "failed", "failed", "ok"]
    assert "Walled [walled · Delta]" in lines
    assert any(line.startswith("  web (fallback 1)") for line in lines)
    advice = [line.strip() for line in lines if line.strip().startswith("advice:")]
    assert any("Retry-After 120 s" in line for line in advice)
    assert all(line.startswith(" " * column) for line in lines
               if line.strip().startswith("advice:"))
    assert lines[-1] == "4 answered as expected, 4 refused, 3 failed"
    for secret in ("SECRET", "HUNTER2"):
        assert secret not in done.stdout + done.stderr


def test_json_gives_one_finding_object_per_endpoint(
    tmp_path: Path, site: HTTPServer, dns_server: DnsServer
) -> None:
    done = doctor(full_config(tmp_path, site, dns_server), "--json")
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)
    assert all(list(f) == FIELDS for f in findings)
    verdicts = {(f["platform"], f["check"], f["fallback"]): f["verdict"] for f in findings}
    assert verdicts["limited", "web", 0] == "refused"
    assert verdicts["closed", "web", 0] == "failed"
    pro = next(f for f in findings if f["platform"] == "pro")
    assert pro["http_status"] == 999 and "bot wall" in pro["advice"]
    for secret in ("SECRET", "HUNTER2"):
        assert secret not in done.stdout + done.stderr


def test_refusals_alone_exit_0_and_are_still_listed(
    tmp_path: Path, site: HTTPServer, dns_server: DnsServer
) -> None:
    config = write(
        tmp_path, [f"tcp://127.0.0.1:{site.port}"],
        platform_toml("good", "Alpha", http("web", site.url_for("/ok")),
                      dns("dns", "ok.test", dns_server.port)),
        platform_toml("limited", "Beta", http("web", site.url_for("/limited"))),
        platform_toml("walled", "Gamma", http("web", site.url_for("/wall"))),
    )
    done = doctor(config, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "2 answered as expected, 2 refused, 0 failed"
    assert "rate limited (Retry-After 120 s)" in done.stdout
    assert not (tmp_path / "data").exists()  # no history written


def test_all_controls_failing_says_own_network_offline_first_and_exits_1(
    tmp_path: Path, site: HTTPServer, dns_server: DnsServer
) -> None:
    dead = [f"tcp://127.0.0.1:{refused_port()}", f"http://127.0.0.1:{refused_port()}/"]
    config = write(tmp_path, dead, platform_toml("good", "Alpha", http("web", site.url_for("/ok"))))
    done = doctor(config)
    assert done.returncode == 1, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("own network offline: results are not about the platforms")
    assert "failed" in done.stdout and "no connection" in done.stdout  # each control's row
    as_json = doctor(config, "--json")
    assert as_json.returncode == 1
    assert "own network offline" in as_json.stderr
    assert {f["platform"] for f in json.loads(as_json.stdout)} == {"(control)", "good"}


def test_a_bad_config_exits_2_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[monitor]\ndefault_platforms = false\ncontrols = []\nbogus = 1\n')
    done = doctor(path)
    assert done.returncode == 2
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1


def test_a_status_page_is_ok_when_it_answers_whatever_the_vendor_reports(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    payload = (FIXTURES / "status_pages" /
               "synthetic_statuspage_discord_degraded_investigating.json").read_bytes()
    httpserver.expect_request("/a/api/v2/summary.json").respond_with_data(
        payload, content_type="application/json")
    httpserver.expect_request("/b/api/v2/summary.json").respond_with_data("no", status=403)
    httpserver.expect_request("/c/api/v2/summary.json").respond_with_data("oops", status=500)
    checks = "".join(
        f'  [[platforms.checks]]\n  id = "{cid}"\n  kind = "statuspage"\n'
        f'  url = "{httpserver.url_for(f"/{cid}/api/v2/summary.json")}"\n'
        for cid in ("a", "b", "c"))
    found = findings_of(write(tmp_path, [], platform_toml("vendor", "V", checks)))
    assert {key[1]: (f.verdict, f.http_status) for key, f in found.items()} == {
        "a": ("ok", 200), "b": ("refused", 403), "c": ("failed", 500)}
    assert "Messaging issues" in found["vendor", "a", 0].detail  # what the vendor said
    assert "status page refuses anonymous readers" in found["vendor", "b", 0].advice
    assert "could not be read from here" in found["vendor", "c", 0].advice

"""Bad input exits 2 with one line (issue #21): options, absurd durations, header values,
status codes, deep TOML, CA bundles; a data folder the sampler cannot write says why.

Config files with one fault each live in tests/data/bad-config/ (tests/test_config_errors.py
runs that table); the cases here need an option, a generated file or a real folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import LOOPBACK_CONFIG, ROOT

from monitors.config import ConfigError, load_settings, parse_config, read_config_file
from monitors.timeutil import MAX_DURATION_S, parse_duration

BAD = ROOT / "tests" / "data" / "bad-config"
LOOPBACK = """[monitor]
vantage = "test"
default_platforms = false
controls = ["tcp://127.0.0.1:9"]
{monitor}
[[platforms]]
id = "local"
name = "Local"
  [[platforms.checks]]
  id = "web"
  kind = "tcp"
  host = "127.0.0.1"
  port = 9
"""


def cli(*argv: str, cwd: Path = ROOT, env: dict | None = None,
        prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    env = {**os.environ, "MONITORS_CONFIG": str(LOOPBACK_CONFIG), **(env or {})}
    return subprocess.run([*prefix, sys.executable, "-m", "monitors", *argv], cwd=cwd,
                          capture_output=True, text=True, timeout=60, env=env)


def one_line(done: subprocess.CompletedProcess) -> str:
    """The single stderr line of a command that exited 2 (nothing else printed)."""
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert done.stdout == ""
    return lines[0]


# ------------------------------------------------------------------ options
OPTIONS = [
    (["summary", "--log-level", "FOO"],
     "error: argument --log-level: 'FOO' is not a log level; use one of DEBUG, INFO"),
    (["check", "--log-level", "verbose"], "error: argument --log-level: 'verbose' is not a log"),
    (["summary", "--since", "99999999d"],
     "error: argument --since: '99999999d' is too long; durations are at most 366 days"),
    (["incidents", "--since", "367d"], "error: argument --since: '367d' is too long"),
    (["export", "--since", "99999999999w"], "error: argument --since: '99999999999w' is too long"),
    (["report", "--since", "soon", "-o", "r.html"],
     "error: argument --since: 'soon' is not a duration"),
    (["run", "--duration", "forever"], "error: argument --duration: 'forever' is not a duration"),
    (["summary", "--no-such-option"], "error: unrecognized arguments: --no-such-option"),
    (["frobnicate"], "error: argument command: invalid choice: 'frobnicate'"),
]


@pytest.mark.parametrize(("argv", "expected"), OPTIONS, ids=[" ".join(a) for a, _ in OPTIONS])
def test_a_bad_option_exits_2_with_one_line(argv, expected, tmp_path):
    line = one_line(cli(*argv, "--data", str(tmp_path / "data"), cwd=tmp_path)
                    if argv[0] != "frobnicate" else cli(*argv, cwd=tmp_path))
    assert line.startswith(expected), line


def test_a_lower_case_log_level_is_still_fine():
    from monitors.__main__ import build_parser

    args = build_parser().parse_args(["status", "--log-level", "debug"])
    assert args.log_level == "DEBUG"


# ------------------------------------------------------------------ durations
@pytest.mark.parametrize(("value", "seconds"), [
    ("366d", 366 * 86400.0), ("52w", 52 * 604800.0), (MAX_DURATION_S, MAX_DURATION_S),
    ("500ms", 0.5), (0, 0.0),
])
def test_durations_up_to_366_days_parse(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(("value", "message"), [
    (float("inf"), "inf is not finite"), (1e308, "1e+308 is too long"),
    ("99999999999d", "'99999999999d' is too long"), ("367d", "'367d' is too long"),
    (10**400, "is too long"), (float("nan"), "not NaN"), (MAX_DURATION_S + 1, "is too long"),
])
def test_absurd_durations_are_refused_before_they_overflow(value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_duration(value)


# ------------------------------------------------------------------ config values
def _config(tmp_path: Path, monitor: str = "", text: str | None = None) -> Path:
    path = tmp_path / "pulse.toml"
    path.write_text(LOOPBACK.format(monitor=monitor) if text is None else text, encoding="utf-8")
    return path


@pytest.mark.parametrize("value", [
    r"a\r\nX-Evil: 1", r"Pulse\n", r"tab\there", r"nul\u0000", r"del\u007f", "caf\u00e9/1.0",
])
def test_a_header_value_with_control_or_non_ascii_characters_is_refused(tmp_path, value):
    path = _config(tmp_path, f'user_agent = "{value}"')
    with pytest.raises(ConfigError, match=r"pulse.toml: monitor\.user_agent: ") as caught:
        load_settings(str(path))
    assert "\n" not in str(caught.value) and "\r" not in str(caught.value)


def test_the_check_command_refuses_a_smuggled_header_instead_of_reporting_us_offline(tmp_path):
    path = _config(tmp_path, r'user_agent = "a\r\nX-Evil: 1"')
    line = one_line(cli("check", "--config", str(path), "--data", str(tmp_path / "d")))
    assert line.startswith(f"error: {path}: monitor.user_agent: control character '\\r'"), line
    assert "offline" not in line.lower()


@pytest.mark.parametrize("codes", [[-5], [0], [99], [1000], [200, 70000]])
def test_expect_status_takes_http_status_codes_only(codes):
    raw = {"monitor": {"default_platforms": False},
           "platforms": [{"id": "p", "name": "P", "checks": [
               {"id": "web", "kind": "http", "url": "http://127.0.0.1:9/",
                "expect_status": codes}]}]}
    with pytest.raises(ConfigError, match=r"platforms\[0\]\.checks\[0\]\.expect_status\[\d\]"):
        parse_config(raw)
    raw["platforms"][0]["checks"][0]["expect_status"] = [100, 200, 429, 999]
    assert parse_config(raw).platforms[0].checks[0].expect_status == [100, 200, 429, 999]


@pytest.mark.parametrize("nest", ["array", "table"])
def test_a_100k_deep_toml_value_is_one_line_not_a_recursion_error(tmp_path, nest):
    depth = 100_000
    value = "[" * depth + "]" * depth if nest == "array" else "{a = " * depth + "1" + "}" * depth
    path = _config(tmp_path, text=f"[monitor]\ncontrols = {value}\n")
    line = one_line(cli("check", "--config", str(path), "--data", str(tmp_path / "d")))
    assert line == f"error: {path}: not valid TOML (arrays or tables nested too deeply)"


def test_a_missing_or_broken_ca_bundle_is_named(tmp_path):
    for value, why in [("nowhere.pem", "'nowhere.pem': no such file"),
                       (str(tmp_path), "is a folder, not a file"),
                       (str(LOOPBACK_CONFIG), "not a readable PEM CA bundle (SSLError)")]:
        path = _config(tmp_path, f"ca_bundle = '{value}'")
        line = one_line(cli("check", "--config", str(path), "--data", str(tmp_path / "d")))
        assert line.startswith(f"error: {path}: monitor.ca_bundle: "), line
        assert why in line, line


def test_a_real_ca_bundle_is_accepted(tmp_path):
    certifi = pytest.importorskip("certifi")
    bundle = tmp_path / "ca.pem"
    shutil.copy(certifi.where(), bundle)
    path = _config(tmp_path, f"ca_bundle = '{bundle}'")
    assert read_config_file(path).monitor.ca_bundle == str(bundle)


@pytest.mark.parametrize(("monitor", "where"), [
    ('interval = "1ms"', "monitor.interval: rounds must be at least 0.5s apart"),
    ("interval = 0.4", "monitor.interval: rounds must be at least 0.5s apart"),
    ("interval = inf", "monitor.interval: inf is not finite"),
    ("interval = 1e308", "monitor.interval: 1e+308 is too long"),
    ("flush_every = inf", "monitor.flush_every: inf is not finite"),
    ('compact_every = "99999999999d"', "monitor.compact_every: '99999999999d' is too long"),
    ('renotify_after = "400d"', "monitor.renotify_after: '400d' is too long"),
    ("timeout = nan", "monitor.timeout: a duration must be a number of seconds, not NaN"),
])
def test_durations_in_the_config_are_bounded(tmp_path, monitor, where):
    path = _config(tmp_path, monitor)
    with pytest.raises(ConfigError) as caught:
        load_settings(str(path))
    assert str(caught.value).startswith(f"{path}: {where}"), caught.value


def test_the_bad_config_table_holds_the_issue_21_cases():
    names = {p.stem for p in BAD.glob("*.expected")}
    assert {"interval-inf", "interval-huge", "flush-every-inf", "compact-every-huge",
            "interval-too-short", "platform-interval-too-short", "ca-bundle-missing",
            "user-agent-crlf", "expect-status-negative", "deep-array"} <= names


class _FakeSim:
    dns_port = 5353

    def url(self, platform: str, surface: str) -> str:
        return f"http://127.0.0.1:1/{platform}/{surface}"

    def status_url(self, page: str) -> str:
        return f"http://127.0.0.1:1/{page}/api/v2/summary.json"

    def control_url(self) -> str:
        return "http://127.0.0.1:1/control"


@pytest.mark.parametrize("path", sorted(
    [*(ROOT / "tests" / "data").glob("*.toml"), *(ROOT / "examples").glob("*.toml")]),
    ids=lambda p: p.name)
def test_the_shipped_and_test_configs_still_validate(path):
    read_config_file(path)


def test_the_demo_config_still_validates():
    from monitors.demo.config import demo_config

    config = parse_config(demo_config(_FakeSim(), dashboard_port=8501))  # type: ignore[arg-type]
    assert config.monitor.interval >= 0.5


# ------------------------------------------------------------------ data folder and lock
def _read_only(folder: Path) -> tuple[str, ...]:
    """A prefix that runs a command with `folder` really read-only (root ignores modes)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return ()
    unshare = shutil.which("unshare")
    probe = subprocess.run([unshare or "unshare", "-m", "true"], capture_output=True) \
        if unshare else None
    if probe is None or probe.returncode != 0:
        pytest.skip("running as root without mount namespaces: cannot make a folder read-only")
    return (unshare, "-m", "sh", "-c", f'mount --bind -o ro "{folder}" "{folder}" && exec "$@"',
            "sh")


def test_a_read_only_data_folder_is_named_as_such_not_as_a_busy_sampler(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    prefix = _read_only(data)
    try:
        done = cli("run", "--data", str(data), "--duration", "1", prefix=prefix)
    finally:
        data.chmod(0o755)
    output = done.stdout + done.stderr
    assert done.returncode in (1, 2) and "Traceback" not in output, output
    assert f"cannot write the data folder {data}: " in output, output
    assert "Read-only file system" in output or "Permission denied" in output, output
    assert "another sampler" not in output


def test_a_lock_path_that_is_a_folder_is_named_as_such(tmp_path):
    data = tmp_path / "data"
    lock = data / "state" / "writer-test.lock"
    lock.mkdir(parents=True)
    done = cli("run", "--data", str(data), "--duration", "1")
    output = done.stdout + done.stderr
    assert done.returncode in (1, 2) and "Traceback" not in output, output
    assert f"the lock file {lock} is a folder; remove it" in output, output
    assert "another sampler" not in output


def test_a_data_path_that_is_a_file_is_named_as_such(tmp_path):
    data = tmp_path / "history"
    data.write_text("not a folder")
    done = cli("run", "--data", str(data), "--duration", "1")
    output = done.stdout + done.stderr
    assert done.returncode in (1, 2) and "Traceback" not in output, output
    assert f"{data} is a file, not a folder" in output, output
    assert "another sampler" not in output

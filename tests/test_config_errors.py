"""Bad configs, as a table: each tests/data/bad-config/NAME.expected holds the start of the one
line that NAME.toml must produce after "FILE: " (NAME.toml may be missing on purpose)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from monitors.config import ConfigError, load_settings

BAD = Path(__file__).resolve().parent / "data" / "bad-config"
ROOT = BAD.parent.parent.parent
CASES = sorted(p.stem for p in BAD.glob("*.expected"))
SECRET = "hunter2"  # the password inside bad-alert-event.toml's alert URL


def _expected(name: str) -> tuple[Path, str]:
    path = BAD / f"{name}.toml"
    return path, f"{path}: " + (BAD / f"{name}.expected").read_text(encoding="utf-8").strip()


def test_the_table_has_at_least_twelve_broken_configs():
    assert len(CASES) >= 12
    assert "does-not-exist" in CASES and not (BAD / "does-not-exist.toml").exists()


@pytest.mark.parametrize("name", CASES)
def test_load_settings_rejects_a_broken_config_naming_the_file_and_field(name):
    path, expected = _expected(name)
    with pytest.raises(ConfigError) as caught:
        load_settings(str(path))
    message = str(caught.value)
    assert message.startswith(expected), message
    assert "\n" not in message
    assert SECRET not in message


@pytest.mark.parametrize("name", CASES)
def test_the_cli_exits_2_with_one_line_and_no_traceback(name, tmp_path):
    path, expected = _expected(name)
    proc = subprocess.run(
        [sys.executable, "-m", "monitors", "check", "--config", str(path),
         "--data", str(tmp_path / "data")],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"error: {expected}"), lines[0]
    assert "Traceback" not in proc.stderr and SECRET not in proc.stderr
    assert proc.stdout == ""


def test_a_bad_config_from_the_environment_is_named_too(monkeypatch):
    path, expected = _expected("unknown-key")
    monkeypatch.setenv("MONITORS_CONFIG", str(path))
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(expected)


def test_a_bad_data_location_from_the_environment_names_the_data_setting(monkeypatch):
    monkeypatch.setenv("MONITORS_DATA", "ftp://127.0.0.1/history")
    with pytest.raises(ConfigError, match=r"^data: 'ftp://127.0.0.1/history': use a folder"):
        load_settings()


def test_a_value_spanning_lines_still_gives_a_one_line_message(tmp_path):
    path = tmp_path / "multiline.toml"
    path.write_text('[business]\nhours = """Mon-Fri\n09:00"""\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(str(path))
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(f"{path}: business.hours: ")


def test_a_folder_given_as_config_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config"):
        load_settings(str(tmp_path))

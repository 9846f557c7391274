"""A data folder remembers the config it was recorded with: reading commands use it unless
told otherwise, and warn when the given config differs; secrets are never recorded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib

import pytest
import tomli_w
from support_sampler import Target, http_platform, settings_for, wait_for, write_config

from monitors.history import recorded
from monitors.sampling import heartbeat
from monitors.sampling.sampler import Sampler


@pytest.fixture
def recorded_folder(tmp_path):
    """A real sampler's few rounds, recorded with a config that is nothing like the default."""
    target = Target()
    data = tmp_path / "data"
    config = write_config(tmp_path / "shop.toml", data=data,
                          controls=[f"tcp://127.0.0.1:{target.port}"],
                          platforms=[http_platform("shopfront", "Shop", {"web": target.url("/a")})])
    raw = tomllib.loads(config.read_text())
    raw["business"] = {"timezone": "America/New_York", "currency": "EUR"}
    raw["alerts"] = [{"url": "json://user:S3CRET-PASS@127.0.0.1:9/hook"}]
    config.write_text(tomli_w.dumps(raw))
    sampler = Sampler(settings_for(config)).start()
    try:
        assert wait_for(lambda: (heartbeat.read_heartbeat(str(data), "test") or {})
                        .get("written", 0) >= 2, 30)
    finally:
        sampler.stop()
        target.close()
    return data, config


def _cli(tmp_path, *argv: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MONITORS_CONFIG", "MONITORS_DATA")}
    return subprocess.run([sys.executable, "-m", "monitors", *argv], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_reading_command_without_a_config_uses_the_recorded_one(recorded_folder, tmp_path):
    data, _ = recorded_folder
    done = _cli(tmp_path, "summary", "--json", "--since", "1h", "--data", str(data))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert [p["platform"] for p in summary["platforms"]] == ["shopfront"]  # not the catalog
    assert any("America/New_York" in line for line in summary["assumptions"])
    assert summary["platforms"][0]["impact"]["currency"] == "EUR"
    assert "warning" not in done.stderr


def test_a_different_config_is_used_but_the_difference_is_said(recorded_folder, tmp_path):
    data, config = recorded_folder
    other = tmp_path / "other.toml"
    raw = tomllib.loads(config.read_text())
    raw["business"]["currency"] = "USD"
    other.write_text(tomli_w.dumps(raw))
    done = _cli(tmp_path, "incidents", "--json", "--config", str(other), "--data", str(data))
    assert done.returncode == 0, done.stderr
    assert f"{data} was recorded with {config}" in done.stderr
    assert "business.currency" in done.stderr
    same = _cli(tmp_path, "incidents", "--config", str(config), "--data", str(data))
    assert same.returncode == 0 and "recorded with" not in same.stderr


def test_the_record_holds_no_secret(recorded_folder):
    data, config = recorded_folder
    found = recorded.recorded(str(data))
    assert found["source"] == str(config)
    text = (data / "state" / recorded.NAME).read_text()
    assert "S3CRET" not in text and "alerts" not in found["config"]
    assert found["digest"] == recorded.digest(settings_for(config).config)

"""Deployment files: Dockerfile, compose file and systemd units say what docs/operations.md says.

No Docker engine runs here, so the image is checked statically; the systemd units are also
checked by `systemd-analyze verify` where it is installed.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from monitors.__main__ import build_parser

DEPLOY = ROOT / "deploy"
UNITS = ("platform-pulse-sampler.service", "platform-pulse-dashboard.service")
HARDENING = {
    "DynamicUser": "yes",
    "ProtectSystem": "strict",
    "StateDirectory": "platform-pulse",
    "ReadWritePaths": "/var/lib/platform-pulse",
    "NoNewPrivileges": "yes",
    "PrivateTmp": "yes",
    "ProtectHome": "yes",
    "Restart": "on-failure",
}


def dockerfile(path: Path = ROOT / "Dockerfile") -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    steps, pending = [], ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        instruction, _, args = (pending + line).partition(" ")
        steps.append((instruction.upper(), " ".join(args.split())))
        pending = ""
    return steps


def _last(steps: list[tuple[str, str]], instruction: str) -> tuple[int, str]:
    found = [(i, args) for i, (name, args) in enumerate(steps) if name == instruction]
    assert found, f"no {instruction} in the Dockerfile"
    return found[-1]


def unit(name: str) -> dict[str, list[str]]:
    """A systemd unit as key -> values (keys may repeat), over all sections."""
    values: dict[str, list[str]] = {}
    for raw in (DEPLOY / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        values.setdefault(key.strip(), []).append(value.strip())
    return values


@pytest.fixture(scope="module")
def compose() -> dict:
    """The compose file, YAML anchors and merges resolved."""
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


# ----------------------------------------------------------------------------- Dockerfile
def test_the_image_starts_from_slim_python_3_11() -> None:
    assert dockerfile()[0] == ("FROM", "python:3.11-slim")


def test_the_image_runs_as_a_non_root_user_it_creates() -> None:
    steps = dockerfile()
    where, user = _last(steps, "USER")
    assert user.split(":")[0] not in ("root", "0", "")
    assert any(name == "RUN" and "useradd" in args and user in args for name, args in steps)
    assert where < _last(steps, "CMD")[0] and where < _last(steps, "HEALTHCHECK")[0]


def test_the_healthcheck_is_monitors_status() -> None:
    _, check = _last(dockerfile(), "HEALTHCHECK")
    assert re.search(r"\bCMD python -m monitors status\b", check)
    assert check.endswith("|| exit 1")


def test_history_lives_on_a_data_volume_the_user_owns() -> None:
    steps = dockerfile()
    _, volume = _last(steps, "VOLUME")
    assert "/data" in json.loads(volume)
    assert any(name == "ENV" and "MONITORS_DATA=/data" in args.split() for name, args in steps)
    _, user = _last(steps, "USER")
    chown = [i for i, (name, args) in enumerate(steps) if name == "RUN" and "chown" in args
             and "/data" in args and user in args]
    assert chown and chown[0] < _last(steps, "VOLUME")[0]


def test_the_default_command_is_the_sampler() -> None:
    _, command = _last(dockerfile(), "CMD")
    assert json.loads(command) == ["python", "-m", "monitors", "run"]


def test_the_image_installs_the_requirements_and_the_package() -> None:
    runs = [args for name, args in dockerfile() if name == "RUN"]
    assert any("pip install -r requirements.txt" in args for args in runs)
    assert any(re.search(r"pip install (--\S+ )*\.(\s|$)", args) for args in runs)


def test_everything_the_image_copies_exists_and_is_not_ignored() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    for name, args in dockerfile():
        if name != "COPY":
            continue
        *sources, _dest = args.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            assert source not in ignored and source.split("/")[0] not in ignored, source


def test_history_secrets_and_local_configs_stay_out_of_the_build_context() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    for pattern in (".git", "data", ".streamlit/secrets.toml", "monitors.toml", "deploy/*.toml"):
        assert pattern in ignored


# ---------------------------------------------------------------------------- compose
def test_compose_runs_sampler_and_dashboard_on_one_data_volume(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == {"sampler", "dashboard"}
    for service in services.values():
        assert "pulse-data:/data" in service["volumes"]
        assert service["environment"]["MONITORS_DATA"] == "/data"
    assert "pulse-data" in compose["volumes"]


def test_the_compose_sampler_runs_monitors_run_with_valid_arguments(compose: dict) -> None:
    command = compose["services"]["sampler"]["command"]
    assert command[:4] == ["python", "-m", "monitors", "run"]
    build_parser().parse_args(command[3:])  # SystemExit on an unknown flag


def _streamlit_options(args: list[str]) -> dict[str, str]:
    """--section.option=value flags as a dict; each must be a real Streamlit option."""
    from streamlit import config as streamlit_config

    options = dict(arg.removeprefix("--").split("=", 1) for arg in args)
    assert set(options) <= set(streamlit_config.get_config_options())
    return options


def test_the_compose_dashboard_is_behind_the_password_gate(compose: dict) -> None:
    dashboard = compose["services"]["dashboard"]
    command = dashboard["command"]
    assert command[:3] == ["streamlit", "run", "dashboard.py"]
    options = _streamlit_options(command[3:])
    assert options["server.address"] == "0.0.0.0"
    env = dashboard["environment"]
    assert "PULSE_ALLOW_UNAUTHENTICATED" not in env
    assert env["PULSE_NO_SAMPLER"] == "1"
    mounted = {f"/run/secrets/{s['target']}": s["source"] for s in dashboard["secrets"]}
    assert options["secrets.files"] in mounted and options["secrets.files"].endswith(".toml")
    assert env["MONITORS_CONFIG"] in mounted
    assert set(mounted.values()) <= set(compose["secrets"])


# ---------------------------------------------------------------------------- systemd
@pytest.mark.parametrize("name", UNITS)
def test_the_systemd_unit_is_hardened(name: str) -> None:
    values = unit(name)
    for key, expected in HARDENING.items():
        assert expected in values.get(key, []), f"{name}: {key}={expected} missing"
    assert "PULSE_ALLOW_UNAUTHENTICATED" not in (DEPLOY / name).read_text().replace(
        "PULSE_ALLOW_UNAUTHENTICATED is deliberately not set", ""
    )


def test_both_units_share_one_dynamic_user_so_the_dashboard_reads_the_history() -> None:
    users = {unit(name)["User"][0] for name in UNITS}
    assert len(users) == 1


def test_the_sampler_unit_runs_monitors_run_on_the_state_directory() -> None:
    (exec_start,) = unit("platform-pulse-sampler.service")["ExecStart"]
    argv = shlex.split(exec_start)
    assert argv[0].endswith("/bin/monitors") and argv[1] == "run"
    args = build_parser().parse_args(argv[1:])
    assert args.data == "/var/lib/platform-pulse"
    assert args.config.endswith("monitors.toml")


def test_the_dashboard_unit_serves_the_checkout_with_secrets_and_no_sampler() -> None:
    values = unit("platform-pulse-dashboard.service")
    (exec_start,) = values["ExecStart"]
    argv = shlex.split(exec_start)
    assert argv[0].endswith("/bin/streamlit") and argv[1:3] == ["run", "dashboard.py"]
    options = _streamlit_options(argv[3:])
    assert options["secrets.files"] == "%d/secrets.toml"  # systemd's credentials folder
    assert "secrets.toml:/etc/platform-pulse/secrets.toml" in values["LoadCredential"]
    assert "PULSE_NO_SAMPLER=1" in values["Environment"]
    assert "MONITORS_DATA=/var/lib/platform-pulse" in values["Environment"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("monitors", "streamlit"):
        (bin_dir / program).symlink_to(shutil.which("true") or "/bin/true")
    for name in UNITS:  # same units, with programs that exist on this machine
        text = (DEPLOY / name).read_text().replace("/opt/platform-pulse/venv/bin/", f"{bin_dir}/")
        (tmp_path / name).write_text(text)
    out = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(tmp_path / n) for n in UNITS)],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0 and not (out.stdout + out.stderr).strip(), out.stdout + out.stderr


# ---------------------------------------------------------------------------- docs
def test_the_operations_doc_lists_every_metric_the_sampler_exposes() -> None:
    from prometheus_client import generate_latest

    from monitors.config import load_settings
    from monitors.sampling.metrics import Metrics
    from monitors.sampling.sampler import Sampler

    registry = Metrics(Sampler(load_settings())).registry
    exposed = re.findall(r"^# TYPE (\S+) ", generate_latest(registry).decode(), re.MULTILINE)
    documented = set(re.findall(r"^\| `(pulse_\w+)` \|", (ROOT / "docs" / "operations.md")
                                .read_text(), re.MULTILINE))
    assert {name for name in exposed if not name.endswith("_created")} == documented

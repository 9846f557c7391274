"""The packaged install: `pip install .` in a clean venv gives a `monitors` command that works."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import ROOT, TESTS
from support_sampler import http_platform, wait_for, write_config

from monitors import history
from monitors.sampling import heartbeat
from monitors.timeutil import utcnow

# What a source distribution of the package needs; everything else in the checkout is not
# part of the install.
SOURCES = ("pyproject.toml", "README.md", "requirements.txt", "monitors")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")


def _env() -> dict[str, str]:
    """The test environment minus the checkout on PYTHONPATH (the loopback guard stays)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(TESTS / "netguard")
    env["PIP_NO_INPUT"] = "1"
    env.pop("MONITORS_DATA", None)
    return env


def _run(args: list[str | Path], cwd: Path, timeout: float = 120,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env or _env(), capture_output=True, text=True,
        timeout=timeout,
    )


# setuptools 70.1 has bdist_wheel built in; older ones need the separate "wheel" package and
# fail with "invalid command 'bdist_wheel'" (pyproject.toml's build-system.requires).
MIN_SETUPTOOLS = (70, 1)
SETUPTOOLS = "setuptools>=70.1,<81"


def _outer_site_dirs() -> list[str]:
    """Where this interpreter finds its packages: a venv's own site-packages (and the
    system's when the venv sees them), never the checkout."""
    found: list[str] = []
    for entry in sys.path:
        path = Path(entry)
        wanted = path.name in ("site-packages", "dist-packages") and path.is_dir()
        if wanted and str(path) not in found and not path.is_relative_to(ROOT):
            found.append(str(path))
    return found


def _setuptools_version(python: Path, cwd: Path) -> tuple[int, ...]:
    code = "import setuptools; print(setuptools.__version__)"
    out = _run([python, "-c", code], cwd=cwd)
    return tuple(int(p) for p in re.findall(r"\d+", out.stdout)[:2]) if out.returncode == 0 else ()


def _ensure_setuptools(python: Path, cwd: Path) -> None:
    """A setuptools that builds wheels in the venv: the one it already sees when new enough,
    else one installed into it (offline from the configured wheelhouse if it has one, else
    from the package registry; only that pip leaves loopback, so it runs unguarded)."""
    if _setuptools_version(python, cwd) >= MIN_SETUPTOOLS:
        return
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    offline = _run([*pip, "--no-index", SETUPTOOLS], cwd=cwd)
    if offline.returncode != 0:
        registry = {k: v for k, v in _env().items() if k not in ("PYTHONPATH", "PULSE_NETGUARD")}
        online = _run([*pip, SETUPTOOLS], cwd=cwd, env=registry, timeout=300)
        assert online.returncode == 0, f"pip install {SETUPTOOLS} failed:\n{online.stderr}"
    assert _setuptools_version(python, cwd) >= MIN_SETUPTOOLS


def _bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / name


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (seeing this interpreter's packages, so nothing is downloaded unless the
    setuptools here is too old to build a wheel) with the project installed the way a user
    does it, from a copy of the source tree."""
    work = tmp_path_factory.mktemp("packaging")
    source = work / "src"
    source.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=IGNORED)
        else:
            shutil.copy2(path, source / name)
    target = work / "venv"
    # Not --system-site-packages: inside a venv that would be the base interpreter's packages
    # (perhaps none of the project's dependencies, and an old setuptools). The venv sees what
    # this interpreter sees instead, after its own site-packages.
    made = _run([sys.executable, "-m", "venv", "--without-pip", target], cwd=work)
    assert made.returncode == 0, made.stderr
    code = "import sysconfig; print(sysconfig.get_path('purelib'))"
    purelib = Path(_run([_bin(target, "python"), "-c", code], cwd=work).stdout.strip())
    assert purelib.is_relative_to(target), purelib
    (purelib / "_pulse_outer_env.pth").write_text("\n".join(_outer_site_dirs()) + "\n")
    _ensure_setuptools(_bin(target, "python"), work)
    installed = _run(
        [_bin(target, "python"), "-m", "pip", "install", "--no-deps", "--no-build-isolation",
         "--no-index", "--disable-pip-version-check", "--quiet", source],
        cwd=work,
    )
    assert installed.returncode == 0, f"pip install . failed\n{installed.stdout}{installed.stderr}"
    return target


@pytest.fixture
def loopback_config(tmp_path: Path, httpserver) -> Path:
    """A config whose only platform and control are a local HTTP server."""
    httpserver.expect_request("/a").respond_with_data("hello")
    return write_config(
        tmp_path / "monitors.toml",
        data=tmp_path / "data",
        interval="1s",
        timeout="3s",
        controls=[f"tcp://127.0.0.1:{httpserver.port}"],
        platforms=[http_platform("a", "A", {"web": httpserver.url_for("/a")})],
    )


def test_the_install_provides_the_monitors_command(venv: Path, tmp_path: Path) -> None:
    out = _run([_bin(venv, "monitors"), "--help"], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    for command in ("run", "check", "status", "incidents", "summary", "export", "report"):
        assert command in out.stdout


def test_the_command_runs_the_installed_copy_not_the_checkout(venv: Path, tmp_path: Path) -> None:
    code = "import monitors.config, sys; print(monitors.config.__file__)"
    out = _run([_bin(venv, "python"), "-c", code], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()).is_relative_to(venv)
    assert not Path(out.stdout.strip()).is_relative_to(ROOT)


def test_the_install_carries_every_file_of_the_package(venv: Path, tmp_path: Path) -> None:
    code = "import sysconfig; print(sysconfig.get_path('purelib'))"
    purelib = Path(_run([_bin(venv, "python"), "-c", code], cwd=tmp_path).stdout.strip())
    installed = purelib / "monitors"
    assert installed.is_dir()

    def files(top: Path) -> set[str]:
        return {
            str(p.relative_to(top)) for p in top.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        }

    # data files (templates, JSON ...) are only installed when declared: this catches one
    # added to monitors/ without a package-data entry in pyproject.toml
    assert files(installed) == files(venv.parent / "src" / "monitors")


def test_the_installed_command_checks_a_local_target(
    venv: Path, loopback_config: Path, tmp_path: Path
) -> None:
    out = _run([_bin(venv, "monitors"), "check", "--config", loopback_config, "--json"],
               cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    samples = json.loads(out.stdout)
    assert [(s["platform"], s["check"], s["status"], s["http_status"]) for s in samples] == [
        ("a", "web", "up", 200)
    ]


def test_status_of_a_data_folder_no_sampler_used_exits_1(venv: Path, tmp_path: Path) -> None:
    out = _run([_bin(venv, "monitors"), "status", "--data", tmp_path / "empty"], cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    assert "no sampler has run" in out.stdout


def test_a_bad_config_exits_2_naming_the_field(venv: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[monitor]\ninterval = "soon"\n')
    out = _run([_bin(venv, "monitors"), "check", "--config", bad], cwd=tmp_path)
    assert out.returncode == 2
    assert "interval" in out.stderr and "Traceback" not in out.stderr


def test_the_installed_sampler_runs_reports_healthy_and_stops_cleanly_on_sigterm(
    venv: Path, loopback_config: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    sampler = subprocess.Popen(
        [str(_bin(venv, "monitors")), "run", "--config", str(loopback_config)],
        cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert wait_for(
            lambda: (heartbeat.read_heartbeat(str(data), "test") or {}).get("rounds", 0) >= 2, 60
        ), sampler.stderr.read() if sampler.poll() is not None else "no rounds"
        status = _run([_bin(venv, "monitors"), "status", "--config", loopback_config, "--json"],
                      cwd=tmp_path)
        assert status.returncode == 0, status.stdout + status.stderr
        assert json.loads(status.stdout)["healthy"] is True
    finally:
        sampler.send_signal(signal.SIGTERM)
        try:
            _, stderr = sampler.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            sampler.kill()
            raise
    assert sampler.returncode == 0, stderr
    stored = history.read_samples(str(data), utcnow() - timedelta(hours=1), utcnow())
    assert len(stored) >= 2 and set(stored["status"]) == {"up"}
    stopped = _run([_bin(venv, "monitors"), "status", "--config", loopback_config], cwd=tmp_path)
    assert stopped.returncode == 1 and "stopped" in stopped.stdout

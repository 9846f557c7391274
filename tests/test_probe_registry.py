"""One registry of probe kinds: adding a kind is one module and its line in the registry, and
the config, the runner, `check` and the docs generator all pick it up (a throw-away kind in
a copy of the package proves it)."""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from monitors import probes

ECHO = '''"""A throw-away check kind (tests only): answers up with its configured text."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from monitors.probes.base import CheckBase, ProbeContext, ProbeResult


class EchoCheck(CheckBase):
    """Answer with a text, measuring nothing."""

    kind: Literal["echo"] = Field("echo", description="Check kind; selects the probe.")
    text: str = Field("hello", description="What the check answers.")


async def probe(check: EchoCheck, ctx: ProbeContext) -> ProbeResult:
    """Up, with the text as its detail."""
    return ProbeResult("up", 0.1, detail=check.text)
'''
CONFIG = '''[monitor]
interval = "1s"
timeout = "1s"
vantage = "test"
default_platforms = false
controls = []

[[platforms]]
id = "local"
name = "Local"
provider = "Loopback"
  [[platforms.checks]]
  id = "web"
  kind = "{kind}"
  text = "echoed"
'''


@pytest.fixture(scope="module")
def with_echo(tmp_path_factory) -> Path:
    """A copy of the project with the echo kind added: its module and its registry line."""
    root = tmp_path_factory.mktemp("kind")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "monitors", root / "monitors", ignore=ignore)
    shutil.copytree(ROOT / "scripts", root / "scripts", ignore=ignore)
    (root / "docs").mkdir()
    (root / "monitors" / "probes" / "echo.py").write_text(ECHO)
    registry = root / "monitors" / "probes" / "__init__.py"
    text = registry.read_text()
    entry = '    Kind("tcp", TcpCheck, tcp.probe, "Open a TCP connection."),\n'
    assert entry in text
    text = text.replace(entry, entry + '    Kind("echo", echo.EchoCheck, echo.probe, '
                        '"Answer with a text (tests).", explains=False),\n')
    text = text.replace("from monitors.probes import dns,",
                        "from monitors.probes import dns, echo,")
    registry.write_text(text)
    return root


def _run(root: Path, *argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ["PYTHONPATH"]])}
    return subprocess.run([sys.executable, *argv], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120)


def _touched(root: Path) -> list[str]:
    """Files of the copy that differ from the project's (or are new)."""
    changed = []
    for path in sorted((root / "monitors").rglob("*.py")):
        rel = path.relative_to(root)
        if not (ROOT / rel).exists() or not filecmp.cmp(path, ROOT / rel, shallow=False):
            changed.append(str(rel))
    return changed


def test_a_new_kind_is_one_module_and_one_registry_entry(with_echo):
    assert _touched(with_echo) == ["monitors/probes/__init__.py", "monitors/probes/echo.py"]


def test_the_config_the_runner_and_check_take_the_new_kind(with_echo, tmp_path):
    config = tmp_path / "echo.toml"
    config.write_text(CONFIG.format(kind="echo"))
    done = _run(with_echo, "-m", "monitors", "check", "--json", "--config", str(config))
    assert done.returncode == 0, done.stderr
    (sample,) = json.loads(done.stdout)
    assert (sample["kind"], sample["status"], sample["detail"]) == ("echo", "up", "echoed")


def test_the_config_error_lists_the_new_kind(with_echo, tmp_path):
    config = tmp_path / "bogus.toml"
    config.write_text(CONFIG.format(kind="bogus"))
    done = _run(with_echo, "-m", "monitors", "check", "--config", str(config))
    assert done.returncode == 2
    assert "use one of http, dns, tcp, echo, tls, statuspage" in done.stderr


def test_the_docs_generator_documents_the_new_kind(with_echo):
    done = _run(with_echo, "scripts/gen_config_docs.py")
    assert done.returncode == 0, done.stderr
    page = (with_echo / "docs" / "configuration.md").read_text()
    assert '[[platforms.checks]] kind = "echo"' in page and "What the check answers." in page


def test_capabilities_come_from_the_registry():
    assert probes.OFFICIAL_KINDS == ("statuspage",)
    assert {"http", "statuspage"} == probes.HTTP_KINDS
    assert set(probes.INFRASTRUCTURE_KINDS) == {"dns", "tls"}
    assert set(probes.PROBES) == set(probes.KINDS)

"""The architecture is checked, not hoped for: the import-linter contracts hold, a wrong arrow
breaks them, no module is over 400 lines, and no import hides inside a function unless it
says why it must be lazy."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

MAX_LINES = 400


def _lint(root: Path) -> subprocess.CompletedProcess:
    """lint-imports on the package found under root (not the one being tested from)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ["PYTHONPATH"]])}
    code = "import sys; from importlinter.cli import lint_imports_command as run; sys.exit(run())"
    return subprocess.run([sys.executable, "-c", code, "--no-cache"], cwd=root,
                          capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    """The package and its contracts, copied so a test can break them."""
    root = tmp_path_factory.mktemp("arch")
    shutil.copytree(ROOT / "monitors", root / "monitors",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", root / ".importlinter")
    return root


def test_the_contracts_hold(copy):
    done = _lint(copy)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(("module", "line", "broken"), [
    ("probes/base.py", "from monitors.output import charts", "Layers"),
    ("sampling/runner.py", "import pandas", "pandas"),
    ("analysis/impact.py", "import streamlit", "streamlit"),
    ("analysis/coverage.py", "from monitors.analysis import uptime", "circles"),
])
def test_a_wrong_import_breaks_a_contract(copy, tmp_path, module, line, broken):
    bad = tmp_path / "bad"
    shutil.copytree(copy, bad)
    path = bad / "monitors" / module
    path.write_text(path.read_text() + f"\n{line}  # a wrong arrow\n")
    done = _lint(bad)
    assert done.returncode != 0
    assert broken in done.stdout.split("Broken contracts", 1)[-1]


def test_no_module_is_over_400_lines():
    paths = [*(ROOT / "monitors").rglob("*.py"), *(ROOT / "dashboard_pages").rglob("*.py"),
             ROOT / "dashboard.py"]
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in paths}
    assert not {p: n for p, n in sizes.items() if n > MAX_LINES}


def test_imports_inside_functions_say_why_they_are_lazy():
    hidden = []
    for path in sorted((ROOT / "monitors").rglob("*.py")):
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    said = " ".join(lines[inner.lineno - 1:inner.end_lineno])
                    if "# lazy:" not in said:
                        hidden.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert not hidden

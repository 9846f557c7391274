"""Shared test set-up: the loopback-only network guard and a loopback default config."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
FIXTURES = TESTS / "fixtures"  # recorded payloads and traces, copied into the project
LOOPBACK_CONFIG = TESTS / "data" / "loopback.toml"

sys.path.insert(0, str(TESTS / "netguard"))
import netguard  # noqa: E402

# One log per test session (concurrent runs must not see each other's lines).
_GUARD_LOG = Path(tempfile.mkstemp(prefix="pulse-netguard-", suffix=".log")[1])


def pytest_configure(config: pytest.Config) -> None:
    """Install the guard here and in every child Python process; default to loopback config."""
    _GUARD_LOG.write_text("")
    os.environ["PULSE_NETGUARD"] = "1"
    os.environ["PULSE_NETGUARD_LOG"] = str(_GUARD_LOG)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(TESTS / "netguard"), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    os.environ["MONITORS_CONFIG"] = str(LOOPBACK_CONFIG)
    os.environ.pop("MONITORS_DATA", None)
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        os.environ.pop(proxy, None)
    os.environ["NO_PROXY"] = "*"
    netguard.install()


@pytest.fixture(autouse=True)
def _no_traffic_beyond_loopback():
    """Fail the test loudly if anything (here or in a child process) tried to leave loopback."""
    before = _GUARD_LOG.stat().st_size if _GUARD_LOG.exists() else 0
    yield
    with _GUARD_LOG.open(encoding="utf-8") as handle:
        handle.seek(before)
        violations = handle.read()
    if violations:
        pytest.fail("traffic beyond loopback was attempted:\n" + violations[:4000], pytrace=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty history folder."""
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def target():
    """A local HTTP target that answers 200 (support_sampler.Target), closed afterwards."""
    from support_sampler import Target

    server = Target()
    yield server
    server.close()


@pytest.fixture(scope="module")
def chrome():
    """A headless Debian Chromium driven by Playwright, one per test module."""
    import support_browser as browser  # lazy: beside the browser tests' other helpers
    from playwright import sync_api  # lazy: only the browser tests need Playwright

    with sync_api.sync_playwright() as pw:
        instance = browser.launch(pw)
        yield instance
        instance.close()


@pytest.fixture
def page(chrome):
    """A fresh 1440x1000 tab (downloads allowed) in the module's Chromium."""
    context = chrome.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(90_000)
    yield tab
    context.close()

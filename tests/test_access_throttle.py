"""Wrong-password throttling of the dashboard gate: per client, across clients, before the hash.

The limiter is tested on its own with an injected clock, then through the real gate under
Streamlit's AppTest (the clock is injected there too: nothing here sleeps).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest
import support_dashboard as story
from conftest import ROOT
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from monitors import access

FAST = 1_000  # PBKDF2 iterations in tests
PASSWORD = "open sesame"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def stored() -> str:
    return access.hash_password(PASSWORD, iterations=FAST)


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """Every password the expensive check really ran on."""
    seen: list[str] = []
    real = access.verify_password

    def counting(password: str, stored_hash: str) -> bool:
        seen.append(password)
        return real(password, stored_hash)

    monkeypatch.setattr(access, "verify_password", counting)
    return seen


def test_five_wrong_passwords_are_free_then_the_lockout_doubles_up_to_five_minutes(
        clock, stored):
    throttle = access.Throttle(clock=clock)
    waits = []
    for _ in range(4):
        assert access.sign_in("wrong", stored, "10.0.0.7", throttle).message == "Wrong password."
    for _ in range(12):
        attempt = access.sign_in("wrong", stored, "10.0.0.7", throttle)
        assert not attempt.ok and "Too many wrong passwords" in attempt.message
        waits.append(throttle.wait_s("10.0.0.7"))
        clock.advance(waits[-1])
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]


def test_during_a_lockout_even_the_right_password_is_refused_without_hashing(
        clock, stored, hashes):
    throttle = access.Throttle(clock=clock)
    for _ in range(5):
        access.sign_in("wrong", stored, "10.0.0.7", throttle)
    clock.advance(1.0)
    access.sign_in("wrong", stored, "10.0.0.7", throttle)
    assert len(hashes) == 6 and throttle.wait_s("10.0.0.7") == 2
    clock.advance(1.5)
    for _ in range(50):  # a guesser hammering during the lockout costs us no hashing
        refused = access.sign_in(PASSWORD, stored, "10.0.0.7", throttle)
        assert not refused.ok and refused.wait_s == pytest.approx(0.5)
    assert refused.message == "Too many wrong passwords. Try again in 1s."
    assert len(hashes) == 6
    clock.advance(0.5)
    assert access.sign_in(PASSWORD, stored, "10.0.0.7", throttle).ok
    assert len(hashes) == 7


def test_a_right_password_clears_the_count_and_so_does_a_quiet_quarter_of_an_hour(
        clock, stored):
    throttle = access.Throttle(clock=clock)
    for _ in range(4):
        access.sign_in("wrong", stored, "a", throttle)
        access.sign_in("wrong", stored, "b", throttle)
    assert access.sign_in(PASSWORD, stored, "a", throttle).ok
    clock.advance(15 * 60)
    for client in ("a", "b"):  # four more each: still free
        for _ in range(4):
            assert access.sign_in("wrong", stored, client, throttle).message == "Wrong password."
    assert throttle.wait_s("a") == throttle.wait_s("b") == 0


def test_clients_are_limited_separately_and_all_together(clock, stored, hashes):
    throttle = access.Throttle(clock=clock)
    for _ in range(5):
        access.sign_in("wrong", stored, "attacker", throttle)
    assert throttle.wait_s("attacker") == 1 and throttle.wait_s("colleague") == 0
    assert access.sign_in(PASSWORD, stored, "colleague", throttle).ok
    # many sessions or addresses: 20 wrong passwords per 10 minutes from everybody together
    for n in range(15):
        access.sign_in("wrong", stored, f"session-{n}", throttle)
    assert len(hashes) == 21
    refused = access.sign_in(PASSWORD, stored, "newcomer", throttle)
    assert not refused.ok and refused.wait_s == 600 and len(hashes) == 21
    clock.advance(600)
    assert access.sign_in(PASSWORD, stored, "newcomer", throttle).ok


def test_parallel_guesses_from_one_client_cannot_slip_past_the_limit(hashes):
    throttle = access.Throttle()  # the real clock: a slow hash keeps the guesses in flight
    slow = access.hash_password(PASSWORD, iterations=100_000)
    start = threading.Barrier(12)
    results: list[access.Attempt] = []

    def guess(n: int) -> None:
        start.wait()
        results.append(access.sign_in(f"guess-{n}", slow, "10.0.0.9", throttle))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 12 and not any(r.ok for r in results)
    assert len(hashes) <= 5  # the rest were turned away before the hash
    assert sum(r.wait_s > 0 for r in results) >= 7


def test_wrong_passwords_are_logged_as_warnings_without_the_password(clock, stored, caplog):
    caplog.set_level(logging.WARNING, logger="monitors.access")
    throttle = access.Throttle(clock=clock)
    for n in range(7):
        access.sign_in(f"hunter{n}-secret", stored, "192.0.2.44", throttle)
    records = [r for r in caplog.records if r.name == "monitors.access"]
    assert all(r.levelno == logging.WARNING for r in records)
    text = "\n".join(r.getMessage() for r in records)
    assert text.count("wrong password from client 192.0.2.44") == 5
    assert "locked out for 1s" in text
    assert "192.0.2.44 locked out for" in text and "refused without checking" in text
    assert "secret" not in text and "hunter" not in text


def test_one_throttle_serves_the_whole_process():
    assert isinstance(access.THROTTLE, access.Throttle)
    assert access.THROTTLE.free == 5 and access.THROTTLE.cap_s == 300


# ------------------------------------------------------------------ the gate in the dashboard
@pytest.fixture
def gate(monkeypatch, data_dir, clock) -> Iterator[Clock]:
    """The dashboard served 'beyond loopback' (the option only) with a password and a fresh
    process-wide throttle on the test's clock."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MONITORS_CONFIG", str(story.CONFIG))
    monkeypatch.setenv("MONITORS_DATA", str(data_dir))
    monkeypatch.setenv("PULSE_NO_SAMPLER", "1")
    monkeypatch.delenv(access.ALLOW_ENV, raising=False)
    monkeypatch.setattr(access, "THROTTLE", access.Throttle(clock=clock))
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")
    yield clock
    st_config.set_option("server.address", before)


def _sign_in(at: AppTest, password: str) -> AppTest:
    at.text_input(key="gate_password").input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception[0].stack_trace if at.exception else ""
    return at


def _errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


def test_the_gate_locks_out_after_five_wrong_passwords_and_lets_in_after_the_wait(gate):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.secrets["auth"] = {"password_hash": access.hash_password(PASSWORD, iterations=FAST)}
    at.run()
    started = time.monotonic()
    for _ in range(4):
        assert _errors(_sign_in(at, "wrong")) == "Wrong password."
    assert "Too many wrong passwords: try again in 1s" in _errors(_sign_in(at, "wrong"))
    refused = _errors(_sign_in(at, PASSWORD))  # the right one, but during the lockout
    assert refused == "Too many wrong passwords. Try again in 1s."
    assert "pulse_authed" not in at.session_state
    assert 'class="pp-tile' not in "\n".join(m.value for m in at.markdown)
    gate.advance(1.0)
    _sign_in(at, PASSWORD)
    assert at.session_state["pulse_authed"] is True
    assert not at.error
    assert "\n".join(m.value for m in at.markdown).count('class="pp-tile') == 7
    assert time.monotonic() - started < 60  # no per-guess sleeping in the gate any more

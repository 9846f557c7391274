"""Who may see the dashboard: password hashes, wrong-password throttling, OIDC detection and
the loopback rule."""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import ipaddress
import logging
import math
import os
import secrets
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

from monitors.timeutil import format_duration

Mode = Literal["oidc", "password", "none"]
Decision = Literal["open", "oidc", "password", "refuse"]
ALLOW_ENV = "PULSE_ALLOW_UNAUTHENTICATED"
PBKDF2_ITERATIONS = 600_000  # OWASP 2023 figure for PBKDF2-HMAC-SHA256
_OIDC_KEYS = ("client_id", "server_metadata_url")
log = logging.getLogger("monitors.access")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, salt: bytes | None = None,
                  iterations: int = PBKDF2_ITERATIONS) -> str:
    """A salted PBKDF2-SHA256 hash to paste into secrets.toml: 'pbkdf2_sha256$N$salt$hash'."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when the password matches a pbkdf2_sha256$…, scrypt$… or bare SHA-256 hex hash."""
    stored = (stored or "").strip()
    try:
        if stored.startswith("pbkdf2_sha256$"):
            _, rounds, salt, digest = stored.split("$")
            actual = hashlib.pbkdf2_hmac("sha256", password.encode(), _unb64(salt), int(rounds))
            return hmac.compare_digest(actual, _unb64(digest))
        if stored.startswith("scrypt$"):
            _, n, r, p, salt, digest = stored.split("$")
            expected = _unb64(digest)
            actual = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=int(n), r=int(r),
                                    p=int(p), dklen=len(expected), maxmem=256 * 1024 * 1024)
            return hmac.compare_digest(actual, expected)
        if len(stored) == 64 and all(c in "0123456789abcdefABCDEF" for c in stored):
            actual = hashlib.sha256(password.encode()).hexdigest()
            return hmac.compare_digest(actual, stored.lower())
    except (ValueError, TypeError):
        return False
    return False


@dataclass(slots=True)
class _Tries:
    failures: int = 0  # wrong passwords in a row (forgotten after `forget_s` without one)
    pending: int = 0  # checks in progress (counted before the hash, so parallel ones wait)
    locked_until: float = 0.0
    last: float = 0.0  # clock of the latest failure
    warned: bool = False  # the refusals of this lockout were logged


@dataclass(frozen=True, slots=True)
class Attempt:
    """The gate's answer to one sign-in: let in, or the message to show."""

    ok: bool
    message: str = ""
    wait_s: float = 0.0  # > 0: refused without checking the password (locked out)


class Throttle:
    """Wrong-password limits per client and across all clients (process-wide, thread-safe).

    Per client: `free` wrong passwords in a row cost nothing; each one after that locks the
    client out for `base_s`, doubling up to `cap_s` (1 s, 2 s, 4 s ... 5 min). A right password
    clears the count; so do `forget_s` without a wrong one.
    Across all clients: at most `global_free` wrong passwords per `global_window_s`; beyond
    that every sign-in waits until the oldest one leaves the window, so a guesser with many
    sessions or addresses is held to that rate as well.
    While locked out an attempt is refused before the (deliberately expensive) hash is
    computed; checks in progress count, so parallel attempts cannot slip past the limit.
    """

    def __init__(self, *, free: int = 5, base_s: float = 1.0, cap_s: float = 300.0,
                 forget_s: float = 900.0, global_free: int = 20, global_window_s: float = 600.0,
                 max_clients: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.base_s, self.cap_s, self.forget_s = free, base_s, cap_s, forget_s
        self.global_free, self.global_window_s = global_free, global_window_s
        self.max_clients, self.clock = max_clients, clock
        self._clients: dict[str, _Tries] = {}
        self._recent: deque[float] = deque()  # clocks of recent wrong passwords, all clients
        self._pending = 0  # checks in progress, all clients
        self._global_warned = 0.0  # the global lockout until which refusals were logged
        self._lock = threading.Lock()

    # --- state (call with the lock held) --------------------------------------------------
    def _client(self, client: str, now: float) -> _Tries:
        tries = self._clients.get(client)
        if tries is None:
            if len(self._clients) >= self.max_clients:
                self._prune(now)
            return _Tries()
        if tries.failures and not tries.pending and now >= tries.locked_until \
                and now - tries.last >= self.forget_s:
            tries.failures, tries.warned = 0, False
        return tries

    def _prune(self, now: float) -> None:
        stale = [k for k, t in self._clients.items()
                 if not t.pending and now >= t.locked_until and now - t.last >= self.forget_s]
        for key in stale:
            del self._clients[key]
        while len(self._clients) >= self.max_clients:  # drop the oldest failures first
            del self._clients[min(self._clients, key=lambda k: self._clients[k].last)]

    def _global_until(self, now: float) -> float:
        while self._recent and now - self._recent[0] >= self.global_window_s:
            self._recent.popleft()
        if len(self._recent) < self.global_free:
            return 0.0
        return self._recent[-self.global_free] + self.global_window_s

    def _delay(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return min(self.cap_s, self.base_s * 2.0 ** min(failures - self.free, 60))

    # --- API ------------------------------------------------------------------------------
    def wait_s(self, client: str) -> float:
        """Seconds before this client may try again (0: now)."""
        with self._lock:
            now = self.clock()
            until = max(self._global_until(now), self._client(client, now).locked_until)
            return max(0.0, until - now)

    def admit(self, client: str) -> float:
        """0 when the client may have its password checked now (call `settle` after), else the
        seconds to wait; nothing is hashed for a refused attempt."""
        with self._lock:
            now = self.clock()
            mine = self._client(client, now)
            global_until = self._global_until(now)
            wait = max(global_until, mine.locked_until) - now
            if wait <= 0 and (
                (mine.pending and mine.failures + mine.pending >= self.free)
                or (self._pending and len(self._recent) + self._pending >= self.global_free)
            ):
                wait = self.base_s  # a check in progress may lock this out: wait for it
            if wait > 0:
                self._log_refusal(client, mine, global_until, now)
                return wait
            self._clients[client] = mine
            mine.pending += 1
            self._pending += 1
            return 0.0

    def settle(self, client: str, ok: bool) -> float:
        """Record the result of an admitted check; returns the lockout it started (0: none)."""
        with self._lock:
            now = self.clock()
            mine = self._clients.setdefault(client, _Tries())
            mine.pending, self._pending = max(0, mine.pending - 1), max(0, self._pending - 1)
            if ok:
                del self._clients[client]
                return 0.0
            mine.failures, mine.last = mine.failures + 1, now
            self._recent.append(now)
            delay = self._delay(mine.failures)
            if delay:
                mine.locked_until, mine.warned = max(mine.locked_until, now + delay), False
            lock = max(mine.locked_until, self._global_until(now)) - now
            log.warning("dashboard sign-in: wrong password from client %s (%d in a row; %d from "
                        "all clients in %s)%s", client, mine.failures, len(self._recent),
                        format_duration(self.global_window_s),
                        f"; locked out for {format_duration(lock)}" if lock > 0 else "")
            return max(0.0, lock)

    def _log_refusal(self, client: str, mine: _Tries, global_until: float, now: float) -> None:
        if mine.locked_until > now and not mine.warned:
            mine.warned = True
            log.warning("dashboard sign-in: client %s locked out for %s more after %d wrong "
                        "passwords; refused without checking", client,
                        format_duration(mine.locked_until - now), mine.failures)
        if global_until > now and global_until != self._global_warned:
            self._global_warned = global_until
            log.warning("dashboard sign-in: %d wrong passwords from all clients in %s; every "
                        "sign-in refused for %s", len(self._recent),
                        format_duration(self.global_window_s), format_duration(global_until - now))

    def reset(self) -> None:
        """Forget every count (tests; a restart does the same)."""
        with self._lock:
            self._clients.clear()
            self._recent.clear()
            self._pending, self._global_warned = 0, 0.0


THROTTLE = Throttle()


def client_id(ip_address: object, session: MutableMapping[str, Any]) -> str:
    """Whom the throttle counts a sign-in against: the connection's address when known, else
    a random id kept in the browser session (limited all together by the global limit)."""
    if isinstance(ip_address, str) and ip_address:
        return ip_address
    return str(session.setdefault("pulse_gate_client", f"session-{secrets.token_hex(6)}"))


def _wait_text(seconds: float) -> str:
    return format_duration(max(1, math.ceil(seconds)))  # never "0s"


def sign_in(password: str, stored: str, client: str,
            throttle: Throttle | None = None) -> Attempt:
    """Check a dashboard password under the throttle; the hash only runs when not locked out."""
    throttle = throttle or THROTTLE
    wait = throttle.admit(client)
    if wait > 0:
        return Attempt(False, f"Too many wrong passwords. Try again in {_wait_text(wait)}.", wait)
    ok = False
    try:
        ok = verify_password(password, stored)
    finally:
        locked = throttle.settle(client, ok)
    if ok:
        return Attempt(True)
    if locked:
        return Attempt(False, "Wrong password. Too many wrong passwords: try again in "
                              f"{_wait_text(locked)}.")
    return Attempt(False, "Wrong password.")


def is_loopback(address: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'; False for '', 0.0.0.0, :: (every interface)."""
    host = (address or "").strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name or an empty address may listen on a public interface


def _section(secrets_: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    try:
        value = secrets_.get(name) if hasattr(secrets_, "get") else None
    except Exception:  # st.secrets raises when secrets.toml is absent or broken
        return {}
    return value if isinstance(value, Mapping) else {}


def oidc_providers(secrets_: Mapping[str, Any]) -> list[str | None]:
    """Providers configured for st.login: [None] for a flat [auth], names for [auth.NAME]."""
    auth = _section(secrets_, "auth")
    if all(k in auth for k in _OIDC_KEYS):
        return [None]
    return [name for name, value in auth.items()
            if isinstance(value, Mapping) and all(k in value for k in _OIDC_KEYS)]


def password_hash(secrets_: Mapping[str, Any]) -> str | None:
    """The configured password hash ([auth] password_hash or password_sha256), if any."""
    auth = _section(secrets_, "auth")
    value = auth.get("password_hash") or auth.get("password_sha256")
    return str(value) if value else None


def auth_mode(secrets_: Mapping[str, Any]) -> Mode:
    """Which gate the secrets configure: OIDC (st.login) wins over a password."""
    if oidc_providers(secrets_):
        return "oidc"
    return "password" if password_hash(secrets_) else "none"


def decide(address: str | None, mode: Mode, env: Mapping[str, str] | None = None) -> Decision:
    """What the dashboard does: serve openly on loopback, ask for login, or refuse.

    Beyond loopback without OIDC or a password it refuses unless PULSE_ALLOW_UNAUTHENTICATED=1.
    """
    if mode != "none":
        return mode
    env = os.environ if env is None else env
    if is_loopback(address) or env.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes"):
        return "open"
    return "refuse"


REFUSAL = (
    "This dashboard shows business figures and is served beyond this machine "
    "(server.address = {address!r}) without a login. Add a password hash or an OIDC "
    "provider to .streamlit/secrets.toml (see README, 'Serving a team'), bind to 127.0.0.1, "
    "or set PULSE_ALLOW_UNAUTHENTICATED=1 if another layer (VPN, proxy) already guards it."
)


def refusal(address: str | None) -> str:
    """The message shown instead of the dashboard when it refuses to serve."""
    return REFUSAL.format(address=address or "")


def main(argv: list[str] | None = None) -> int:
    """`python -m monitors.access hash`: print a PBKDF2 hash line for .streamlit/secrets.toml."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] != ["hash"]:
        print("usage: python -m monitors.access hash", file=sys.stderr)
        return 2
    first = getpass.getpass("Dashboard password: ")
    if len(first) < 8 or first != getpass.getpass("Again: "):
        print("error: passwords differ or are shorter than 8 characters", file=sys.stderr)
        return 2
    print("[auth]")
    print(f'password_hash = "{hash_password(first)}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Who may see the dashboard: password hashes, OIDC detection and the loopback rule (pure)."""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import ipaddress
import os
import secrets
import sys
from collections.abc import Mapping
from typing import Any, Literal

Mode = Literal["oidc", "password", "none"]
Decision = Literal["open", "oidc", "password", "refuse"]
ALLOW_ENV = "PULSE_ALLOW_UNAUTHENTICATED"
PBKDF2_ITERATIONS = 600_000  # OWASP 2023 figure for PBKDF2-HMAC-SHA256
_OIDC_KEYS = ("client_id", "server_metadata_url")


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

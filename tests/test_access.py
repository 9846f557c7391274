"""Dashboard access: password hashes, OIDC detection, and refusing to serve openly."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest
from conftest import ROOT

from monitors import access

FAST = 1_000  # iterations in tests; the default is OWASP's 600 000


def test_a_hashed_password_verifies_and_a_wrong_one_does_not():
    stored = access.hash_password("correct horse", iterations=FAST)
    assert stored.startswith(f"pbkdf2_sha256${FAST}$")
    assert access.verify_password("correct horse", stored)
    assert not access.verify_password("correct horsf", stored)


def test_the_same_password_gets_a_different_salt_each_time():
    assert access.hash_password("pw", iterations=FAST) != access.hash_password(
        "pw", iterations=FAST)


def test_a_plain_sha256_hex_hash_is_accepted_for_simple_setups():
    stored = hashlib.sha256(b"letmein").hexdigest().upper()
    assert access.verify_password("letmein", stored)
    assert not access.verify_password("letmeout", stored)


def test_an_scrypt_hash_is_accepted():
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(b"s3cret", salt=salt, n=2**10, r=8, p=1, dklen=32)
    stored = f"scrypt${2**10}$8$1${access._b64(salt)}${access._b64(digest)}"
    assert access.verify_password("s3cret", stored)
    assert not access.verify_password("s3cret!", stored)


@pytest.mark.parametrize("stored", ["", "plain-text-password", "pbkdf2_sha256$x$y",
                                    "pbkdf2_sha256$abc$c2FsdA$ZGln", "scrypt$1$2$3$4$5",
                                    "a" * 63])
def test_a_malformed_hash_never_verifies(stored):
    assert access.verify_password("anything", stored) is False


@pytest.mark.parametrize(("address", "expected"), [
    ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("", False), (None, False), ("0.0.0.0", False), ("::", False),
    ("192.168.1.10", False), ("example.org", False),
])
def test_only_loopback_addresses_count_as_private(address, expected):
    assert access.is_loopback(address) is expected


def test_oidc_is_detected_in_a_flat_or_named_auth_section():
    flat = {"auth": {"client_id": "a", "client_secret": "b", "server_metadata_url": "https://x",
                     "redirect_uri": "http://localhost:8501/oauth2callback",
                     "cookie_secret": "c"}}
    named = {"auth": {"redirect_uri": "r", "cookie_secret": "c",
                      "google": {"client_id": "a", "server_metadata_url": "https://x"}}}
    assert access.oidc_providers(flat) == [None]
    assert access.oidc_providers(named) == ["google"]
    assert access.auth_mode(named) == "oidc"


def test_a_password_hash_in_auth_selects_the_password_gate():
    assert access.auth_mode({"auth": {"password_hash": "pbkdf2_sha256$1$a$b"}}) == "password"
    assert access.auth_mode({"auth": {"password_sha256": "ab" * 32}}) == "password"
    assert access.auth_mode({}) == "none"


def test_unreadable_secrets_mean_no_auth_configured():
    class Broken(dict):
        def get(self, key, default=None):
            raise FileNotFoundError("no secrets.toml")

    assert access.auth_mode(Broken()) == "none"


@pytest.mark.parametrize(("address", "mode", "env", "expected"), [
    ("127.0.0.1", "none", {}, "open"),
    ("0.0.0.0", "none", {}, "refuse"),
    ("", "none", {}, "refuse"),
    ("0.0.0.0", "none", {access.ALLOW_ENV: "1"}, "open"),
    ("0.0.0.0", "none", {access.ALLOW_ENV: "0"}, "refuse"),
    ("0.0.0.0", "password", {}, "password"),
    ("127.0.0.1", "oidc", {}, "oidc"),
])
def test_it_refuses_to_serve_beyond_loopback_without_a_login(address, mode, env, expected):
    assert access.decide(address, mode, env) == expected


def test_the_refusal_says_what_to_do():
    text = access.refusal("0.0.0.0")
    assert "'0.0.0.0'" in text and "secrets.toml" in text and access.ALLOW_ENV in text


def test_the_hash_command_prints_a_line_for_secrets_toml():
    # A new session has no controlling terminal, so getpass reads the answers from stdin.
    done = subprocess.run([sys.executable, "-m", "monitors.access", "hash"], cwd=ROOT,
                          input="long enough pw\nlong enough pw\n", capture_output=True,
                          text=True, timeout=60, start_new_session=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith('password_hash = "pbkdf2_sha256$')
    assert access.verify_password("long enough pw", line.split('"')[1])


def test_the_hash_command_refuses_short_or_mismatched_passwords():
    done = subprocess.run([sys.executable, "-m", "monitors.access", "hash"], cwd=ROOT,
                          input="short\nshort\n", capture_output=True, text=True, timeout=60,
                          start_new_session=True)
    assert done.returncode == 2 and "shorter than 8" in done.stderr

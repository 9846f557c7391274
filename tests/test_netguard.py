"""The loopback guard itself: it must block the outside world and let loopback through."""

import socket
import subprocess
import sys

import netguard
import pytest


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("localhost", True),
     ("1.1.1.1", False), ("10.0.0.1", False), ("192.168.1.1", False), ("example.com", False),
     ("::ffff:127.0.0.1", True), ("2606:4700::1111", False)],
)
def test_it_knows_what_loopback_is(host, expected):
    assert netguard.is_loopback(host) is expected


def test_it_blocks_a_connection_to_a_public_address(monkeypatch, tmp_path):
    log = tmp_path / "guard.log"
    monkeypatch.setenv("PULSE_NETGUARD_LOG", str(log))
    with socket.socket() as sock, pytest.raises(netguard.NetworkGuardError):
        sock.connect(("1.1.1.1", 443))
    assert "1.1.1.1" in log.read_text()


def test_it_blocks_a_system_dns_lookup(monkeypatch, tmp_path):
    monkeypatch.setenv("PULSE_NETGUARD_LOG", str(tmp_path / "guard.log"))
    with pytest.raises(netguard.NetworkGuardError):
        socket.getaddrinfo("www.instagram.com", 443)


def test_it_is_installed_in_child_python_processes(monkeypatch, tmp_path):
    log = tmp_path / "guard.log"
    monkeypatch.setenv("PULSE_NETGUARD_LOG", str(log))
    code = (
        "import socket\n"
        "try:\n socket.create_connection(('8.8.8.8', 53), timeout=1)\n"
        "except OSError as e:\n print(type(e).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "NetworkGuardError"
    assert "8.8.8.8" in log.read_text()


def test_loopback_connections_still_work():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=2):
            pass

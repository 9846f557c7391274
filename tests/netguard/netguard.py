"""Loopback-only network guard for tests: any connection or lookup beyond 127.0.0.0/8
or ::1 is refused and recorded, so a forgotten default can never reach out.

Installed in the pytest process by tests/conftest.py, and in every child Python process
through sitecustomize.py (PYTHONPATH) when PULSE_NETGUARD=1. Violations are appended to
$PULSE_NETGUARD_LOG; the test suite fails on any line there, even when the code under
test swallowed the error (probes never raise, by design).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import traceback

_installed = False


class NetworkGuardError(ConnectionRefusedError):
    """A connection or lookup to a non-loopback address was attempted in a test."""


def is_loopback(host: object) -> bool:
    """True for loopback IP literals, 'localhost' and *.localhost names."""
    if host is None:
        return True  # bind to any / unset
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    text = str(host).strip("[]").split("%")[0].lower()
    if text in ("localhost", "") or text.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified or (
        isinstance(address, ipaddress.IPv6Address)
        and address.ipv4_mapped is not None
        and address.ipv4_mapped.is_loopback
    )


def _record(what: str, target: object) -> None:
    message = f"netguard: blocked {what} to {target!r} (pid {os.getpid()})"
    path = os.environ.get("PULSE_NETGUARD_LOG")
    if path:
        stack = "".join(traceback.format_stack(limit=12)[:-2])
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(message + "\n" + stack + "\n")
    raise NetworkGuardError(message)


def _host_of(address: object) -> object:
    if isinstance(address, tuple) and address:
        return address[0]
    return None  # AF_UNIX paths and the like


def install() -> None:
    """Patch the socket module so only loopback traffic is possible in this process."""
    global _installed
    if _installed:
        return
    _installed = True
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_sendto = socket.socket.sendto
    real_getaddrinfo = socket.getaddrinfo
    real_gethostbyname = socket.gethostbyname

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(_host_of(address)):
            _record("connect", address)
        return real_connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(_host_of(address)):
            _record("connect", address)
        return real_connect_ex(self, address)

    def sendto(self, data, *args):
        address = args[-1] if args else None
        if self.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(_host_of(address)):
            _record("sendto", address)
        return real_sendto(self, data, *args)

    def getaddrinfo(host, *args, **kwargs):
        if not is_loopback(host):
            _record("DNS lookup", host)
        return real_getaddrinfo(host, *args, **kwargs)

    def gethostbyname(host):
        if not is_loopback(host):
            _record("DNS lookup", host)
        return real_gethostbyname(host)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.socket.sendto = sendto
    socket.getaddrinfo = getaddrinfo
    socket.gethostbyname = gethostbyname

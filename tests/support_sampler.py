"""Helpers for sampler tests: loopback configs and a scriptable local HTTP target."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import tomli_w

from monitors.config import load_settings


class LocalServer:
    """A threaded HTTP server on 127.0.0.1, port 0, serving `handler` until close()."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


class Target(LocalServer):
    """A local HTTP server whose paths answer with a status code set by the test."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.hits: dict[str, int] = {}
        self.hang = threading.Event()
        target = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def _answer(self) -> None:
                path = self.path.split("?")[0]
                target.hits[path] = target.hits.get(path, 0) + 1
                if target.hang.is_set():
                    time.sleep(30)
                code = target.codes.get(path, 200)
                body = f"ok {path}".encode()
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _answer

        super().__init__(Handler)

    def url(self, path: str) -> str:
        """Full URL of a path on this server."""
        return f"http://127.0.0.1:{self.port}{path}"


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(
    path: Path, *, platforms: list[dict], controls: list[str], data: Path, **monitor
) -> Path:
    """Write a loopback-only TOML config and return its path."""
    config = {
        "monitor": {
            "interval": "0.5s",
            "timeout": "0.4s",
            "vantage": "test",
            "default_platforms": False,
            "controls": controls,
            "data": str(data),
            "flush_every": "0.5s",
            **monitor,
        },
        "business": {"timezone": "Europe/London"},
        "platforms": platforms,
    }
    path.write_text(tomli_w.dumps(config))
    return path


def http_platform(pid: str, provider: str, urls: dict[str, str]) -> dict:
    """A platform whose checks are plain HTTP GETs expecting 200."""
    return {
        "id": pid,
        "name": pid.title(),
        "provider": provider,
        "checks": [{"id": cid, "kind": "http", "url": url} for cid, url in urls.items()],
    }


def settings_for(config: Path):
    """Load settings from a config file."""
    return load_settings(str(config))


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, step: float = 0.05) -> bool:
    """Poll until predicate() is true or the timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()

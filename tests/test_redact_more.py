"""Secret scrubbing, continued: the user part of a URL, and tokens with dots (JWTs, "abc.def")
are secrets too. In-process with caplog, then in the real log output of the CLI."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import ROOT
from support_alerts import make_settings

from monitors.alerts import redact_url, targets_from_settings
from monitors.alerts.channels import secret_parts

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJVadQssw5c"

# (url, fragments that must never appear in a log line)
CASES = [
    ("foo://S3CRETUSER@127.0.0.1/x", ["S3CRETUSER"]),  # apprise cannot parse it: logs it whole
    ("json://user:pa55.w0rd@127.0.0.1:9/hook", ["pa55.w0rd"]),  # a password with a dot
    ("json://127.0.0.1:9/hook?token=abc.def", ["abc.def"]),  # a query value with a dot
    (f"json://127.0.0.1:9/api/{JWT}", [JWT]),  # a JWT in the path
    (f"json://127.0.0.1:9/hook?auth={JWT}&method=POST", [JWT]),
    ("mailto://alice.smith:Tr0ub4dor.3@smtp.example.com", ["alice.smith", "Tr0ub4dor.3"]),
    ("pbul://o.Ab3xYz9QwErTyUiOp", ["o.Ab3xYz9QwErTyUiOp"]),  # a token where the host goes
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnl.azkcOXrIdevi7FQ", ["TIiajkdnl.azkcOXrIdevi7FQ"]),
]


@pytest.mark.parametrize(("url", "secrets"), CASES)
def test_every_component_of_the_url_is_registered_dotted_or_not(url, secrets):
    parts = secret_parts(url)
    assert set(secrets) <= parts
    assert not any(s in redact_url(url) for s in secrets)


@pytest.mark.parametrize(("url", "secrets"), CASES)
@pytest.mark.parametrize("logger", ["apprise", "urllib3.connectionpool", "monitors.alerts"])
def test_log_lines_never_carry_the_user_or_a_dotted_token(caplog, url, secrets, logger):
    targets_from_settings(make_settings([{"url": url}]))
    caplog.set_level(logging.DEBUG)
    logging.getLogger(logger).error("Unparseable URL %s", url)
    logging.getLogger(logger).debug("sent to %s as %s", url, " and ".join(secrets))
    assert caplog.records
    for secret in secrets:
        assert secret not in caplog.text


def test_host_names_in_the_log_stay_readable():
    url = "mailto://ops:hunter22.x@smtp.example.com"
    assert redact_url(url) == "mailto://smtp.example.com"
    assert "smtp.example.com" not in secret_parts(url)


# ------------------------------------------------------------------ the real CLI's log output
class _EchoingWebhook(BaseHTTPRequestHandler):
    """A webhook that fails and echoes the request line back (as some services do)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = f"no such hook: {self.path}".encode()
        self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingWebhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _config(tmp_path: Path, urls: list[str]) -> Path:
    alerts = "".join(f'\n[[alerts]]\nurl = "{url}"\n' for url in urls)
    path = tmp_path / "alerts.toml"
    path.write_text(
        '[monitor]\nvantage = "test"\ndefault_platforms = false\n'
        'controls = ["tcp://127.0.0.1:9"]\n'
        '[[platforms]]\nid = "local"\nname = "Local"\n'
        '  [[platforms.checks]]\n  id = "web"\n  kind = "tcp"\n  host = "127.0.0.1"\n'
        f'  port = 9\n{alerts}', encoding="utf-8")
    return path


@pytest.mark.parametrize("action", ["list", "test"])
def test_the_cli_log_output_carries_no_user_and_no_dotted_token(tmp_path, webhook, action):
    urls = [
        "foo://S3CRETUSER@127.0.0.1/x",
        f"json://hookuser:pa55.w0rd@127.0.0.1:{webhook}/hook?token=abc.def",
        f"json://127.0.0.1:{webhook}/api/{JWT}",
    ]
    config = _config(tmp_path, urls)
    done = subprocess.run(
        [sys.executable, "-m", "monitors", "alerts", action, "--config", str(config),
         "--data", str(tmp_path / "data"), "--log-level", "DEBUG"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    if action == "test":  # the sending libraries did log about these URLs
        assert "Unparseable URL" in output and "JSON POST URL" in output, output
        assert "of 3 target(s) reached" in done.stdout
    for secret in ["S3CRETUSER", "hookuser", "pa55.w0rd", "abc.def", JWT, JWT.split(".")[2]]:
        assert secret not in output, f"{secret!r} leaked:\n{output}"

"""Test helpers for alerts: a real SMTP receiver on loopback, settings and outage builders."""

from __future__ import annotations

import asyncio
import email
import threading
from datetime import UTC, datetime
from email.message import Message
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult

from monitors.analysis.impact import ImpactEstimate
from monitors.analysis.incidents import Outage
from monitors.config import Settings, merge_platforms, parse_config

SMTP_PASSWORD = "s3cr3t-Pa55word"
T0 = datetime(2026, 6, 1, 13, 5, tzinfo=UTC)  # a Monday, 14:05 in London

PLATFORMS = [
    ("facebook", "Facebook", "Meta"),
    ("instagram", "Instagram", "Meta"),
    ("whatsapp", "WhatsApp", "Meta"),
    ("slack", "Slack", "Salesforce"),
    ("linkedin", "LinkedIn", "Microsoft"),
    ("x", "X", "X Corp"),
    ("reddit", "Reddit", "Reddit"),
    ("discord", "Discord", "Discord"),
]


class SmtpReceiver:
    """An aiosmtpd server on 127.0.0.1 (port 0 first, the same port after a restart)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server: asyncio.base_events.Server | None = None

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        return AuthResult(success=auth_data.password == SMTP_PASSWORD.encode())

    def start(self) -> SmtpReceiver:
        """Listen (again) and read the port back."""

        async def serve() -> asyncio.base_events.Server:
            return await self._loop.create_server(
                lambda: SMTP(self, hostname="localhost", authenticator=self._authenticate,
                             auth_require_tls=False),
                "127.0.0.1", self.port,
            )

        self._server = asyncio.run_coroutine_threadsafe(serve(), self._loop).result(5)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        """Stop listening (connections are refused until start())."""
        if self._server is not None:
            server, self._server = self._server, None

            async def close() -> None:
                server.close()
                await server.wait_closed()

            asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)

    def close(self) -> None:
        """Stop and end the loop thread."""
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def url(self, to: str = "team@example.com") -> str:
        """An apprise URL for plain SMTP with login on this receiver."""
        return (f"mailto://alerts:{SMTP_PASSWORD}@127.0.0.1:{self.port}"
                f"?from=monitor@example.com&to={to}&mode=insecure")

    def texts(self) -> list[str]:
        """Subject + plain-text body of every message received."""
        out = []
        for message in self.messages:
            part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
            out.append(f"{message['Subject']}\n{part.get_payload(decode=True).decode()}")
        return out


def make_settings(
    alerts: list[dict[str, Any]] | None = None,
    *,
    vantage: str = "hq",
    data: str = "data",
    playbooks: dict[str, dict[str, Any]] | None = None,
    **monitor: Any,
) -> Settings:
    """Settings with loopback-only platforms (never probed here) and these alert targets."""
    platforms = []
    for platform_id, name, provider in PLATFORMS:
        entry: dict[str, Any] = {
            "id": platform_id, "name": name, "provider": provider,
            "checks": [{"id": "web", "kind": "tcp", "host": "127.0.0.1", "port": 9}],
        }
        if playbooks and platform_id in playbooks:
            entry["playbook"] = playbooks[platform_id]
        platforms.append(entry)
    raw = {
        "monitor": {"vantage": vantage, "default_platforms": False,
                    "controls": ["tcp://127.0.0.1:9"],
                    "dashboard_url": "http://127.0.0.1:8501/", **monitor},
        "business": {"currency": "USD", "timezone": "Europe/London"},
        "platforms": platforms,
        "alerts": alerts or [],
    }
    config = parse_config(raw, "test")
    return Settings(config=config, platforms=merge_platforms(config), data=data, source="test")


def make_outage(
    platform: str,
    start: datetime = T0,
    *,
    end: datetime | None = None,
    severity: str = "down",
    provider: str | None = None,
    **extra: Any,
) -> Outage:
    """An Outage as incidents.detect would report it."""
    providers = {p: prov for p, _, prov in PLATFORMS}
    return Outage(
        platform=platform,
        provider=provider if provider is not None else providers.get(platform, ""),
        start=start,
        end=end,
        detected_at=start,
        severity=severity,  # type: ignore[arg-type]
        cause=extra.pop("cause", "DNS / routing (network-level)"),
        **extra,
    )


def impact(amount: float) -> ImpactEstimate:
    """An impact estimate in USD."""
    return ImpactEstimate(amount=amount, currency="USD", revenue=amount)

"""Helpers for the customer-notice tests: a config with contacts, settings, notices from
sample patterns (support_samples) through the real detection and live board."""

from __future__ import annotations

import tomllib
from datetime import datetime

import pandas as pd
from support_samples import at

from monitors.alerts.notice import notice_now
from monitors.analysis import incidents
from monitors.config import Settings, merge_platforms, parse_config
from monitors.output.notice import CustomerNotice

CONTACTS = """
[notice]
title = "Northwind Bakery"
contacts = [
  {label = "email", value = "hello@northwind.example", href = "mailto:hello@northwind.example", channel = "email"},
  {label = "phone", value = "+44 20 7946 0000", href = "tel:+442079460000", channel = "phone"},
  {label = "WhatsApp", value = "+44 7700 900000", href = "https://wa.me/447700900000", channel = "wa"},
]
"""  # noqa: E501


def platform_toml(pid: str, name: str, provider: str, *, checks=("web", "media"),
                  extra: str = "") -> str:
    """A [[platforms]] table with TCP checks on loopback (never probed here)."""
    specs = ", ".join(f'{{id = "{c}", kind = "tcp", host = "127.0.0.1", port = 9}}'
                      for c in checks)
    return (f'\n[[platforms]]\nid = "{pid}"\nname = "{name}"\nprovider = "{provider}"\n'
            f"checks = [{specs}]\n{extra}\n")


BASE = """
[monitor]
interval = "60s"
confirm = 2
recover = 2
vantage = "hq"
default_platforms = false
controls = ["tcp://127.0.0.1:9"]

[business]
name = "Northwind Bakery"
currency = "GBP"
timezone = "Europe/London"
"""

# The scripted outage of the golden files: Instagram down, WhatsApp slow, the rest fine.
OUTAGE_CONFIG = BASE + CONTACTS + "".join([
    platform_toml("insta", "Instagram", "Meta", extra=(
        'notice = {text = "Our Instagram messages are affected right now"}\n'
        'playbook = {fallbacks = ["email", "phone", "whatsapp"]}')),
    platform_toml("wa", "WhatsApp", "Meta"),
    platform_toml("linkedin", "LinkedIn", "Microsoft"),
    platform_toml("reddit", "Reddit", "Reddit"),
    platform_toml("tiktok", "TikTok", "ByteDance"),
])
OUTAGE_PATTERNS = {"insta": "..XXXX", "wa": "..SSSS", "linkedin": "......",
                   "reddit": "RRRRRR", "tiktok": ".....X"}
OUTAGE_NOW = at(6)


def settings_of(text: str, data: str = "data") -> Settings:
    """Settings from a TOML text (no file, no catalog)."""
    config = parse_config(tomllib.loads(text))
    return Settings(config=config, platforms=merge_platforms(config), data=data, source="test")


def notice_of(samples: pd.DataFrame, settings: Settings, now: datetime) -> CustomerNotice:
    """The notice the hook and `monitors notice` would build from these samples."""
    outages = incidents.detect(samples, settings.platforms, settings.monitor, now=now,
                               business=settings.business)
    return notice_now(samples, outages, settings, now=now)

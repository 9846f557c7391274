"""The built-in catalog: validated only, never probed (it targets the internet)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import pytest

from monitors import catalog
from monitors.catalog import PLATFORMS
from monitors.config import Platform, default_platforms
from monitors.probes import DnsCheck, HttpCheck, StatuspageCheck, TcpCheck, TlsCheck

REQUIRED = ["facebook", "instagram", "whatsapp", "messenger", "threads", "x", "linkedin",
            "tiktok", "youtube", "pinterest", "snapchat", "reddit", "discord", "telegram"]
META = ["facebook", "instagram", "whatsapp", "messenger", "threads"]
SURFACES = {"web", "api", "media", "messaging", "dns", "tls", "status"}
BY_ID = {p.id: p for p in default_platforms()}
RAW = {p["id"]: p for p in PLATFORMS}
ALL_CHECKS = [(p.id, c) for p in default_platforms() for c in p.checks]


def _ids(pairs):
    return [f"{pid}.{check.id}" for pid, check in pairs]


def test_the_catalog_validates_as_platforms():
    platforms = default_platforms()
    assert all(isinstance(p, Platform) for p in platforms)
    assert default_platforms() is platforms  # validated once, cached


def test_it_covers_at_least_the_fourteen_required_platforms():
    assert len(BY_ID) >= 14
    assert set(REQUIRED) <= set(BY_ID)


def test_platform_ids_are_unique():
    ids = [p["id"] for p in PLATFORMS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("pid", sorted(BY_ID))
def test_every_platform_has_a_name_provider_and_status_link(pid):
    platform = BY_ID[pid]
    assert platform.name and platform.provider
    assert platform.status_page.startswith("https://")


@pytest.mark.parametrize("pid", sorted(BY_ID))
def test_every_platform_checks_web_dns_and_tls_at_least(pid):
    kinds = {c.id: type(c) for c in BY_ID[pid].checks}
    assert kinds.get("web") is HttpCheck
    assert kinds.get("dns") is DnsCheck
    assert kinds.get("tls") is TlsCheck


@pytest.mark.parametrize("pid", sorted(BY_ID))
def test_check_ids_name_a_known_surface(pid):
    assert {c.id for c in BY_ID[pid].checks} <= SURFACES


def test_the_business_surfaces_are_covered_where_they_exist():
    for pid in REQUIRED:
        surfaces = {c.id for c in BY_ID[pid].checks}
        assert {"api", "media"} <= surfaces, pid
    for pid in ("whatsapp", "telegram"):
        assert "messaging" in {c.id for c in BY_ID[pid].checks}


def test_meta_platforms_share_one_provider():
    assert {BY_ID[pid].provider for pid in META} == {"Meta"}
    others = {p.provider for p in BY_ID.values() if p.id not in META}
    assert "Meta" not in others


@pytest.mark.parametrize("check", [c for _, c in ALL_CHECKS], ids=_ids(ALL_CHECKS))
def test_every_check_says_where_it_came_from(check):
    assert len(check.note) >= 20


@pytest.mark.parametrize("check", [c for _, c in ALL_CHECKS], ids=_ids(ALL_CHECKS))
def test_every_check_has_a_slowness_threshold(check):
    if not isinstance(check, StatuspageCheck):
        assert check.degraded_after is not None and 0 < check.degraded_after <= 5


HTTP = [(pid, c) for pid, c in ALL_CHECKS if isinstance(c, HttpCheck)]


@pytest.mark.parametrize(("pid", "check"), HTTP, ids=_ids(HTTP))
def test_every_http_check_states_what_up_looks_like(pid, check):
    raw = next(c for c in RAW[pid]["checks"] if c["id"] == check.id)
    assert raw.get("expect_status"), "expected status codes are stated, not defaulted"
    assert all(100 <= code <= 999 for code in check.expect_status)
    if check.id == "api":
        # an anonymous API call is rejected: say which codes, and the JSON shape where known
        assert check.json_field or "status" in check.note
    if check.id == "web" and not check.keyword:
        assert "keyword" in check.note, "a web check without keyword says why"


@pytest.mark.parametrize(("pid", "check"), HTTP, ids=_ids(HTTP))
def test_catalog_urls_are_https_on_public_hosts(pid, check):
    parts = urlsplit(check.url)
    assert parts.scheme == "https" and not parts.username
    _assert_public(parts.hostname)


@pytest.mark.parametrize(("pid", "check"), ALL_CHECKS, ids=_ids(ALL_CHECKS))
def test_no_catalog_target_is_loopback_or_private(pid, check):
    for attr in ("url", "host", "name", "nameserver", "server_name"):
        value = getattr(check, attr, None)
        if value:
            _assert_public(urlsplit(value).hostname if "://" in value else value)


def _assert_public(host: str | None) -> None:
    assert host and "." in host and host != "localhost" and not host.endswith(".test")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    assert address.is_global, host


def test_dns_checks_use_the_system_resolver_on_the_main_host():
    for platform in default_platforms():
        dns = next(c for c in platform.checks if c.id == "dns")
        tls = next(c for c in platform.checks if c.id == "tls")
        web = next(c for c in platform.checks if c.id == "web")
        assert dns.nameserver is None and dns.record == "A"
        assert dns.name == tls.host
        site = urlsplit(web.url).hostname
        assert dns.name == site, platform.id


def test_the_catalog_carries_no_business_values():
    for platform in default_platforms():
        assert platform.impact.model_dump() == dict.fromkeys(platform.impact.model_dump(), 0.0)
        assert not platform.playbook.fallbacks and not platform.playbook.steps


def test_the_catalog_uses_no_tcp_checks():
    # http, dns and tls already cover the surfaces; a bare tcp check adds no signal there
    assert not any(isinstance(c, TcpCheck) for _, c in ALL_CHECKS)


def test_official_sources_become_a_status_check():
    for pid in catalog.OFFICIAL_SOURCES:
        assert pid in BY_ID, f"official source for unknown platform {pid!r}"
        status = [c for c in BY_ID[pid].checks if c.id == "status"]
        assert len(status) == 1 and isinstance(status[0], StatuspageCheck)


def test_an_official_source_is_appended_as_the_status_check(monkeypatch):
    source = {"url": "https://discordstatus.com/api/v2/summary.json", "format": "statuspage",
              "note": "Discord's Statuspage (V)"}
    monkeypatch.setattr(catalog, "OFFICIAL_SOURCES", {"discord": source})
    raw = next(p for p in catalog._PLATFORMS if p["id"] == "discord")
    merged = Platform.model_validate(catalog._with_official(raw))
    assert merged.checks[-1].id == "status" and merged.checks[-1].kind == "statuspage"
    assert [c.id for c in merged.checks[:-1]] == [c["id"] for c in raw["checks"]]
    assert "status" not in [c["id"] for c in raw["checks"]]  # the source data is not mutated

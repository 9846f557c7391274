"""The customer notice says the right thing: per state, per playbook, and nothing internal."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from support_notice import (
    BASE,
    CONTACTS,
    OUTAGE_CONFIG,
    OUTAGE_NOW,
    OUTAGE_PATTERNS,
    notice_of,
    platform_toml,
    settings_of,
)
from support_samples import at, combine, rounds, write_history

from monitors.alerts.notice import notice_from_history, publish
from monitors.analysis import incidents
from monitors.config import ConfigError
from monitors.history.store import open_store
from monitors.output.notice import build_notice, customer_states
from monitors.output.notice_render import render_all, render_html, render_json, render_svg

GOLDEN = Path(__file__).parent / "fixtures" / "notice" / "outage"
UPDATE = os.environ.get("PULSE_UPDATE_GOLDEN") == "1"
ONE = BASE + CONTACTS + platform_toml("insta", "Instagram", "Meta") + platform_toml(
    "linkedin", "LinkedIn", "Microsoft")


class _Text(HTMLParser):
    """The text a browser shows (style and title left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.skip += tag in ("style", "title")

    def handle_endtag(self, tag):
        self.skip -= tag in ("style", "title")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    """The text of an HTML notice as shown."""
    parser = _Text()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())


def _json_strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() if k != "updated" for s in _json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _json_strings(v)]
    return [value] if isinstance(value, str) else []


# ------------------------------------------------------------------ states
@pytest.mark.parametrize(("pattern", "state", "words"), [
    ("......", "working", "All our channels are working normally."),
    ("..SSSS", "slow", "Our Instagram channel may be slow right now."),
    ("..MMMM", "slow", "Our Instagram channel may be slow right now."),  # media down only
    ("..OOOO", "slow", "Our Instagram channel may be slow right now."),  # vendor's word only
    ("..XXXX", "affected", "Our Instagram channel is affected right now."),
    ("..5555", "affected", "Our Instagram channel is affected right now."),
    ("??????", "working", "All our channels are working normally."),  # own network offline
    ("RRRRRR", "working", "All our channels are working normally."),  # refused us
    ("XXXX??", "affected", "Our Instagram channel is affected right now."),  # nobody saw it recover
    (".....X", "working", "All our channels are working normally."),  # a blip
    ("XXXXX.", "affected", "Our Instagram channel is affected right now."),  # recovering
    ("XXXX..", "working", "All our channels are working normally."),  # closed
])
def test_the_notice_follows_the_live_verdicts(pattern, state, words):
    settings = settings_of(ONE)
    samples = combine(rounds(pattern, platform="insta"), rounds("." * len(pattern),
                                                              platform="linkedin"))
    notice = notice_of(samples, settings, at(len(pattern)))
    assert notice.state == state
    assert notice.message.startswith(words)
    assert [i.platform for i in notice.items] == ([] if state == "working" else ["insta"])
    page = visible_text(render_html(notice))
    assert words in page
    if state == "working":
        assert "Reach us" not in page and "affected" not in page and "slow" not in page


def test_unknown_or_refused_during_an_open_outage_holds_its_severity():
    states = customer_states([{"platform": "a", "status": "unknown"},
                              {"platform": "b", "status": "refused"},
                              {"platform": "c", "status": "up"},
                              {"platform": "d", "status": "degraded"}],
                             {"a": "down", "b": "down", "c": "down", "d": "down"})
    assert states == {"a": "affected", "b": "affected", "c": "affected", "d": "slow"}
    assert customer_states([{"platform": "a", "status": "unknown"}], {}) == {"a": "working"}


# ------------------------------------------------------------------ contacts
def test_contacts_follow_the_playbook_and_skip_a_platform_that_is_not_working():
    settings = settings_of(OUTAGE_CONFIG)
    states = {"insta": "affected", "wa": "slow"}
    notice = build_notice(states, settings.platforms, settings.config.notice)
    insta, wa = notice.items
    # insta's playbook names email, phone and WhatsApp: WhatsApp is slow, so it is not offered
    assert [c.label for c in insta.contacts] == ["email", "phone"]
    # no fallbacks configured: every [notice] contact, but never WhatsApp for WhatsApp itself
    assert [c.label for c in wa.contacts] == ["email", "phone"]
    assert notice.message.endswith(
        "Reach us by email at hello@northwind.example or phone at +44 20 7946 0000.")
    everything = build_notice({"insta": "affected"}, settings.platforms, settings.config.notice)
    assert [c.label for c in everything.items[0].contacts] == ["email", "phone", "WhatsApp"]


def test_a_platform_can_be_left_off_and_the_notice_limited_to_some_platforms():
    text = BASE + "[notice]\nplatforms = [\"insta\"]\n" + platform_toml(
        "insta", "Instagram", "Meta") + platform_toml("x", "X", "X Corp") + platform_toml(
        "yt", "YouTube", "Google", extra="notice = {show = false}")
    settings = settings_of(text)
    notice = build_notice({"insta": "affected", "x": "affected", "yt": "affected"},
                          settings.platforms, settings.config.notice)
    assert [i.platform for i in notice.items] == ["insta"]


@pytest.mark.parametrize(("table", "field"), [
    ('[notice]\ncontacts = [{label = "x", value = "y", href = "javascript:alert(1)"}]',
     "notice.contacts[0].href"),
    ('[notice]\ncontacts = [{label = "x", value = "y", href = "https://a.example/\\"x"}]',
     "notice.contacts[0].href"),
    ('[notice]\nall_clear = "fine\\u0000"', "notice.all_clear"),
    ('[notice]\nto = "ftp://host/x"', "notice.to"),
    ('[notice]\ntitle = "' + "x" * 81 + '"', "notice.title"),
    ('[notice]\ncolour = "red"', "notice.colour"),
])
def test_a_bad_notice_table_is_one_line_naming_the_field(table, field):
    with pytest.raises(ConfigError) as caught:
        settings_of(BASE + table)
    message = str(caught.value)
    assert field in message and "\n" not in message


# ------------------------------------------------------------------ hostile text
HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&]]><!--'


def _hostile_settings():
    quoted = json.dumps(HOSTILE)
    text = (BASE.replace('name = "Northwind Bakery"', f"name = {quoted}")
            + f"[notice]\nbadge_label = {json.dumps(HOSTILE[:30])}\n"
            + f'contacts = [{{label = {json.dumps(HOSTILE[:40])}, value = {quoted}, '
            f'href = "mailto:a@b.example"}}]\n'
            + platform_toml("insta", HOSTILE[:60].replace('"', "'"), "Meta",
                            extra=f"notice = {{text = {quoted}}}"))
    return settings_of(text)


def test_hostile_text_is_escaped_in_html_svg_and_json():
    settings = _hostile_settings()
    notice = build_notice({"insta": "affected"}, settings.platforms, settings.config.notice,
                          business_name=settings.business.name)
    files = render_all(notice)
    page = files["notice.html"]
    assert "<script" not in page and "<img" not in page  # no element but ours
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert HOSTILE.split("<!--")[0][:20] in visible_text(page)  # shown as text, literally
    svg = ET.fromstring(files["notice.svg"])  # well-formed XML whatever the text
    assert svg.tag.endswith("svg") and not [e for e in svg.iter() if "script" in e.tag]
    assert "<script" not in files["notice.svg"]
    document = json.loads(files["notice.json"])
    assert document["items"][0]["text"] == HOSTILE + "." and "<" not in files["notice.json"]


def test_a_link_that_is_not_a_contact_scheme_is_never_rendered():
    from monitors.output.notice import ContactView, CustomerNotice, NoticeItem

    bad = ContactView("x", "y", "javascript:alert(1)")  # as if the config were bypassed
    notice = CustomerNotice("affected", "T", "m", (NoticeItem("a", "A", "affected", "t",
                                                              (bad,)),), (bad,))
    assert "javascript" not in render_html(notice) and "javascript" not in render_json(notice)


# ------------------------------------------------------------------ nothing internal
CHECKS = ("qzweb", "qzapp")
VANTAGE = "vqz-site"
LEAK_CONFIG = BASE.replace('vantage = "hq"', f'vantage = "{VANTAGE}"') + """
[notice]
contacts = [{label = "email", value = "hello@shop.example", href = "mailto:hello@shop.example"}]
""" + "".join(
    platform_toml(pid, name, prov, checks=CHECKS,
                  extra="impact = {revenue_per_hour = 43215.5, leads_per_hour = 7.25, "
                        "lead_value = 88.0, ad_spend_per_day = 999.0}")
    for pid, name, prov in (("aa", "Alpha", "One"), ("bb", "Beta", "Two"),
                            ("cc", "Gamma", "Three")))
ERRORS = ("connect", "dns", "timeout", "http_status", "refused", "vantage_offline",
          "official_incident", "official_maintenance", "keyword", "tls")


@hsettings(max_examples=40, deadline=None,
           suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(patterns=st.lists(st.text(alphabet=".XDT5SOPWRr?", min_size=4, max_size=10),
                         min_size=3, max_size=3),
       latency=st.integers(min_value=10_000, max_value=99_999))
def test_the_notice_never_shows_a_latency_cause_check_vantage_or_money(patterns, latency):
    settings = settings_of(LEAK_CONFIG)
    size = min(len(p) for p in patterns)
    samples = combine(*(rounds(p[:size], platform=pid, checks=CHECKS, vantage=VANTAGE,
                               latency_ms=float(latency))
                        for p, pid in zip(patterns, ("aa", "bb", "cc"), strict=True)))
    outages = incidents.detect(
        samples, settings.platforms, settings.monitor, now=at(size), business=settings.business)
    notice = notice_of(samples, settings, at(size))
    files = render_all(notice)
    shown = [visible_text(files["notice.html"]),
             " ".join(t.text or "" for t in ET.fromstring(files["notice.svg"]).iter()),
             *_json_strings(json.loads(files["notice.json"]))]
    text = " ".join(shown)
    everything = " ".join(files.values())  # markup included: five-digit figures are not in it
    words = re.sub(r"\+\d+ more", "", text)  # the badge's "+2 more" is the only figure allowed
    assert not re.search(r"\d", words), text
    assert str(latency) not in everything and "43215" not in everything
    assert not re.search(r"\bms\b|£|GBP|revenue|lead|impact", text, re.I), text
    for word in (*ERRORS, *CHECKS, VANTAGE, "Feed and media", "Database upgrade"):
        assert word not in everything, word
    for outage in outages:
        assert outage.cause.lower() not in text.lower()
        if outage.impact is not None and outage.impact.amount >= 1:
            assert f"{outage.impact.amount:.0f}" not in words


# ------------------------------------------------------------------ golden
def test_a_scripted_outage_matches_the_golden_files(tmp_path):
    data = tmp_path / "data"
    samples = combine(*(rounds(p, platform=pid) for pid, p in OUTAGE_PATTERNS.items()))
    write_history(str(data), samples)
    settings = settings_of(OUTAGE_CONFIG, str(data))
    notice = notice_from_history(settings, now=OUTAGE_NOW)
    assert [(i.platform, i.state) for i in notice.items] == [("insta", "affected"),
                                                              ("wa", "slow")]
    out = tmp_path / "site"
    assert publish(open_store(str(out)), notice)
    for name in ("notice.html", "notice.json", "notice.svg"):
        written = (out / name).read_text(encoding="utf-8")
        if UPDATE:
            GOLDEN.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_text(written, encoding="utf-8")
        assert written == (GOLDEN / name).read_text(encoding="utf-8"), name


def test_an_svg_badge_names_at_most_two_platforms():
    settings = settings_of(BASE + "".join(platform_toml(p, p.title(), p) for p in "abcd"))
    notice = build_notice(dict.fromkeys("abcd", "affected"), settings.platforms,
                          settings.config.notice)
    assert "A, B +2 more affected" in render_svg(notice)

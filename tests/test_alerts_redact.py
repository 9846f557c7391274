"""Secrets in alert URLs never show: redacted labels, scrubbed logs, automatic routing table."""

from __future__ import annotations

import logging
import re

import pytest
from support_alerts import make_settings

from monitors.alerts import automatic_avoid, redact_url, targets_from_settings
from monitors.alerts.channels import scrub, secret_parts


@pytest.mark.parametrize(("url", "shown"), [
    ("mailto://user:hunter22@smtp.example.com", "mailto://smtp.example.com"),
    ("mailtos://user:hunter22@smtp.example.com:465?to=a@example.com", "mailtos://smtp.example.com:465"),
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#alerts", "slack://…"),
    ("https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnl", "https://hooks.slack.com"),
    ("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-100123", "tgram://…"),
    ("json://user:hunter22@hooks.example.org?token=abcdef123456", "json://hooks.example.org"),
    ("json://127.0.0.1:8080/hook/ZXCVBNM123", "json://127.0.0.1:8080"),
    ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", "discord://…"),
    ("not a url at all", "(not a URL)"),
])
def test_it_shows_scheme_and_host_only(url, shown):
    assert redact_url(url) == shown


@pytest.mark.parametrize(("url", "secrets"), [
    ("mailto://user:hunter22@smtp.example.com", {"hunter22"}),
    ("json://user:hunter22@hooks.example.org?token=abcdef123456&method=POST",
     {"hunter22", "abcdef123456"}),
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#alerts",
     {"T1JJ3T3L2", "A1BRTD4JD", "TIiajkdnlazkcOXrIdevi7FQ"}),
    ("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-100123",
     {"123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"}),
])
def test_it_finds_every_secret_fragment_of_a_url(url, secrets):
    assert secrets <= secret_parts(url)
    scrubbed = scrub(f"failed to reach {url}", secret_parts(url))
    assert not any(s in scrubbed for s in secrets)


@pytest.mark.parametrize(("url", "platforms"), [
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnl", ("slack",)),
    ("https://hooks.slack.com/services/T1/B1/x", ("slack",)),
    ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", ("discord",)),
    ("tgram://123456789:AAHdqTcvCH1vGWJx/-100123", ("telegram",)),
    ("whatsapp://token@1234567/15551234567", ("whatsapp",)),
    ("x://ckey/csecret/akey/asecret", ("x",)),
    ("reddit://user:pass@app_id/app_secret/sub", ("reddit",)),
    ("workflows://host.logic.azure.com:443/workflow/signature", ("microsoft-teams",)),
    ("mailto://user:pass@smtp.example.com", ()),
    ("json://127.0.0.1:9/hook", ()),
])
def test_targets_on_a_platform_are_routed_around_it_automatically(url, platforms):
    assert automatic_avoid(url) == platforms


def test_targets_are_labelled_by_name_or_redacted_url_and_their_repr_hides_the_url():
    settings = make_settings([
        {"url": "mailto://ops:hunter22@smtp.example.com", "avoid": ["whatsapp"]},
        {"url": "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", "name": "Team Slack"},
        {"url": "mailto://ops:other-pass@smtp.example.com"},
    ])
    first, slack, second = targets_from_settings(settings)
    assert (first.label, slack.label) == ("mailto://smtp.example.com", "Team Slack")
    assert second.label == "mailto://smtp.example.com #2"
    assert first.avoid == {"whatsapp"} and slack.avoid == {"slack"}
    assert "hunter22" not in repr(first) and "TIiajkdnl" not in repr(slack)


@pytest.mark.parametrize("logger", ["apprise", "urllib3.connectionpool", "monitors.alerts"])
def test_log_lines_of_the_sending_libraries_never_carry_a_registered_secret(caplog, logger):
    token = "Zq8sEcReTtOkEn42"
    targets_from_settings(make_settings([{"url": f"json://127.0.0.1:9/hooks/{token}"}]))
    caplog.set_level(logging.DEBUG)
    logging.getLogger(logger).debug('http://127.0.0.1:9 "POST /hooks/%s HTTP/1.1" 500', token)
    # other tests' targets stay registered (user names like "hook" too), so only the shape
    # of the line is fixed here: the token is scrubbed, the request line is still readable
    assert re.search(r'"POST /\S*\*\*\* HTTP/1\.1" 500', caplog.text), caplog.text
    assert token not in caplog.text

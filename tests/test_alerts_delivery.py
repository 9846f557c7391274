"""Notifier against real local receivers: e-mail, JSON webhook, routing, dedupe, retries."""

from __future__ import annotations

import json
import logging
import smtplib
import socket
import subprocess
import sys
import threading
from argparse import Namespace
from datetime import timedelta
from pathlib import Path

import pytest
from support_alerts import SMTP_PASSWORD, T0, SmtpReceiver, make_outage, make_settings

from monitors.alerts import Notifier, state_dir, undelivered
from monitors.cli.alerts import cli_alerts

MIN = timedelta(minutes=1)
SLACK_URL = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#alerts"  # never contacted
TOKEN = "WebhookT0kenXYZ987"


@pytest.fixture
def smtp(monkeypatch):
    # smtplib names itself in EHLO by resolving this machine's host name (a lookup the
    # loopback guard refuses); a *.localhost name keeps that step on loopback
    monkeypatch.setattr(smtplib.socket, "getfqdn", lambda name="": "pulse.localhost")
    receiver = SmtpReceiver().start()
    yield receiver
    receiver.close()


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "data" / "state"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _hook(httpserver, path: str = f"/hooks/{TOKEN}") -> str:
    httpserver.expect_request(path, method="POST").respond_with_data("ok")
    return f"json://{httpserver.host}:{httpserver.port}{path}"


def test_an_outage_alert_arrives_by_email(smtp, state):
    notifier = Notifier(make_settings([{"url": smtp.url()}]), state)
    deliveries = notifier.process([make_outage("linkedin")], vantage_offline=False,
                                  now=T0 + 2 * MIN)
    assert [(d.status, d.target) for d in deliveries] == [
        ("sent", f"mailto://127.0.0.1:{smtp.port}")
    ]
    (text,) = smtp.texts()
    assert text.startswith("LinkedIn down\n")
    assert "Probable cause: DNS / routing (network-level)." in text
    assert smtp.messages[0]["To"] == "team@example.com"
    assert notifier.pending() == []


def test_the_json_webhook_receives_the_alert(httpserver, state):
    notifier = Notifier(make_settings([{"url": _hook(httpserver)}]), state)
    notifier.process([make_outage("linkedin")], vantage_offline=False, now=T0)
    (request, _), = httpserver.log
    payload = request.get_json()
    assert payload["title"] == "LinkedIn down"
    assert "Since Mon 01 Jun 14:05 BST" in payload["message"]


def test_with_slack_down_the_slack_target_is_skipped_and_email_gets_the_alert(smtp, state):
    # the Slack URL points at the internet: the loopback guard fails this test if it is tried
    settings = make_settings([{"url": SLACK_URL, "name": "Team Slack"}, {"url": smtp.url()}])
    deliveries = Notifier(settings, state).process(
        [make_outage("slack")], vantage_offline=False, now=T0
    )
    assert [(d.target, d.status, d.reason) for d in deliveries] == [
        ("Team Slack", "skipped", "routed around: slack down"),
        (f"mailto://127.0.0.1:{smtp.port}", "sent", ""),
    ]
    assert smtp.texts()[0].startswith("Slack down")


def test_a_target_is_skipped_while_a_platform_on_its_avoid_list_is_down(smtp, httpserver, state):
    settings = make_settings([{"url": _hook(httpserver), "avoid": ["whatsapp"]},
                              {"url": smtp.url()}])
    deliveries = Notifier(settings, state).process(
        [make_outage("whatsapp")], vantage_offline=False, now=T0
    )
    assert [d.status for d in deliveries] == ["skipped", "sent"]
    assert httpserver.log == [] and len(smtp.messages) == 1


def test_two_vantages_and_a_restart_send_one_message_per_change(smtp, state):
    def sampler(vantage: str) -> Notifier:
        return Notifier(make_settings([{"url": smtp.url()}], vantage=vantage), state)

    hq, branch = sampler("hq"), sampler("branch")
    down, up = [make_outage("linkedin")], [make_outage("linkedin", end=T0 + 20 * MIN)]
    hq.process(down, vantage_offline=False, now=T0 + 2 * MIN)
    branch.process(down, vantage_offline=False, now=T0 + 2 * MIN)
    sampler("hq").process(down, vantage_offline=False, now=T0 + 3 * MIN)  # restarted
    branch.process(up, vantage_offline=False, now=T0 + 21 * MIN)
    hq.process(up, vantage_offline=False, now=T0 + 21 * MIN)
    sampler("branch").process(up, vantage_offline=False, now=T0 + 22 * MIN)
    subjects = [m["Subject"] for m in smtp.messages]
    assert subjects == ["LinkedIn down", "LinkedIn back up after 20m"]


def test_two_samplers_processing_at_the_same_moment_send_once(smtp, state):
    samplers = [Notifier(make_settings([{"url": smtp.url()}], vantage=v), state)
                for v in ("hq", "branch", "cloud")]
    barrier = threading.Barrier(len(samplers))

    def round_(notifier: Notifier) -> None:
        barrier.wait()
        notifier.process([make_outage("x")], vantage_offline=False, now=T0)

    threads = [threading.Thread(target=round_, args=(n,)) for n in samplers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [m["Subject"] for m in smtp.messages] == ["X down"]


def test_a_lost_state_file_does_not_repeat_alerts_thanks_to_claims(smtp, state):
    notifier = Notifier(make_settings([{"url": smtp.url()}]), state)
    notifier.process([make_outage("x")], vantage_offline=False, now=T0)
    (state / "alerts.json").write_text("{not json")
    notifier.process([make_outage("x")], vantage_offline=False, now=T0 + MIN)
    assert len(smtp.messages) == 1


def test_a_failed_delivery_is_retried_with_backoff_until_the_receiver_is_back(smtp, state):
    notifier = Notifier(make_settings([{"url": smtp.url()}]), state)
    smtp.stop()
    (failed,) = notifier.process([make_outage("x")], vantage_offline=False, now=T0)
    assert failed.status == "failed" and not failed.permanent
    (pending,) = notifier.pending()
    assert (pending["title"], pending["attempts"]) == ("X down", 1)
    assert pending["next_attempt"] == (T0 + timedelta(seconds=30)).isoformat()
    assert notifier.retry_pending(now=T0 + 10 * timedelta(seconds=1)) == []  # not due yet
    assert [d.status for d in notifier.retry_pending(now=T0 + 31 * timedelta(seconds=1))] == [
        "failed"
    ]
    assert notifier.pending()[0]["next_attempt"] == (T0 + timedelta(seconds=91)).isoformat()
    smtp.start()
    (sent,) = Notifier(make_settings([{"url": smtp.url()}]), state).retry_pending(
        now=T0 + 2 * MIN
    )
    assert sent.status == "sent" and notifier.pending() == []
    assert [m["Subject"] for m in smtp.messages] == ["X down"]


def test_a_message_waits_while_every_target_is_routed_around(httpserver, state):
    notifier = Notifier(make_settings([{"url": _hook(httpserver), "avoid": ["slack"]}]), state)
    (skipped,) = notifier.process([make_outage("slack")], vantage_offline=False, now=T0)
    assert skipped.status == "skipped" and len(notifier.pending()) == 1
    notifier.process([make_outage("slack")], vantage_offline=False, now=T0 + MIN)
    assert httpserver.log == []
    back = [make_outage("slack", end=T0 + 5 * MIN)]
    notifier.process(back, vantage_offline=False, now=T0 + 6 * MIN)
    titles = [request.get_json()["title"] for request, _ in httpserver.log]
    assert titles == ["Slack down", "Slack back up after 5m"]
    assert notifier.pending() == []


def test_the_offline_alert_that_could_not_leave_is_folded_into_back_online(smtp, state):
    notifier = Notifier(make_settings([{"url": smtp.url()}]), state)
    smtp.stop()
    notifier.process([], vantage_offline=True, now=T0)
    smtp.start()
    notifier.process([], vantage_offline=False, now=T0 + 10 * MIN)
    (text,) = smtp.texts()
    assert text.startswith("Monitor 'hq' is back online after 10m")
    assert "could not be sent then" in text


def test_degraded_alerts_go_only_to_targets_that_opted_in(smtp, state):
    settings = make_settings([{"url": smtp.url("all@example.com"), "degraded": True},
                              {"url": smtp.url("outages@example.com")}])
    outage = make_outage("linkedin", severity="degraded", checks=("media",), ok_checks=("web",))
    Notifier(settings, state).process([outage], vantage_offline=False, now=T0)
    assert [m["To"] for m in smtp.messages] == ["all@example.com"]


def test_secrets_never_reach_logs_pending_or_deliveries(smtp, httpserver, caplog, state):
    httpserver.expect_request(f"/h/{TOKEN}").respond_with_data("no", status=500)
    broken = f"json://hook:{SMTP_PASSWORD}x@127.0.0.1:{httpserver.port}/h/{TOKEN}?key={TOKEN}2"
    settings = make_settings([{"url": smtp.url()}, {"url": broken}])
    caplog.set_level(logging.DEBUG)
    smtp.stop()
    notifier = Notifier(settings, state)
    deliveries = notifier.process([make_outage("x")], vantage_offline=False, now=T0)
    smtp.start()
    deliveries += notifier.retry_pending(now=T0 + MIN)
    assert [d.status for d in deliveries] == ["failed", "failed", "sent", "failed"]
    assert 'POST /h/*** HTTP/1.1" 500' in caplog.text  # urllib3 logged the path, scrubbed
    ours = [r.getMessage() for r in caplog.records if r.name != "werkzeug"]  # not the receiver
    shown = "\n".join(ours) + repr(deliveries) + json.dumps(notifier.pending())
    shown += (state / "alerts.json").read_text()
    assert SMTP_PASSWORD not in shown and TOKEN not in shown


def test_alerts_test_sends_to_every_target_and_reports_each(smtp, capsys, tmp_path):
    port = _closed_port()
    settings = make_settings([{"url": smtp.url()}, {"url": f"json://u:{TOKEN}@127.0.0.1:{port}"}],
                             data=str(tmp_path / "data"))
    assert cli_alerts(Namespace(action="test"), settings) == 1
    out = capsys.readouterr().out
    assert f"ok      mailto://127.0.0.1:{smtp.port}\n" in out
    assert f"FAILED  json://127.0.0.1:{port}: " in out
    assert "1 of 2 target(s) reached" in out
    assert TOKEN not in out and SMTP_PASSWORD not in out
    assert smtp.messages[0]["Subject"] == "Platform Pulse test message"


def test_alerts_list_shows_targets_redacted_with_what_they_avoid(capsys, tmp_path):
    settings = make_settings([{"url": SLACK_URL, "avoid": ["whatsapp"]},
                              {"url": f"mailto://u:{SMTP_PASSWORD}@mail.example.com"}],
                             data=str(tmp_path / "data"))
    assert cli_alerts(Namespace(action="list"), settings) == 0
    out = capsys.readouterr().out
    assert "slack://…\n" in out and "skipped while down: slack, whatsapp (automatic: slack)" in out
    assert "mailto://mail.example.com\n" in out
    assert SMTP_PASSWORD not in out and "TIiajkdnl" not in out


def test_the_alerts_test_command_runs_from_the_command_line(httpserver, tmp_path):
    config = tmp_path / "pulse.toml"
    config.write_text(
        '[monitor]\ndefault_platforms = false\ncontrols = ["tcp://127.0.0.1:9"]\n'
        f'[[alerts]]\nurl = "{_hook(httpserver)}"\nname = "Ops webhook"\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "monitors", "alerts", "test", "--config", str(config),
         "--data", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=60, cwd=Path(__file__).parent.parent,
    )
    assert done.returncode == 0, done.stderr
    assert "ok      Ops webhook" in done.stdout and TOKEN not in done.stdout + done.stderr
    assert httpserver.log[0][0].get_json()["title"] == "Platform Pulse test message"


def test_an_alert_undeliverable_for_a_week_is_dropped_loudly(caplog, state):
    settings = make_settings([{"url": f"json://127.0.0.1:{_closed_port()}/hook"}])
    notifier = Notifier(settings, state)
    notifier.process([make_outage("x")], vantage_offline=False, now=T0)
    assert len(notifier.pending()) == 1
    assert notifier.retry_pending(now=T0 + timedelta(days=8)) == []
    assert notifier.pending() == []
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "'X down' could not be delivered" in error.getMessage()


def test_the_dashboard_lists_undelivered_alerts_without_secrets(tmp_path):
    port = _closed_port()
    settings = make_settings([{"url": f"json://u:{TOKEN}@127.0.0.1:{port}/h", "name": "Ops"}],
                             data=str(tmp_path / "data"))
    Notifier(settings, state_dir(settings)).process([make_outage("x")], vantage_offline=False,
                                                    now=T0)
    (line,) = undelivered(settings)
    assert line.startswith("Alert 'X down' not delivered yet (1 failed attempt(s), next try "
                           "Mon 01 Jun 14:05 BST): Ops: ")
    assert TOKEN not in line

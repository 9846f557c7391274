"""The Live page previews the customer notice when a [notice] table is configured (AppTest on
the scripted story's history: Instagram's media failing right now)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import support_dashboard as story
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from monitors import access

APP = str(ROOT / "dashboard.py")
NOTICE = """
[notice]
to = "public/status"
  [[notice.contacts]]
  label = "email"
  value = "hello@northwind.example"
  href = "mailto:hello@northwind.example"
"""


@pytest.fixture(scope="module")
def story_data(tmp_path_factory):
    data = tmp_path_factory.mktemp("story") / "data"
    story.build(data, days=1, now=datetime.now(UTC))
    return data


def _run(monkeypatch, tmp_path, story_data, extra: str) -> AppTest:
    config = tmp_path / "pulse.toml"
    config.write_text(story.CONFIG.read_text(encoding="utf-8") + extra, encoding="utf-8")
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MONITORS_CONFIG", str(config))
    monkeypatch.setenv("MONITORS_DATA", str(story_data))
    monkeypatch.setenv("PULSE_NO_SAMPLER", "1")
    monkeypatch.delenv(access.ALLOW_ENV, raising=False)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception[0].stack_trace if at.exception else ""
    return at


def test_the_live_page_previews_the_customer_notice(monkeypatch, tmp_path, story_data):
    at = _run(monkeypatch, tmp_path, story_data, NOTICE)
    labels = [e.label for e in at.expander]
    assert "Customer notice — some channels may be slow" in labels, labels
    preview = at.expander[labels.index("Customer notice — some channels may be slow")]
    assert "public/status" in " ".join(c.value for c in preview.caption)


def test_without_a_notice_table_there_is_no_preview(monkeypatch, tmp_path, story_data):
    at = _run(monkeypatch, tmp_path, story_data, "")
    assert not [e.label for e in at.expander if e.label.startswith("Customer notice")]

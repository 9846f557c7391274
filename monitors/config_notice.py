"""The customer notice's config: `[notice]` (where it is written, the business's contacts,
its wording) and `[platforms.notice]` (a platform's own wording and contacts).

Everything here is shown to the public, so every text is one line, length-capped and free
of control characters, and a contact's link can only be mailto:, tel:, sms: or http(s).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

HREF_SCHEMES = ("mailto:", "tel:", "sms:", "https://", "http://")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
TEXT_MAX = 200  # a sentence a customer reads on a phone, not a page


def _public_text(value: str) -> str:
    bad = _CONTROL.search(value)
    if bad:  # a newline or NUL would break the one-line badge and the JSON's readers
        raise ValueError(f"control character {bad.group()!r} is not allowed in notice text")
    return value.strip()


def _href(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not value.lower().startswith(HREF_SCHEMES) or re.search(r"[\s<>\"'`\\]", value):
        raise ValueError(f"{value[:60]!r}: a contact link must be a mailto:, tel:, sms:, "
                         "https:// or http:// address without spaces or quotes")
    return value


def notice_location(value: str) -> str:
    """A folder or an s3:// (or file://) URL, stripped; ValueError for any other URL."""
    value = value.strip()
    if "://" in value and not value.lower().startswith(("s3://", "file://")):
        raise ValueError(f"{value[:80]!r}: use a folder or an s3://bucket/prefix URL")
    return value


PublicText = Annotated[str, AfterValidator(_public_text)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contact(_Model):
    """One way for customers to reach the business (shown on the notice)."""

    label: PublicText = Field(min_length=1, max_length=40,
                              description="How it is named on the notice: email, phone, ...")
    value: PublicText = Field(min_length=1, max_length=120,
                              description="What customers see: an address, a number, a handle.")
    href: Annotated[str | None, AfterValidator(_href)] = Field(
        None, max_length=300,
        description="Link: a mailto:, tel:, sms:, https:// or http:// address (none: plain text).")
    channel: str = Field(
        "", max_length=40, description="The playbook fallback or platform id this contact is "
        "(email, sms, linkedin): offered where a playbook names it, hidden while that "
        "platform is not working.")


class PlatformNotice(_Model):
    """What the customer notice says while this platform is down or slow."""

    show: bool = Field(True, description="Mention this platform on the customer notice.")
    text: PublicText = Field(
        "", max_length=TEXT_MAX,
        description="Shown while it is down (default: 'Our {name} channel is affected right "
        "now'); {name} is the platform's name.")
    slow_text: PublicText = Field(
        "", max_length=TEXT_MAX,
        description="Shown while it is degraded (default: 'Our {name} channel may be slow "
        "right now').")
    contacts: list[Contact] = Field(
        default_factory=list, max_length=8,
        description="Where to reach you instead (default: the [notice] contacts its "
        "playbook's fallbacks name, else all of them).")


class Notice(_Model):
    """The customer-facing notice: where it is written and what it says."""

    to: Annotated[str, AfterValidator(notice_location)] = Field(
        "", description="Folder or s3://bucket/prefix the sampler writes notice.html, "
        ".json and .svg to on every change (empty: not written).")
    storage_endpoint: str | None = Field(
        None, description="S3-compatible endpoint for `to` (default: monitor.storage_endpoint).")
    title: PublicText = Field(
        "", max_length=80, description="Heading (default: the business name, else 'Service "
        "status').")
    all_clear: PublicText = Field(
        "All our channels are working normally.", min_length=1, max_length=TEXT_MAX,
        description="What it says when nothing is down or slow.")
    reach_us: PublicText = Field(
        "Reach us by", min_length=1, max_length=40,
        description="Words before the contacts: 'Reach us by email at ... or phone at ...'.")
    badge_label: PublicText = Field(
        "our channels", min_length=1, max_length=30,
        description="Left-hand text of the SVG badge.")
    platforms: list[str] = Field(
        default_factory=list, description="Only these platform ids (default: every platform).")
    contacts: list[Contact] = Field(
        default_factory=list, max_length=8,
        description="The business's contacts: email, phone, website, other platforms.")

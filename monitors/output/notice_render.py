"""The customer notice as files for a website: an HTML snippet, a JSON document, an SVG badge.

Every text is the business's own config or a platform name, and is still treated as hostile:
cleaned to one line (`text.short`), stripped of control characters (invalid in XML), capped,
and escaped for HTML or XML; links come only from validated mailto:/tel:/sms:/http(s) hrefs.
The HTML carries a Content-Security-Policy that allows no script at all.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import unicodedata
from collections.abc import Sequence

from monitors.config_notice import HREF_SCHEMES
from monitors.output.notice import ContactView, CustomerNotice, NoticeItem, State
from monitors.text import short

FILES = {"html": "notice.html", "json": "notice.json", "svg": "notice.svg"}
CONTENT_TYPES = {"html": "text/html; charset=utf-8", "json": "application/json",
                 "svg": "image/svg+xml"}
COLORS: dict[State, str] = {"working": "#2e7d32", "slow": "#a15c00", "affected": "#c62828"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
TEXT_LIMIT = 300
BADGE_NAMES = 2  # platforms named on the badge before "+N more"

_CSS = """
body{margin:0;background:transparent;font:15px/1.45 system-ui,-apple-system,"Segoe UI",
Roboto,sans-serif;color:#1f2328}
.pp-notice{box-sizing:border-box;margin:0;padding:12px 16px;border-radius:8px;
border:1px solid #d0d7de;border-left:6px solid var(--pp-color);background:#fff}
.pp-title{margin:0 0 4px;font-size:1em;font-weight:600}
.pp-title::before{content:"";display:inline-block;width:.7em;height:.7em;margin-right:.45em;
border-radius:50%;background:var(--pp-color)}
.pp-items{margin:4px 0;padding-left:1.2em}.pp-items li{margin:2px 0}
.pp-items li::marker{color:var(--pp-color)}
.pp-clear,.pp-reach{margin:4px 0 0}.pp-reach a{color:#0b57d0}
.pp-working{--pp-color:#2e7d32}.pp-slow{--pp-color:#a15c00}.pp-affected{--pp-color:#c62828}
""".strip()
_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def clean(value: object, limit: int = TEXT_LIMIT) -> str:
    """One line of public text: valid UTF-8, no control characters, at most `limit` chars."""
    return _CONTROL.sub("", short(value, limit))


def _esc(value: object, limit: int = TEXT_LIMIT) -> str:
    return html.escape(clean(value, limit), quote=True)


def safe_href(href: str | None) -> str | None:
    """The link if it is one of the allowed schemes without spaces or quotes, else None
    (the config validates this too; the renderer does not trust that it ran)."""
    if not href or not href.lower().startswith(HREF_SCHEMES):
        return None
    return None if re.search(r"[\s<>\"'`\\]|[\x00-\x1f]", href) else href


def _contact_html(contact: ContactView) -> str:
    value = _esc(contact.value, 120)
    href = safe_href(contact.href)
    if href:
        value = (f'<a href="{html.escape(href, quote=True)}" target="_top" '
                 f'rel="noopener noreferrer">{value}</a>')
    return f"{_esc(contact.label, 40)} at {value}"


def _reach_html(reach_us: str, contacts: Sequence[ContactView]) -> str:
    parts = [_contact_html(c) for c in contacts]
    if not parts:
        return ""
    joined = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} or {parts[-1]}"
    return f'<p class="pp-reach">{_esc(reach_us, 40)} {joined}.</p>'


def _item_html(item: NoticeItem) -> str:
    return f'<li class="pp-item pp-{item.state}">{_esc(item.text)}</li>'


def snippet_html(notice: CustomerNotice) -> str:
    """The notice as an HTML fragment (a <section>) to place inside a page."""
    lines = [f'<section class="pp-notice pp-{notice.state}" role="status" '
             f'data-state="{notice.state}">',
             f'<h2 class="pp-title">{_esc(notice.title, 80)}</h2>']
    if notice.items:
        lines.append('<ul class="pp-items">')
        lines.extend(_item_html(item) for item in notice.items)
        lines.append("</ul>")
        reach = _reach_html(notice.reach_us, notice.contacts)
        if reach:
            lines.append(reach)
    else:
        lines.append(f'<p class="pp-clear">{_esc(notice.message)}</p>')
    lines.append("</section>")
    return "\n".join(lines)


def render_html(notice: CustomerNotice) -> str:
    """A small self-contained HTML document (for an iframe): the snippet, its style, a CSP
    that allows no script."""
    return "\n".join([
        "<!doctype html>",
        "<html>",
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="robots" content="noindex">',
        f"<title>{_esc(notice.title, 80)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        snippet_html(notice),
        "</body>",
        "</html>",
        "",
    ])


def _contact_json(contact: ContactView) -> dict:
    return {"label": clean(contact.label, 40), "value": clean(contact.value, 120),
            "href": safe_href(contact.href)}


def notice_document(notice: CustomerNotice) -> dict:
    """The notice as a JSON-ready mapping: state, title, message, items, contacts, updated."""
    return {
        "state": notice.state,
        "title": clean(notice.title, 80),
        "message": clean(notice.message, 4 * TEXT_LIMIT),
        "items": [{"platform": item.platform, "name": clean(item.name, 80), "state": item.state,
                   "text": clean(item.text),
                   "contacts": [_contact_json(c) for c in item.contacts]}
                  for item in notice.items],
        "contacts": [_contact_json(c) for c in notice.contacts],
        "updated": notice.updated.isoformat().replace("+00:00", "Z") if notice.updated else None,
    }


def render_json(notice: CustomerNotice) -> str:
    """The JSON document; <, > and & are written as \\u escapes, so it is inert even when
    pasted into a <script> block or an HTML attribute."""
    text = json.dumps(notice_document(notice), indent=1, ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            + "\n")


def fingerprint(document: dict) -> str:
    """What the notice says, without when it was written: equal when nothing changed."""
    content = {k: v for k, v in document.items() if k != "updated"}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _names(items: Sequence[NoticeItem]) -> str:
    names = [clean(i.name, 30) for i in items[:BADGE_NAMES]]
    more = len(items) - BADGE_NAMES
    return ", ".join(names) + (f" +{more} more" if more > 0 else "")


def badge_message(notice: CustomerNotice) -> str:
    """'all working', 'Instagram affected', 'Instagram, WhatsApp affected; X may be slow'."""
    affected = [i for i in notice.items if i.state == "affected"]
    slow = [i for i in notice.items if i.state == "slow"]
    parts = []
    if affected:
        parts.append(f"{_names(affected)} affected")
    if slow:
        parts.append(f"{_names(slow)} may be slow")
    return "; ".join(parts) or "all working"


def _text_width(text: str) -> int:
    """Rough width in px of 11 px Verdana-like text (wide characters count double)."""
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in ("W", "F"))
    return round(6.5 * (len(text) + wide)) + 12


def render_svg(notice: CustomerNotice) -> str:
    """A shields-style SVG badge: the label on grey, the state on its colour."""
    label = clean(notice.badge_label, 30)
    message = clean(badge_message(notice), 90)
    left, right = _text_width(label), _text_width(message)
    total = left + right
    esc_label, esc_message = html.escape(label, quote=True), html.escape(message, quote=True)
    color = COLORS[notice.state]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{esc_label}: {esc_message}">'
        f"<title>{esc_label}: {esc_message}</title>"
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{color}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif"'
        ' font-size="11">'
        f'<text x="{left / 2:g}" y="14">{esc_label}</text>'
        f'<text x="{left + right / 2:g}" y="14">{esc_message}</text></g></svg>\n'
    )


def render_all(notice: CustomerNotice) -> dict[str, str]:
    """Every file of the notice: {file name: text}."""
    return {FILES["json"]: render_json(notice), FILES["svg"]: render_svg(notice),
            FILES["html"]: render_html(notice)}

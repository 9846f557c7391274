"""`python -m monitors doctor`: every configured and catalog endpoint checked once from this
network, and what each answer means for the catalog here (DESIGN.md "What a check's answer
means").

Per check (and per `fallback_urls` entry, so a user sees whether the fallback would help):
- ok — answered as expected (a slow answer or a certificate near expiry is still ok, with a
  note); a status page is ok when it answered, whatever the vendor says on it;
- refused — the front door answered and refused *us* (429, 999, a 4xx bot wall): nothing
  about the platform's health, but worth fixing with a fallback URL or `expect_status`;
- failed — no answer, or not the expected one (DNS, connect, TLS, timeout, 5xx, keyword …);
- unknown — nothing measured (a probe bug).

`diagnose` is pure (results in, findings out); `cli_doctor` runs one round with
`runner.run_round` — the sampler's probes, no politeness state, no history written — and
prints the findings. Exit 0 when nothing failed (refusals alone are listed but are 0), 1
when a check failed or the monitor's own network is offline.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from monitors import verdict
from monitors.config import Platform, Settings
from monitors.probes import AnyCheck, is_official
from monitors.probes.base import ProbeResult
from monitors.probes.http import is_refusal
from monitors.sampling.runner import Round, control_check, run_round
from monitors.text import short

VERDICTS = ("ok", "refused", "failed", "unknown")
CONTROL = "(control)"  # the platform field of a reachability control's finding

# ---------------------------------------------------------------- redaction
# Query parameters whose values are secrets (name contains one of these, case-insensitive),
# and a few exact short names that would match too much as substrings.
_SECRET_WORDS = ("key", "token", "secret", "passw", "pwd", "auth", "signature", "session",
                 "credential", "jwt", "bearer", "private", "access")
_SECRET_NAMES = frozenset({"sig", "code", "sid", "pass", "p", "hash"})
_PARAM = re.compile(r"([?&;])([^=&#\s?;]{1,100})=([^&#\s;]*)")
_BOT_TOKEN = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")  # Telegram Bot API tokens sit in the path


def _secret_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SECRET_NAMES or any(word in lowered for word in _SECRET_WORDS)


def redact(text: object, limit: int = 200) -> str:
    """One line without credentials (user:pass@), secret query values or bot tokens."""
    cleaned = short(text, limit=10_000)
    cleaned = _BOT_TOKEN.sub("/bot***", cleaned)
    cleaned = _PARAM.sub(
        lambda m: f"{m[1]}{m[2]}=***" if _secret_param(m[2]) and m[3] else m[0], cleaned
    )
    return short(cleaned, limit)


# ---------------------------------------------------------------- findings
@dataclass(frozen=True, slots=True)
class Finding:
    """What one endpoint answered from this network, and what to do about it."""

    platform: str  # platform id, or "(control)" for a reachability control
    check: str  # check id ("control" for controls)
    kind: str
    target: str  # URL or host, redacted
    verdict: str  # ok | refused | failed | unknown
    http_status: int | None
    error: str | None
    detail: str | None  # the probe's own words, redacted
    advice: str | None
    latency_ms: float | None = None
    fallback: int = 0  # 0: the check's own URL; i: its fallback_urls[i - 1]


def target_of(check: Any) -> str:
    """Where a check goes: its URL, host:port, or name @ nameserver (redacted)."""
    kind = getattr(check, "kind", "")
    if kind in ("http", "statuspage"):
        return redact(check.url)
    if kind == "dns":
        where = f"@{check.nameserver}:{check.port}" if check.nameserver else "(system resolver)"
        return redact(f"{check.name} {check.record} {where}")
    if kind == "tls":
        name = f" (SNI {check.server_name})" if check.server_name else ""
        return redact(f"{check.host}:{check.port}{name}")
    if kind == "tcp":
        return redact(f"{check.host}:{check.port}")
    return redact(getattr(check, "url", "") or getattr(check, "host", "") or "?")


def endpoints(platform: Platform) -> Iterator[tuple[str, int, AnyCheck]]:
    """(result key, fallback index, check to run) for a platform's checks and their fallbacks.

    A fallback runs as a copy of its check on that URL, keyed `"<check>#fallback<i>"`.
    """
    for check in platform.checks:
        yield check.id, 0, check
        for index, url in enumerate(getattr(check, "fallback_urls", None) or (), start=1):
            yield f"{check.id}#fallback{index}", index, check.model_copy(
                update={"id": f"{check.id}#fallback{index}", "url": url, "fallback_urls": []}
            )


def with_fallbacks(platforms: Sequence[Platform]) -> list[Platform]:
    """The platforms with every fallback URL as a check of its own (for one doctor round)."""
    return [p.model_copy(update={"checks": [c for _, _, c in endpoints(p)]}) for p in platforms]


def _classify(check: Any, result: ProbeResult) -> str:
    """ok | refused | failed | unknown for one endpoint's answer."""
    if result.error == verdict.REFUSAL_ERROR:
        return "refused"
    if is_official(check.kind):
        # A status page that answered is ok whatever it reports; one that would not answer
        # refused us (a 4xx) or failed.
        if result.error == "official_unavailable":
            code = result.http_status
            return "refused" if code and is_refusal(code, [200]) else "failed"
        if result.error == "bad_payload":
            return "failed"
        return "ok" if result.status in verdict.KNOWN else "unknown"
    if result.status in ("up", "degraded"):
        return "ok"
    if result.status == "down":
        return "failed"
    return "unknown"


def _seconds(value: float) -> str:
    return f"{value:g} s"


def refusal_advice(code: int | None, retry_after_s: float | None, has_fallbacks: bool) -> str:
    """What a refusal with this HTTP code means here, and what to change."""
    if code == 429:
        wait = f"Retry-After {_seconds(retry_after_s)}" if retry_after_s is not None \
            else "no Retry-After"
        return (f"rate limited ({wait}): the sampler backs off on its own; lengthen the "
                "interval or add a fallback URL")
    if code in (999, 403, 400):
        fix = ("its fallback URLs are listed below as (fallback N), and after an hour of "
               "refusals the sampler moves to the first that answers; or set expect_status"
               if has_fallbacks else "add `fallback_urls` for this check, or set expect_status")
        return (f"a bot wall refuses anonymous monitors from this network (common from "
                f"datacenter IPs): {fix} if {code} is what this surface healthily answers here")
    if code == 404:
        return "the edge answers 404 to this path: check the URL or set expect_status"
    if code == 401:
        return ("this URL wants credentials: monitor a public URL of the surface, or set "
                "expect_status = [401] if that is its healthy answer")
    if code == 405:
        return 'method not allowed: try method = "GET", or set expect_status'
    if code == 451:
        return ("unavailable for legal reasons from this network (a country or network "
                "block): monitor it from another vantage")
    if code is not None:
        return (f"the front door refused this request with HTTP {code}: not about the "
                "platform's health; add `fallback_urls` or set expect_status if "
                f"{code} is healthy here")
    return "refused: not about the platform's health"


_FAILED_ADVICE: dict[str, str] = {
    "dns": "the name did not resolve from here (NXDOMAIN, SERVFAIL or no record): check the "
           "host name; if other platforms resolve, the platform's DNS (or your resolver's view "
           "of it) is failing",
    "connect": "no connection (refused, reset or unreachable): check the host and port; a "
               "firewall or proxy on this network may be blocking it",
    "tls": "the TLS handshake or certificate check failed: behind a TLS-inspecting proxy set "
           "monitor.ca_bundle to its CA; otherwise the certificate does not fit this host",
    "timeout": "no answer within the timeout: the endpoint or this network is slow or "
               "filtering; raise monitor.timeout if answers this slow are normal here",
    "keyword": "it answered, but the body lacks the expected keyword or JSON field: the page "
               "changed, or this network gets a consent, login or captive-portal page; update "
               "`keyword`/`json_field`",
    "too_large": "the body is larger than the read cap before the keyword appears: choose a "
                 "keyword near the top of the page, or a smaller URL",
    "redirects": "too many redirects (a loop, or a consent/login chain): point the URL at the "
                 "final address, or raise max_redirects",
    "protocol": "the answer is not valid HTTP (a captive portal, a proxy, or a port that does "
                "not speak HTTP): check the URL and this network's proxy",
    "official_unavailable": "the status page could not be read from here: check the URL; the "
                            "sampler then simply has no official signal for this platform",
    "bad_payload": "the status page answered, but not in a format we read: check `format` "
                   "and the URL (it must be the machine-readable endpoint)",
    "probe_error": "the probe crashed (a Platform Pulse bug): please report it with the detail",
}


def failure_advice(error: str | None, http_status: int | None) -> str:
    """What a failure's error class means, and what to check."""
    if error == "http_status" and http_status is not None:
        if http_status >= 500:
            return (f"the server answered with an error (HTTP {http_status}): the platform, or "
                    "its edge/CDN, fails from here; rerun in a few minutes, and if it persists "
                    "it is real (a few bot walls answer 503 too: if the site works in a "
                    "browser from here, add `fallback_urls`)")
        if 300 <= http_status < 400:
            return (f"it answered a redirect (HTTP {http_status}) that is not followed: set "
                    "follow_redirects = true, point the URL at the final address, or add "
                    f"{http_status} to expect_status")
        return (f"it answered HTTP {http_status}, which is not in expect_status: add it if "
                "this is the surface's healthy answer")
    if error in _FAILED_ADVICE:
        return _FAILED_ADVICE[error]
    return f"the check failed ({error or 'no error class'}): see the detail"


def _ok_advice(result: ProbeResult) -> str | None:
    if result.error == "slow":
        return ("answered as expected but slower than degraded_after: the sampler records it "
                "degraded; raise degraded_after if this network is always this slow")
    if result.error == "cert_expiring":
        return ("the certificate expires soon: the platform's to renew; the sampler shows it "
                "as a warning, never an outage")
    return None


def finding(platform: str, check_id: str, check: Any, result: ProbeResult,
            fallback: int = 0, has_fallbacks: bool = False) -> Finding:
    """One endpoint's finding from its check and what it answered."""
    kind = _classify(check, result)
    if kind == "refused" and is_official(check.kind):
        advice: str | None = (
            f"the status page refuses anonymous readers from this network (HTTP "
            f"{result.http_status}): the sampler has no official signal for this platform "
            "here; try the vendor's other machine-readable endpoint (summary.json, an "
            "Atom/RSS history feed)")
    elif kind == "refused":
        advice = refusal_advice(result.http_status, result.retry_after_s, has_fallbacks)
    elif kind == "failed":
        advice = failure_advice(result.error, result.http_status)
    elif kind == "unknown":
        advice = failure_advice(result.error, result.http_status) if result.error else None
    else:
        advice = _ok_advice(result)
    return Finding(
        platform=platform,
        check=check_id,
        kind=check.kind,
        target=target_of(check),
        verdict=kind,
        http_status=result.http_status,
        error=result.error,
        detail=redact(result.detail) if result.detail else None,
        advice=advice,
        latency_ms=result.latency_ms,
        fallback=fallback,
    )


def diagnose(
    platforms: Sequence[Platform],
    results: Mapping[tuple[str, str], ProbeResult],
    controls: Mapping[str, ProbeResult] | None = None,
) -> list[Finding]:
    """Findings for the controls (first) and every endpoint of the platforms, in order.

    `results` is keyed by (platform id, result key of `endpoints`), as `Round.results` of a
    round over `with_fallbacks(platforms)`; an endpoint without a result is skipped.
    """
    found: list[Finding] = []
    for target, result in (controls or {}).items():
        check = control_check(target)
        status = "ok" if result.status in ("up", "degraded") else "failed"
        found.append(Finding(
            platform=CONTROL, check="control", kind=check.kind, target=redact(target),
            verdict=status, http_status=result.http_status, error=result.error,
            detail=redact(result.detail) if result.detail else None,
            advice=None if status == "ok" else failure_advice(result.error, result.http_status),
            latency_ms=result.latency_ms,
        ))
    for platform in platforms:
        for key, index, check in endpoints(platform):
            result = results.get((platform.id, key))
            if result is None:
                continue
            original = key.split("#", 1)[0]
            has_fallbacks = bool(getattr(check, "fallback_urls", None)) or index > 0
            found.append(finding(platform.id, original, check, result, index, has_fallbacks))
    return found


# ---------------------------------------------------------------- the report
def network_line(found: Round) -> str:
    """The own-network verdict that heads the report."""
    if found.controls_ok is False:
        return ("own network offline: results are not about the platforms "
                f"(every one of {len(found.controls)} reachability controls failed)")
    if found.vantage_offline:
        return (f"own network looks offline ({found.offline_reason}): results are probably "
                "not about the platforms")
    if found.controls_ok is None:
        return "own network: no reachability controls configured"
    up = sum(r.status in ("up", "degraded") for r in found.controls.values())
    return f"own network: ok ({up}/{len(found.controls)} controls reachable)"


def summary_line(findings: Sequence[Finding]) -> str:
    """'42 answered as expected, 5 refused, 1 failed' (controls not counted)."""
    counts = Counter(f.verdict for f in findings if f.platform != CONTROL)
    parts = [f"{counts['ok']} answered as expected", f"{counts['refused']} refused",
             f"{counts['failed']} failed"]
    if counts["unknown"]:
        parts.append(f"{counts['unknown']} unknown")
    return ", ".join(parts)


def _latency(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} ms" if value < 1000 else f"{value / 1000:.2f} s"


def _label(f: Finding) -> str:
    return f"{f.check} (fallback {f.fallback})" if f.fallback else f.check


def _what(f: Finding) -> str:
    """'error: detail', without saying the error twice ('refused: refused: HTTP 429')."""
    if not f.detail:
        return f.error or ""
    if not f.error or f.detail.startswith(f.error):
        return f.detail
    return f"{f.error}: {f.detail}"


WRAP = 100  # notes are wrapped to this many columns
HEADER = ["CHECK", "KIND", "VERDICT", "HTTP", "LATENCY", "TARGET"]


def format_findings(findings: Sequence[Finding], platforms: Sequence[Platform],
                    network: str) -> str:
    """The aligned report: network line, one group per platform, a closing summary line."""
    names = {p.id: f"{p.name} [{p.id} · {p.provider_name}]" for p in platforms}
    names[CONTROL] = "Reachability controls"
    cells = {id(f): ["  " + _label(f), f.kind, f.verdict, str(f.http_status or "-"),
                     _latency(f.latency_ms), f.target] for f in findings}
    widths = [max(len(row[i]) for row in [["  " + HEADER[0], *HEADER[1:]], *cells.values()])
              for i in range(len(HEADER))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

    indent = " " * (widths[0] + widths[1] + 4)  # notes start under the VERDICT column
    width = max(WRAP, len(indent) + 40)

    def note(text: str) -> list[str]:
        return textwrap.wrap(text, width, initial_indent=indent,
                             subsequent_indent=indent + "  ", break_on_hyphens=False,
                             break_long_words=False)
    lines = [network, "", line(["  " + HEADER[0], *HEADER[1:]])]
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.platform, []).append(f)
    for platform, members in groups.items():
        lines.append(names.get(platform, platform))
        for f in members:
            lines.append(line(cells[id(f)]))
            if f.error or f.detail:
                lines += note(_what(f))
            if f.advice:
                lines += note(f"advice: {f.advice}")
    lines += ["", summary_line(findings)]
    return "\n".join(lines)


def exit_code(found: Round, findings: Sequence[Finding]) -> int:
    """1 when the own network is offline or any check failed; refusals alone are 0."""
    if found.vantage_offline:
        return 1
    return int(any(f.verdict == "failed" and f.platform != CONTROL for f in findings))


def cli_doctor(args: Any, settings: Settings) -> int:
    """`python -m monitors doctor`: one round, every endpoint, findings as a table or JSON."""
    platforms = list(settings.platforms)
    found = asyncio.run(run_round(with_fallbacks(platforms), settings.monitor))
    findings = diagnose(platforms, found.results, found.controls)
    network = network_line(found)
    if getattr(args, "json", False):
        if found.vantage_offline:
            print(network, file=sys.stderr)
        print(json.dumps([asdict(f) for f in findings], indent=2))
    else:
        print(format_findings(findings, platforms, network))
    return exit_code(found, findings)

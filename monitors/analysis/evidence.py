"""What an outage's samples say: failing surfaces, vantages, probable cause, the vendor's view."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from monitors.analysis.intervals import to_ns

if TYPE_CHECKING:
    from monitors.analysis.incidents import Outage
    from monitors.analysis.verdicts import Prepared

_CAUSES = {
    "dns": "DNS / routing (network-level)",
    "connect": "servers unreachable",
    "timeout": "overload or attack (timeouts)",
    "tls": "TLS / certificate problem",
    "keyword": "wrong or broken responses",
    "protocol": "wrong or broken responses",
    "too_large": "wrong or broken responses",
    "redirects": "wrong or broken responses (redirect loop)",
    "slow": "slow responses",
    "probe_error": "monitor error (a check crashed)",
}


@dataclass(slots=True)
class Rows:
    """One platform's samples (positions into the prepared frame, in ts order) and flags."""

    prep: Prepared
    positions: np.ndarray
    failing_round: np.ndarray  # per prepared row: its round was degraded or down
    ts_ns: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.ts_ns = self.prep.ts_ns[self.positions]

    def in_failing_rounds(self, lo_ns: int, hi_ns: int) -> np.ndarray:
        """Positions of samples with lo_ns <= ts < hi_ns whose round was failing."""
        a, b = np.searchsorted(self.ts_ns, [lo_ns, hi_ns])
        chosen = self.positions[a:b]
        return chosen[self.failing_round[chosen]]


def official_runs(rows: Rows) -> list[dict]:
    """Stretches where the vendor's status page reported an incident or maintenance."""
    prep = rows.prep
    page = rows.positions[prep.official[rows.positions] & ~prep.unknown[rows.positions]]
    if not len(page):
        return []
    # vantages read the page at the same instant: a fixed order keeps the runs deterministic
    page = page[np.lexsort((prep.v_code[page], prep.ts_ns[page]))]
    active = prep.active[page]
    run_id = np.cumsum(np.r_[True, active[1:] != active[:-1]])
    ts = prep.ts_ns[page]
    runs = []
    for rid in np.unique(run_id[active]):
        idx = np.flatnonzero(run_id == rid)
        after = idx[-1] + 1
        runs.append({
            "first_ns": int(ts[idx[0]]),
            "stop_ns": int(ts[after]) if after < len(ts) else np.iinfo(np.int64).max,
            "title": _text(prep.cells("detail", page[idx[:1]]).iloc[0]),
            "maintenance": bool(prep.maintenance[page[idx]].any()),
        })
    return runs


def _text(value: object) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def describe(outage: Outage, rows: Rows, official: list[dict]) -> None:
    """Fill checks, vantages, cause, sources and the vendor's view from the samples."""
    prep = rows.prep
    start_ns = to_ns(outage.start)
    end_ns = to_ns(outage.end) if outage.end else np.iinfo(np.int64).max
    chosen = rows.in_failing_rounds(start_ns, end_ns)
    probe = chosen[~prep.official[chosen]]
    check, check_names = prep.codes("check")
    is_down, failing = prep.down[probe], prep.failing[probe]
    outage.checks = _names(check[probe[failing]], check_names)
    stayed_up = _names(check[probe[prep.known[probe] & ~failing]], check_names)
    outage.ok_checks = tuple(c for c in stayed_up if c not in outage.checks)
    outage.vantages = _names(prep.v_code[chosen], prep.vantages)
    bad = probe[is_down] if is_down.any() else probe[failing]
    overlapping = [r for r in official if r["first_ns"] < end_ns and r["stop_ns"] > start_ns]
    sources = ["probe"] if len(bad) else []
    if overlapping:
        first = min(overlapping, key=lambda r: r["first_ns"])
        sources.append("official")
        outage.official_lag_s = (first["first_ns"] - to_ns(outage.detected_at)) / 1e9
        outage.official_title = first["title"]
        outage.maintenance = any(r["maintenance"] for r in overlapping)
    outage.sources = tuple(sources) or ("official",)
    if len(bad):
        error, error_names = prep.codes("error")
        names = [*map(str, error_names), "slow"]  # a degraded sample without an error is slow
        errors = [names[c] for c in error[bad].tolist()]
        outage.error = _most_common(errors)
        http = [h for h, e in zip(_http_status(prep, bad), errors, strict=True)
                if e == "http_status" and h is not None]
        outage.cause = probable_cause(outage.error, _most_common(http) if http else None)
    else:
        outage.error = "official_maintenance" if outage.maintenance else "official_incident"
        outage.cause = outage.official_title or "vendor-reported incident"
    if outage.maintenance:
        outage.cause = "scheduled maintenance"


def _names(codes: np.ndarray, names: list) -> tuple[str, ...]:
    """The sorted distinct names of these codes."""
    return tuple(sorted({str(names[c]) for c in np.unique(codes).tolist() if c >= 0}))


def _http_status(prep: Prepared, positions: np.ndarray) -> list[int | None]:
    codes, values = prep.codes("http_status")
    table = [None if pd.isna(v) else int(v) for v in values] + [None]  # code -1: missing
    return [table[c] for c in codes[positions].tolist()]


def _most_common(values: list):
    """The most frequent value; ties go to the smallest, so row order never matters."""
    counts = Counter(values)
    return min(counts, key=lambda v: (-counts[v], v))


def probable_cause(error: str | None, http_status: int | None = None) -> str:
    """Plain words for an error class (and HTTP status), e.g. dns -> "DNS / routing"."""
    if error == "http_status":
        if http_status is not None and http_status >= 500:
            return "server errors"
        if http_status == 429:
            return "rate limited (HTTP 429)"
        return "unexpected HTTP status" + (f" ({http_status})" if http_status else "")
    if error == "official_maintenance":
        return "scheduled maintenance"
    if error == "official_incident":
        return "vendor-reported incident"
    return _CAUSES.get(error or "", f"{error} errors" if error else "degraded responses")



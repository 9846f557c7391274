"""What detection found in a stretch of history, in a form that can be cut, joined and stored.

A Findings holds, per platform, the outages, the unknown time (no vantage could measure),
the covered time (the history has samples) and, per (platform, vantage), the time the
vantage's own network was offline. Cutting it at a time where the platform was quietly up
(`restrict`) and joining the pieces (`join`) gives exactly what one detection over the whole
stretch finds: see monitors/analysis_store.py for why those cut points are safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from monitors.analysis.impact import ImpactEstimate
from monitors.analysis.incidents import Outage
from monitors.analysis.intervals import EMPTY, Spans, from_ns, to_ns

Bounds = Mapping[str, tuple[int, int]]  # platform -> [lo, hi) in ns


@dataclass(slots=True)
class Findings:
    """Outages and measured time per platform (spans in ns, unclipped to any window)."""

    outages: list[Outage] = field(default_factory=list)
    unknown: dict[str, Spans] = field(default_factory=dict)
    coverage: dict[str, Spans] = field(default_factory=dict)
    offline: dict[tuple[str, str], Spans] = field(default_factory=dict)  # (platform, vantage)

    def restrict(self, bounds: Bounds) -> Findings:
        """Only what starts inside each platform's [lo, hi): outages by their start, spans
        clipped; platforms not in `bounds` are dropped."""
        def clip(spans: Mapping[Any, Spans], platform_of: Any) -> dict:
            out = {}
            for key, value in spans.items():
                pid = platform_of(key)
                if pid in bounds:
                    part = value.clip(*bounds[pid])
                    if len(part):
                        out[key] = part
            return out

        return Findings(
            outages=[o for o in self.outages if o.platform in bounds
                     and bounds[o.platform][0] <= to_ns(o.start) < bounds[o.platform][1]],
            unknown=clip(self.unknown, lambda k: k),
            coverage=clip(self.coverage, lambda k: k),
            offline=clip(self.offline, lambda k: k[0]),
        )


def join(pieces: Iterable[Findings]) -> Findings:
    """The union of findings over disjoint stretches; outages sorted by (start, platform)."""
    outages: list[Outage] = []
    parts: tuple[dict, dict, dict] = ({}, {}, {})
    for piece in pieces:
        outages.extend(piece.outages)
        for mine, theirs in zip(parts, (piece.unknown, piece.coverage, piece.offline),
                                strict=True):
            for key, spans in theirs.items():
                mine.setdefault(key, []).append(spans)
    merged = [{key: _union(items) for key, items in part.items()} for part in parts]
    outages.sort(key=lambda o: (o.start, o.platform))
    return Findings(outages, *merged)


def _union(items: list[Spans]) -> Spans:
    if len(items) == 1:
        return items[0]
    return Spans.of(np.concatenate([s.starts for s in items]),
                    np.concatenate([s.ends for s in items]))


def offline_by_vantage(offline: Mapping[tuple[str, str], Spans]) -> dict[str, Spans]:
    """Offline time per vantage, whatever platform's rounds showed it."""
    out: dict[str, Spans] = {}
    for (_, vantage), spans in offline.items():
        out[vantage] = out.get(vantage, EMPTY).union(spans)
    return out


# --- storage as JSON ---------------------------------------------------------------------

def to_json(findings: Findings) -> dict[str, Any]:
    """A JSON-able form that `from_json` turns back into equal Findings (times as ns)."""
    return {
        "outages": [_outage_json(o) for o in findings.outages],
        "unknown": {k: _spans_json(v) for k, v in findings.unknown.items()},
        "coverage": {k: _spans_json(v) for k, v in findings.coverage.items()},
        "offline": [[p, v, _spans_json(s)] for (p, v), s in findings.offline.items()],
    }


def from_json(value: Mapping[str, Any]) -> Findings:
    """Findings from `to_json` output (ValueError/KeyError/TypeError when malformed)."""
    return Findings(
        outages=[_outage_from(o) for o in value["outages"]],
        unknown={str(k): _spans_from(v) for k, v in value["unknown"].items()},
        coverage={str(k): _spans_from(v) for k, v in value["coverage"].items()},
        offline={(str(p), str(v)): _spans_from(s) for p, v, s in value["offline"]},
    )


_TIMES = ("start", "end", "detected_at")
_TUPLES = ("sources", "vantages", "checks", "ok_checks")


def _outage_json(outage: Outage) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in fields(Outage):
        value = getattr(outage, item.name)
        if item.name in _TIMES:
            value = None if value is None else to_ns(value)
        elif item.name == "down_spans":
            value = [[to_ns(a), None if b is None else to_ns(b)] for a, b in value]
        elif item.name == "impact" and value is not None:
            value = {f.name: getattr(value, f.name) for f in fields(ImpactEstimate)}
        elif item.name in _TUPLES:
            value = list(value)
        out[item.name] = value
    return out


def _outage_from(value: Mapping[str, Any]) -> Outage:
    data = dict(value)
    for name in _TIMES:
        data[name] = None if data[name] is None else from_ns(data[name])
    data["down_spans"] = tuple((from_ns(a), None if b is None else from_ns(b))
                               for a, b in data["down_spans"])
    if data["impact"] is not None:
        impact = dict(data["impact"])
        impact["assumptions"] = tuple(impact["assumptions"])
        data["impact"] = ImpactEstimate(**impact)
    for name in _TUPLES:
        data[name] = tuple(data[name])
    return Outage(**data)


def _spans_json(spans: Spans) -> list[list[int]]:
    return [spans.starts.tolist(), spans.ends.tolist()]


def _spans_from(value: list[list[int]]) -> Spans:
    starts, ends = (np.asarray(v, np.int64) for v in value)
    return Spans(starts, ends) if len(starts) else EMPTY

"""The one verdict rule: what a round of a platform's check results means (pure, numpy only).

Every caller — the sampler's log, the runner's own-network test, `check`, the live board,
the analysis and so the alerts — turns rows into verdicts here, and nowhere else.

A check's answer (DESIGN.md "What a check's answer means"):
- known: up, degraded or down; *failing*: down, or degraded for a reason that is a failure
  (slow, partial) rather than a warning (a certificate near expiry);
- refused: status unknown with error `refused` — the platform's front door answered and
  refused *us* (429, 999, a 4xx bot wall): it says nothing about the platform's health;
- unknown otherwise: nothing measured (own network offline, monitor overloaded, a bug).

The rule for one (platform, vantage, round):
1. User-facing surfaces decide; `dns` and `tls` (by kind or check id) only explain. A
   platform with no user-facing check in the round is judged on its infrastructure checks.
2. No user-facing surface with a verdict: DEGRADED when the vendor reports an incident or
   maintenance, else REFUSED when any of them was refused, else SKIP (unknown).
3. Every user-facing surface with a verdict down -> DOWN.
4. Some user-facing surface failing, an infrastructure check failing, or an official
   incident or maintenance -> DEGRADED.
5. Otherwise UP.
REFUSED and SKIP are both "not measurable": they never open, extend or alert an outage and
are left out of uptime; REFUSED is kept apart so that it can be shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from monitors.probes import INFRASTRUCTURE_KINDS, OFFICIAL_KINDS

REFUSED, SKIP, UP, DEGRADED, DOWN = -2, -1, 0, 1, 2
NAMES: dict[int, str] = {REFUSED: "refused", SKIP: "unknown", UP: "up", DEGRADED: "degraded",
                         DOWN: "down"}
INFRASTRUCTURE = ("dns", "tls")  # check ids (the catalog's surface names) that only explain
REFUSAL_ERROR = "refused"
OFFICIAL_ERRORS = ("official_incident", "official_maintenance")
# A certificate a few days from expiry still serves traffic: a warning, not an outage.
NOT_FAILURES = ("cert_expiring",)
KNOWN = ("up", "degraded", "down")
# Failing rounds more than this many intervals apart (no data between) are not consecutive.
GAP_ROUNDS = 4

IsIn = Callable[[str, Sequence[str]], np.ndarray]
"""is_in(column, values): per row, whether the column's value is one of values."""


@dataclass(frozen=True, slots=True)
class RowFlags:
    """Per sample row, what its answer counts as (boolean arrays of one length)."""

    probe: np.ndarray  # a probe of a surface (not the vendor's status page)
    facing: np.ndarray  # a probe of a user-facing surface
    known: np.ndarray  # a probe with a verdict: up, degraded or down
    down: np.ndarray
    failing: np.ndarray  # down, or degraded for a failure rather than a warning
    refused: np.ndarray
    official: np.ndarray  # a status-page row reporting an incident or maintenance


def row_flags(is_in: IsIn) -> RowFlags:
    """Classify rows given a membership test over the sample columns (kind, check, status,
    error); the analysis passes a factorized one, small callers `membership(rows)`."""
    official_row = is_in("kind", OFFICIAL_KINDS)
    probe = ~official_row
    unknown = is_in("status", ["unknown"])
    down = probe & is_in("status", ["down"])
    degraded = probe & is_in("status", ["degraded"])
    reported = (is_in("status", ["degraded", "down"]) | is_in("error", OFFICIAL_ERRORS))
    return RowFlags(
        probe=probe,
        facing=probe & ~is_in("kind", INFRASTRUCTURE_KINDS) & ~is_in("check", INFRASTRUCTURE),
        known=probe & ~unknown,
        down=down,
        failing=down | (degraded & ~is_in("error", NOT_FAILURES)),
        refused=probe & unknown & is_in("error", [REFUSAL_ERROR]),
        official=official_row & ~unknown & reported,
    )


def decide(gid: np.ndarray, n: int, flags: RowFlags) -> np.ndarray:
    """The verdict code (int8) of each of `n` rounds; row i belongs to round gid[i]."""

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(gid, weights=mask, minlength=n)

    infra = flags.probe & ~flags.facing
    has_facing = count(flags.facing) > 0
    judged = np.where(has_facing[gid], flags.facing, infra)  # rule 1
    known = count(judged & flags.known)
    down = count(judged & flags.down)
    failing = count(judged & flags.failing)
    refused = count(judged & flags.refused)
    infra_failing = count(infra & flags.failing)
    official = count(flags.official) > 0
    return np.select(
        [(known == 0) & official, (known == 0) & (refused > 0), known == 0, down == known,
         (failing > 0) | (infra_failing > 0) | official],
        [DEGRADED, REFUSED, SKIP, DOWN, DEGRADED], UP,
    ).astype(np.int8)


def membership(rows: Sequence[Mapping]) -> IsIn:
    """A membership test over a short list of sample rows (a round, not a year)."""
    columns: dict[str, np.ndarray] = {}

    def is_in(column: str, values: Sequence[str]) -> np.ndarray:
        if column not in columns:
            columns[column] = np.array([row.get(column) for row in rows], dtype=object)
        return np.isin(columns[column], list(values))

    return is_in


def platform_verdicts(rows: Sequence[Mapping]) -> dict[str, str]:
    """Per platform, the verdict name of one round's sample rows (one vantage)."""
    if not rows:
        return {}
    ids = list(dict.fromkeys(row["platform"] for row in rows))
    index = {pid: i for i, pid in enumerate(ids)}
    gid = np.array([index[row["platform"]] for row in rows], np.int64)
    codes = decide(gid, len(ids), row_flags(membership(rows)))
    return {pid: NAMES[int(code)] for pid, code in zip(ids, codes, strict=True)}


def result_rows(platform: str, checks: Iterable, results: Iterable) -> list[dict]:
    """Rows the rule reads from (check, ProbeResult) pairs of one platform."""
    return [{"platform": platform, "check": c.id, "kind": c.kind, "status": r.status,
             "error": r.error} for c, r in zip(checks, results, strict=True)]

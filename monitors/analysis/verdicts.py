"""Round verdicts over a history: each vantage's platform-round, then a quorum of vantages per
time bucket (pure, vectorised).

What a round means is decided by the one rule in `monitors.verdict` (refused is not down,
user-facing surfaces decide); this module applies it to millions of eventful samples at once
on integer codes. Codes: SKIP (nothing measurable: own network offline, refused by the
platform, unmeasured), UP, DEGRADED, DOWN; a vantage's REFUSED round counts as SKIP here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from monitors import verdict
from monitors.analysis.intervals import ns_array
from monitors.verdict import DEGRADED, DOWN, GAP_ROUNDS, REFUSED, SKIP, UP, RowFlags, row_flags
from monitors.vocabulary import COLUMNS

__all__ = ["DEGRADED", "DOWN", "GAP_ROUNDS", "REFUSED", "SKIP", "UP"]
HOUR_NS = 3600 * 10**9
_TS_BITS = 40  # ms since the earliest sample: 34 years
_BUCKET_BITS = 36


def is_in(column: pd.Series, values: Sequence[str]) -> np.ndarray:
    """Boolean array: the column's value is one of `values` (missing is False)."""
    return _Coded(column).is_in(values)


class _Coded:
    """A text column factorized once, for many cheap membership tests."""

    def __init__(self, column: pd.Series) -> None:
        self.codes, self.uniques = pd.factorize(column)

    def is_in(self, values: Sequence[str]) -> np.ndarray:
        """Boolean array: the cell is one of `values` (missing is False)."""
        wanted = [i for i, value in enumerate(self.uniques) if value in values]
        return np.isin(self.codes, wanted)


@dataclass(slots=True)
class Prepared:
    """Samples of the wanted platforms as integer codes and per-row flags."""

    frame: pd.DataFrame  # the samples as given (never copied)
    index: np.ndarray  # the frame position of each prepared row
    ts_ns: np.ndarray
    p_code: np.ndarray  # index into ids
    v_code: np.ndarray  # index into vantages
    official: np.ndarray  # a status-page row
    unknown: np.ndarray  # status unknown (nothing measured)
    known: np.ndarray  # a probe row with a measurement (not unknown)
    down: np.ndarray  # a probe row that is down
    failing: np.ndarray  # a probe row that is down or degraded (not a mere warning)
    facing: np.ndarray  # a probe of a user-facing surface (not dns/tls)
    refused: np.ndarray  # a probe the platform refused to answer (429, 999, bot wall)
    active: np.ndarray  # a status-page row reporting an incident or maintenance
    maintenance: np.ndarray
    offline: np.ndarray  # error vantage_offline
    latency_ms: np.ndarray  # a timeout without a latency counts as the whole timeout
    ids: list[str]
    vantages: list[str]
    coded: dict[str, tuple[np.ndarray, list]] = field(default_factory=dict)

    def subset(self, keep: np.ndarray) -> Prepared:
        """Only the rows where keep is True."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for name, value in values.items():
            if isinstance(value, np.ndarray):
                values[name] = value[keep]
        values["coded"] = {}
        return Prepared(**values)

    def cells(self, column: str, rows: np.ndarray) -> pd.Series:
        """A column's values for these prepared rows."""
        return self.frame[column].iloc[self.index[rows]]

    def codes(self, column: str) -> tuple[np.ndarray, list]:
        """(code per row, value per code) of a column, computed once; missing is -1."""
        if column not in self.coded:
            codes, uniques = pd.factorize(self.frame[column].iloc[self.index])
            self.coded[column] = (np.asarray(codes), list(uniques))
        return self.coded[column]

    def order(self) -> tuple[np.ndarray, np.ndarray]:
        """Row positions sorted by (platform, ts), and where each platform's rows begin."""
        by_ts = np.argsort(self.ts_ns, kind="stable")
        order = by_ts[np.argsort(self.p_code[by_ts], kind="stable")]
        return order, np.searchsorted(self.p_code[order], np.arange(len(self.ids) + 1))


def prepare(samples: pd.DataFrame, ids: Sequence[str], timeout_s: float) -> Prepared:
    """Integer-code the samples of these platforms (others dropped) and flag every row."""
    missing = [c for c in COLUMNS if c not in samples.columns]
    frame = samples.assign(**dict.fromkeys(missing)) if missing else samples
    ids = list(ids)
    codes, uniques = pd.factorize(frame["platform"])
    p_code = np.r_[pd.Index(ids).get_indexer(pd.Index(uniques)), -1][codes].astype(np.int64)
    v_code, vantages = pd.factorize(frame["vantage"], sort=True)
    coded = {c: _Coded(frame[c]) for c in ("kind", "check", "status", "error")}
    marks = row_flags(lambda column, values: coded[column].is_in(values))
    error = coded["error"]
    latency = frame["latency_ms"].to_numpy(dtype=float, na_value=np.nan)
    timeout_ms = np.where(error.is_in(["timeout"]), timeout_s * 1000.0, 0.0)
    prepared = Prepared(
        frame=frame,
        index=np.arange(len(frame)),
        ts_ns=ns_array(frame["ts"]) if len(frame) else np.zeros(0, np.int64),
        p_code=p_code,
        v_code=np.asarray(v_code, np.int64),
        official=~marks.probe, unknown=coded["status"].is_in(["unknown"]), known=marks.known,
        down=marks.down, failing=marks.failing, facing=marks.facing, refused=marks.refused,
        active=marks.official, maintenance=marks.official & error.is_in(["official_maintenance"]),
        offline=error.is_in(["vantage_offline"]),
        latency_ms=np.where(np.isnan(latency), timeout_ms, latency),
        ids=ids, vantages=[str(v) for v in vantages],
    )
    return prepared.subset(p_code >= 0) if (p_code < 0).any() else prepared


def relevant_rows(prep: Prepared, widths_ns: np.ndarray, confirm: int, recover: int) -> np.ndarray:
    """Rows of the platform-hours that can matter to outages and unknown time.

    Hours with failures (or unmeasured probes) chain into clusters when they are at most
    `reach` hours apart; reach covers `confirm`/`recover` rounds and the data gap that breaks
    a run (GAP_ROUNDS), so a cluster holds every failure of any outage it
    touches. A cluster with fewer failing rows than `confirm` and nothing unmeasured can only
    be blips: it is dropped. Kept clusters keep `reach` hours of context either side.
    """
    if not len(prep.ts_ns):
        return np.zeros(0, bool)
    hour = prep.ts_ns // HOUR_NS
    h0 = int(hour.min())
    span = int(hour.max()) - h0 + 1
    key = prep.p_code * span + (hour - h0)
    size = len(prep.ids) * span
    fails = np.bincount(key, weights=prep.failing | prep.active, minlength=size)
    unmeasured = np.bincount(key, weights=~prep.official & ~prep.known, minlength=size)
    present = np.bincount(key, minlength=size) > 0
    reach = np.ceil(max(confirm, recover, GAP_ROUNDS) * widths_ns / HOUR_NS).astype(np.int64) + 1
    keep_hour = np.zeros(size, bool)
    for p in range(len(prep.ids)):
        rows = slice(p * span, (p + 1) * span)
        keep_hour[rows] = _kept_hours(fails[rows], unmeasured[rows], present[rows], confirm,
                                      int(reach[p]))
    return keep_hour[key]


def _kept_hours(fails: np.ndarray, unmeasured: np.ndarray, present: np.ndarray, confirm: int,
                reach: int) -> np.ndarray:
    """Hours of clusters that can hold an outage, with `reach` hours of context before and
    `reach` hours *with samples* after (an outage running into a sampler gap recovers where
    sampling resumed, however late)."""
    active = np.flatnonzero((fails > 0) | (unmeasured > 0))
    keep = np.zeros(len(fails), bool)
    if not len(active):
        return keep
    cluster = np.r_[0, np.cumsum(np.diff(active) > reach)]
    fail_sum = np.bincount(cluster, weights=fails[active])
    unmeasured_sum = np.bincount(cluster, weights=unmeasured[active])
    wanted = (fail_sum >= confirm) | (unmeasured_sum > 0)
    starts = np.maximum(active[np.r_[True, np.diff(cluster) > 0]] - reach, 0)
    last = active[np.r_[np.diff(cluster) > 0, True]]
    with_data = np.flatnonzero(present)
    after = np.minimum(np.searchsorted(with_data, last, "right") + reach - 1, len(with_data) - 1)
    ends = np.maximum(last + reach, with_data[after]) + 1
    marks = np.zeros(len(fails) + 1, np.int64)
    np.add.at(marks, starts[wanted], 1)
    np.add.at(marks, np.minimum(ends[wanted], len(fails)), -1)
    return np.cumsum(marks[:-1]) > 0


def vantage_rounds(prep: Prepared) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per (platform, vantage, ts), sorted so, with its verdict; and each row's round.

    Round end = ts + the slowest sample's latency: when the round's verdict was known.
    """
    ts_ms = prep.ts_ns // 1_000_000
    t0 = int(ts_ms.min()) if len(ts_ms) else 0
    n_v = max(len(prep.vantages), 1)
    gid, keys = pd.factorize(((prep.p_code * n_v + prep.v_code) << _TS_BITS) | (ts_ms - t0),
                             sort=True)
    n = len(keys)
    has_official = _any(gid, prep.active, n)
    probe_fail = _any(gid, prep.failing, n)
    slowest = np.zeros(n)
    np.maximum.at(slowest, gid, prep.latency_ms)
    codes = verdict.decide(gid, n, flags(prep))
    pv = keys >> _TS_BITS
    ts_ns = ((keys & ((1 << _TS_BITS) - 1)) + t0) * 1_000_000
    rounds = pd.DataFrame({
        "p": pv // n_v, "v": pv % n_v, "ts_ns": ts_ns, "verdict": codes,
        "probe_fail": probe_fail, "official": has_official,
        "maintenance": _any(gid, prep.maintenance, n),
        "offline": np.bincount(gid, weights=prep.offline, minlength=n)
        == np.bincount(gid, minlength=n),
        "end_ns": ts_ns + (slowest * 1e6).astype(np.int64),
    })
    return rounds, gid


def flags(prep: Prepared) -> RowFlags:
    """The prepared rows' flags as the verdict rule reads them."""
    return RowFlags(probe=~prep.official, facing=prep.facing, known=prep.known, down=prep.down,
                    failing=prep.failing, refused=prep.refused, official=prep.active)


def _any(gid: np.ndarray, flags: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(gid, weights=flags, minlength=n) > 0


def bucket_verdicts(rounds: pd.DataFrame, widths_ns: np.ndarray, n_vantages: int,
                    quorum: float) -> pd.DataFrame:
    """Combine vantages per (platform, time bucket of one interval) by quorum.

    1. Per vantage and bucket take its worst verdict (a vantage normally has one round each).
    2. Vantages that measured something (not SKIP) are online for that bucket.
    3. DOWN when more than `quorum` of online vantages say down; DEGRADED when more than
       `quorum` say degraded or down; SKIP when none was online; else UP.
    The bucket's `ts_ns` is its earliest online round, so one vantage's rounds keep exact
    times. Rows are sorted by (platform, ts); `widths_ns[p]` is platform p's interval.
    """
    columns = ["p", "bucket", "ts_ns", "verdict", "end_ns", "probe_fail", "official",
               "maintenance"]
    if rounds.empty:
        return pd.DataFrame({c: np.zeros(0, np.int64) for c in columns})
    p = rounds["p"].to_numpy()
    ts = rounds["ts_ns"].to_numpy()
    code = rounds["verdict"].to_numpy()
    bucket = ts // widths_ns[p]
    base = int(bucket.min())
    n_v = max(n_vantages, 1)
    gid, keys = pd.factorize((((p << _BUCKET_BITS) | (bucket - base)) * n_v)
                             + rounds["v"].to_numpy(), sort=True)
    n = len(keys)
    worst = np.full(n, SKIP, np.int8)
    np.maximum.at(worst, gid, code)
    big, small = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    first_any = np.full(n, big)
    np.minimum.at(first_any, gid, ts)
    first_online = np.full(n, big)
    np.minimum.at(first_online, gid, np.where(code >= 0, ts, big))
    fail_end = np.full(n, small)
    np.maximum.at(fail_end, gid, np.where(code >= DEGRADED, rounds["end_ns"].to_numpy(), small))
    fail_probe = _any(gid, (code >= DEGRADED) & rounds["probe_fail"].to_numpy(bool), n)

    # keys are sorted, so the vantages of one bucket are contiguous: reduce per bucket
    bucket_key = keys // n_v
    starts = np.r_[0, np.flatnonzero(np.diff(bucket_key)) + 1]
    n_online = np.add.reduceat((worst >= 0).astype(np.int64), starts)
    n_down = np.add.reduceat((worst == DOWN).astype(np.int64), starts)
    n_fail = np.add.reduceat((worst >= DEGRADED).astype(np.int64), starts)
    verdict = np.select([n_online == 0, n_down > quorum * n_online, n_fail > quorum * n_online],
                        [SKIP, DOWN, DEGRADED], UP).astype(np.int8)
    online_ts = np.minimum.reduceat(first_online, starts)
    return pd.DataFrame({
        "p": bucket_key[starts] >> _BUCKET_BITS,
        "bucket": (bucket_key[starts] & ((1 << _BUCKET_BITS) - 1)) + base,
        "ts_ns": np.where(n_online > 0, online_ts, np.minimum.reduceat(first_any, starts)),
        "verdict": verdict,
        "end_ns": np.maximum.reduceat(fail_end, starts),
        "probe_fail": np.logical_or.reduceat(fail_probe, starts),
        "official": np.logical_or.reduceat(_any(gid, rounds["official"].to_numpy(bool), n),
                                           starts),
        "maintenance": np.logical_or.reduceat(
            _any(gid, rounds["maintenance"].to_numpy(bool), n), starts),
    })


def bucket_coverage(prep: Prepared, widths_ns: np.ndarray) -> dict[str, tuple[np.ndarray, ...]]:
    """Per platform: the start of every bucket that has samples (ns), for complete samples."""
    out = {}
    bucket = prep.ts_ns // widths_ns[prep.p_code] if len(prep.ts_ns) else prep.ts_ns
    for p, pid in enumerate(prep.ids):
        mine = np.unique(bucket[prep.p_code == p])
        if len(mine):
            out[pid] = (mine * widths_ns[p], (mine + 1) * widths_ns[p])
    return out

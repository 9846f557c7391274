"""Eventful reads across sampler gaps: the hours that hold an outage's recovery.

An eventful read pads each eventful hour by time (`pad_s`), which holds enough rounds to
see a recovery when the sampler ran on. When it stopped (a reboot, a crash, the machine
asleep) the first good samples can come hours later, outside any pad. For each eventful
hour not followed by a fully sampled hour, the following hours with samples are read too,
up to and including the first fully sampled one, so detection over the eventful read ends
an outage at the same first good sample as detection over every sample.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from monitors.history.files import HOUR_MS, ts_ms

Counts = dict[str, tuple[np.ndarray, np.ndarray]]  # platform -> (hours ms, samples), sorted


def counts_from_rollups(rollups: pa.Table) -> pa.Table:
    """(platform, hour, n): samples per hour of one check and vantage (the most of any)."""
    n = pc.add(pc.add(rollups["n_up"], rollups["n_degraded"]),
               pc.add(rollups["n_down"], rollups["n_unknown"]))
    return pa.table({"platform": rollups["platform"].cast(pa.string()),
                     "hour": rollups["hour"].cast(pa.int64()), "n": n.cast(pa.int64())})


def counts_from_samples(samples: pa.Table) -> pa.Table:
    """The same counts from raw samples of one vantage (not rolled up yet)."""
    if samples.num_rows == 0:
        return pa.table({"platform": pa.array([], pa.string()), "hour": pa.array([], pa.int64()),
                         "n": pa.array([], pa.int64())})
    hours = ts_ms(samples) // HOUR_MS * HOUR_MS
    per_check = pa.table({"platform": samples["platform"].cast(pa.string()),
                          "check": samples["check"].cast(pa.string()), "hour": hours}
                         ).group_by(["platform", "check", "hour"]).aggregate([([], "count_all")])
    return per_check.select(["platform", "hour", "count_all"]).rename_columns(
        ["platform", "hour", "n"])


def sample_counts(tables: Iterable[pa.Table]) -> Counts:
    """Per platform its hours with samples and the most samples of one check in each."""
    parts = [t for t in tables if t.num_rows]
    if not parts:
        return {}
    table = pa.concat_tables(parts).group_by(["platform", "hour"]).aggregate([("n", "max")])
    order = pc.sort_indices(table, sort_keys=[("platform", "ascending"), ("hour", "ascending")])
    table = table.take(order)
    names = table["platform"].to_numpy(zero_copy_only=False)
    hours, n = table["hour"].to_numpy(), table["n_max"].to_numpy()
    bounds = np.flatnonzero(np.r_[True, names[1:] != names[:-1], True])
    return {str(names[a]): (hours[a:b], n[a:b]) for a, b in pairwise(bounds.tolist())}


def add_recovery_hours(found: dict[str, list[np.ndarray]], counts: Counts) -> None:
    """Add to each platform's eventful hours the hours with samples that follow one not
    followed by a fully sampled hour, up to and including the first fully sampled hour
    (the platform's most samples in an hour counts as full)."""
    for platform, parts in found.items():
        if platform not in counts or not parts:
            continue
        hours, n = counts[platform]
        full = int(n.max())
        eventful = np.unique(np.concatenate(parts))
        nxt = np.searchsorted(hours, eventful + HOUR_MS)
        inside = nxt < len(hours)
        continuous = np.zeros(len(eventful), bool)
        continuous[inside] = (hours[nxt[inside]] == eventful[inside] + HOUR_MS) & (
            n[nxt[inside]] >= full)
        extra: list[int] = []
        for j in nxt[~continuous & inside].tolist():
            while j < len(hours):
                extra.append(int(hours[j]))
                if n[j] >= full:
                    break
                j += 1
        if extra:
            parts.append(np.unique(np.asarray(extra, np.int64)))

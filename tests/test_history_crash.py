"""SIGKILL crash test: a writer fed continuously is killed during flushes and compactions."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pyarrow.dataset as ds
import pytest
import support_history
from support_history import CHILD_CHECKS, CHILD_PLATFORMS, T0, at, keys

from monitors.history import compact, problems, read_rollups, read_samples

KILLS = 24
SUPPORT = str(support_history.__file__)


def _wait_for_phase(child: subprocess.Popen, status, phase: bytes, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise AssertionError(f"the writer exited by itself ({child.returncode})")
        if status.read_bytes()[:1] == phase:
            return
        time.sleep(0.0005)


def _flushed_rounds(log) -> set[int]:
    done: set[int] = set()
    for line in log.read_text().splitlines():
        first, last = map(int, line.split())
        done.update(range(first, last + 1))
    return done


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_sigkill_at_random_moments_never_loses_or_duplicates_flushed_samples(tmp_path):
    data, log, status = tmp_path / "data", tmp_path / "flushed.log", tmp_path / "phase"
    rng = random.Random(20240301)
    landed: Counter[str] = Counter()
    stderr = tmp_path / "child.err"
    for kill in range(KILLS):
        status.write_bytes(b"-")
        with stderr.open("ab") as err:
            child = subprocess.Popen([sys.executable, SUPPORT, "child", str(data), str(log),
                                      str(status)], stderr=err)
        try:
            # alternate targets: a flush (a few ms) or a compaction (tens of ms)
            target, spread = (b"F", 0.004) if kill % 2 == 0 else (b"C", 0.03)
            _wait_for_phase(child, status, target, timeout_s=30)
            time.sleep(rng.uniform(0, spread))
            landed[status.read_bytes()[:1].decode() or "?"] += 1
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL, stderr.read_text()[-2000:]

    # at least 20 kills, most of them inside a flush or a compaction
    assert sum(landed.values()) == KILLS >= 20
    assert landed["F"] >= 4 and landed["C"] >= 4, landed

    flushed = _flushed_rounds(log)
    last = max(flushed) + 1
    seen = read_samples(str(data), T0, at(last + 100))
    found = keys(seen)
    assert len(found) == len(set(found)), "a reader saw a duplicate key"
    expected = {(int(at(i).timestamp() * 1000), p) for i in flushed for p in CHILD_PLATFORMS}
    got = {(ts // 1_000_000 if ts > 10**14 else ts, p) for ts, _, p, _ in found}
    assert expected <= got, f"{len(expected - got)} flushed platform-rounds are missing"
    per_round = seen.groupby(["ts", "platform"]).size()
    assert set(per_round) == {len(CHILD_CHECKS)}  # never half a round
    assert problems(str(data)) == []  # nothing torn, nothing quarantined

    compact(str(data))  # leftovers of a killed compaction are merged away
    raw = ds.dataset(data / "samples", partitioning="hive").to_table()
    assert raw.num_rows == len(seen)
    rollups = read_rollups(str(data), T0, at(last + 100))
    counted = rollups[["n_up", "n_degraded", "n_down", "n_unknown"]].to_numpy().sum()
    assert counted == len(seen)

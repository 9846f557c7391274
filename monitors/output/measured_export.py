"""Measured columns of the incidents and uptime CSV exports (empty when not measured).

Per metric (revenue, orders, leads, messages, ad_spend): `measured_<metric>_loss` with
`_low` and `_high` (the 95 % range), `_recaptured` and `_net` (loss − recaptured); money in
the business currency, the others as counts. `measured_synthetic` says when a figure comes
from synthetic (sample or demo) series, `measured_note` why a measured platform has none.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from monitors.analysis.incidents import Outage
from monitors.analysis.measured import Measurement, Range
from monitors.config_series import METRICS

PARTS = ("loss", "loss_low", "loss_high", "recaptured", "net")
HEADER = [f"measured_{metric}_{part}" for metric in METRICS for part in PARTS] + [
    "measured_synthetic", "measured_note"]


def _cells(metric: str, loss: Range | None, recaptured: Range | None,
           net: Range | None) -> dict[str, float | None]:
    def r(x: float | None) -> float | None:
        return None if x is None else round(float(x), 2)
    return {
        f"measured_{metric}_loss": r(loss and loss.value),
        f"measured_{metric}_loss_low": r(loss and loss.low),
        f"measured_{metric}_loss_high": r(loss and loss.high),
        f"measured_{metric}_recaptured": r(recaptured and recaptured.value) if loss else None,
        f"measured_{metric}_net": r(net and net.value) if loss else None,
    }


def _empty() -> dict[str, object]:
    return dict.fromkeys(HEADER, None) | {"measured_synthetic": "", "measured_note": ""}


def incident_columns(measurement: Measurement | None,
                     outages: Sequence[Outage]) -> pd.DataFrame:
    """One row per outage (in the given order) with its measured columns."""
    rows = []
    for outage in outages:
        row = _empty()
        found = measurement.for_outage(outage) if measurement is not None else []
        notes = []
        for m in found:
            row.update(_cells(m.metric, m.loss, m.recaptured, m.net))
            if not m.trusted and m.reason:
                notes.append(f"{m.metric}: {m.reason}")
        if found:
            row["measured_synthetic"] = str(any(m.synthetic for m in found)).lower()
        row["measured_note"] = "; ".join(dict.fromkeys(notes))
        rows.append(row)
    return pd.DataFrame(rows, columns=HEADER)


def platform_columns(measurement: Measurement | None,
                     platforms: Sequence[str]) -> pd.DataFrame:
    """One row per platform id (in the given order): its measured figures over the window."""
    rows = []
    for pid in platforms:
        row = _empty()
        metrics = {} if measurement is None else measurement.platforms.get(pid, {})
        notes = []
        for metric, m in metrics.items():
            row.update(_cells(metric, m.loss, m.recaptured, m.net))
            if m.loss is None and m.reason:
                notes.append(f"{metric}: {m.reason}")
        if metrics:
            row["measured_synthetic"] = str(any(m.synthetic for m in metrics.values())).lower()
        row["measured_note"] = "; ".join(dict.fromkeys(notes))
        rows.append(row)
    return pd.DataFrame(rows, columns=HEADER)

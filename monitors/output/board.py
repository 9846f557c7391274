"""The live status board: platform-rounds, one tile row per platform, the heartbeat strip."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from monitors import verdict
from monitors.analysis.incidents import Outage
from monitors.config import Platform
from monitors.history.notes import Record
from monitors.output import present
from monitors.probes import OFFICIAL_KINDS
from monitors.vocabulary import OFFICIAL_INDICATOR_STATUS

_ROUND = ["vantage", "platform", "ts"]
ROUND_COLUMNS = [*_ROUND, "status", "failing", "ok", "refused", "latency_ms", "offline",
                 "official_status", "official_detail"]
BOARD_COLUMNS = ["platform", "name", "provider", "status", "confirmed", "since", "latency_ms",
                 "last_check", "age_s", "surfaces", "failing", "official_status",
                 "official_text", "official_url", "cause", "note", "vantages", "refused",
                 "incident", "ack_by", "ack_at"]
LASTING_REFUSAL_S = 3600.0  # a surface refused this long is named on its tile and in status


def platform_rounds(samples: pd.DataFrame) -> pd.DataFrame:
    """One row per platform-round (vantage, platform, ts): verdict, failing/ok/refused surfaces,
    latency, and the vendor's word.

    The verdict is `monitors.verdict`'s rule (refused is not down; user-facing surfaces
    decide); `failing`, `ok` and `refused` name the surfaces behind it.
    """
    if samples.empty:
        return pd.DataFrame(columns=ROUND_COLUMNS)
    gid = samples.groupby(_ROUND, sort=True, observed=True).ngroup().to_numpy()
    n = int(gid.max()) + 1 if len(gid) else 0
    codes = verdict.decide(gid, n, verdict.row_flags(
        lambda column, values: samples[column].isin(values).to_numpy()))
    probe = samples[~samples["kind"].isin(OFFICIAL_KINDS)]
    keyed = probe.assign(
        _offline=probe["error"].eq("vantage_offline"),
        _lat=probe["latency_ms"].where(probe["status"].isin(["up", "degraded"])),
    )
    rounds = (samples.assign(_gid=gid).groupby(_ROUND, sort=True, observed=True)
              .agg(_gid=("_gid", "first")).reset_index())
    stats = keyed.groupby(_ROUND, sort=True, observed=True).agg(
        offline=("_offline", "any"), latency_ms=("_lat", "median"))
    rounds = rounds.merge(stats.reset_index(), on=_ROUND, how="left")
    rounds["offline"] = rounds["offline"].fillna(False).astype(bool)
    rounds["status"] = [verdict.NAMES[int(c)] for c in codes[rounds["_gid"].to_numpy()]]
    bad = keyed[keyed["status"].isin(["down", "degraded"])
                & ~keyed["error"].isin(verdict.NOT_FAILURES)]
    groups = {
        "failing": bad.assign(_v=list(zip(bad["check"], bad["status"], strict=True))),
        "ok": keyed[keyed["status"].eq("up")].assign(_v=lambda f: f["check"]),
        "refused": keyed[keyed["error"].eq(verdict.REFUSAL_ERROR)].assign(
            _v=lambda f: f["check"]),
    }
    for name, part in groups.items():
        values = part.groupby(_ROUND, observed=True)["_v"].agg(tuple).rename(name)
        rounds = rounds.merge(values, on=_ROUND, how="left")
        rounds[name] = rounds[name].apply(lambda v: v if isinstance(v, tuple) else ())
    return _with_official(rounds, samples)[ROUND_COLUMNS]


def _with_official(rounds: pd.DataFrame, samples: pd.DataFrame) -> pd.DataFrame:
    official = samples[samples["kind"].isin(OFFICIAL_KINDS)]
    official = (official.sort_values("ts").drop_duplicates(_ROUND, keep="last")
                [[*_ROUND, "status", "detail"]]
                .rename(columns={"status": "official_status", "detail": "official_detail"}))
    return rounds.merge(official, on=_ROUND, how="left")


def _combine(latest: pd.DataFrame) -> tuple[str, str]:
    """One status across vantages: what more than half of those that could see the platform
    saw, else degraded; refused or unknown when none could."""
    online = latest[~latest["offline"] & ~latest["status"].isin(["unknown", "refused"])]
    if online.empty:
        if latest["status"].eq("refused").any():
            return "refused", ""
        return "unknown", "own network offline" if latest["offline"].any() else ""
    counts = online["status"].value_counts()
    if len(online) == 1 or counts.iloc[0] == len(online):
        return str(counts.index[0]), ""
    for status in ("down", "degraded", "up"):
        if counts.get(status, 0) * 2 > len(online):
            return status, ""
    seen = ", ".join(f"{s} from {v}" for v, s in zip(online["vantage"], online["status"],
                                                     strict=True))
    return "degraded", f"vantages disagree: {seen}"


def _streak_start(rows: pd.DataFrame, status: str) -> pd.Timestamp | None:
    """First ts of the latest run of rounds with this status (None if it spans everything)."""
    differs = rows.index[rows["status"].ne(status)]
    if len(differs) == 0:
        return None
    after = rows.loc[differs[-1]:].iloc[1:]
    return after["ts"].iloc[0] if len(after) else None


def _lasting_refusals(own: pd.DataFrame, now: datetime) -> tuple[tuple[str, pd.Timestamp], ...]:
    """(check, refused since) for surfaces refused in every round for over an hour, newest
    round included (one vantage's rounds, sorted by ts)."""
    if own.empty or not own["refused"].iloc[-1]:
        return ()
    out = []
    for check in own["refused"].iloc[-1]:
        holds = own["refused"].map(lambda refused, c=check: c in refused).to_numpy()
        breaks = np.flatnonzero(~holds)
        since = own["ts"].iloc[breaks[-1] + 1 if len(breaks) else 0]
        if (pd.Timestamp(now) - since).total_seconds() >= LASTING_REFUSAL_S:
            out.append((str(check), since))
    return tuple(out)


def _official_columns(platform: Platform, official: Mapping[str, dict],
                      latest: pd.DataFrame) -> tuple[object, str, str]:
    info = official.get(platform.id)
    if info:
        indicator = str(info.get("indicator") or "none")
        status = OFFICIAL_INDICATOR_STATUS.get(indicator, "unknown")
        text = info.get("title") or info.get("description") or present.OFFICIAL_LABELS[status]
        if indicator == "maintenance":
            text = f"Maintenance: {text}"
        return status, str(text), str(info.get("url") or platform.status_page or "")
    known = latest["official_status"].dropna()
    if known.empty:
        return None, "", platform.status_page
    status = str(known.iloc[-1])
    detail = latest["official_detail"].dropna()
    text = str(detail.iloc[-1]) if len(detail) else present.OFFICIAL_LABELS.get(status, "")
    return status, text, platform.status_page


def _ongoing(outages: Sequence[Outage]) -> dict[str, Outage]:
    return {o.platform: o for o in outages if o.end is None}


def _last_end(outages: Sequence[Outage]) -> dict[str, datetime]:
    ends: dict[str, datetime] = {}
    for outage in outages:
        if outage.end is not None and (outage.platform not in ends
                                       or outage.end > ends[outage.platform]):
            ends[outage.platform] = outage.end
    return ends


def _board_row(platform: Platform, rows: pd.DataFrame, now: datetime, outage: Outage | None,
               last_end: datetime | None, official: Mapping[str, dict]) -> dict:
    row = {"platform": platform.id, "name": platform.name, "provider": platform.provider_name,
           "status": "unknown", "confirmed": False, "since": pd.NaT, "latency_ms": float("nan"),
           "last_check": pd.NaT, "age_s": float("nan"), "surfaces": "", "failing": (),
           "cause": "", "note": "", "vantages": (), "refused": (), "incident": "",
           "ack_by": "", "ack_at": pd.NaT}
    row["official_status"], row["official_text"], row["official_url"] = _official_columns(
        platform, official, rows.tail(1) if len(rows) else rows)
    if rows.empty:
        row["note"] = "no checks yet"
        return row
    latest = rows[rows["ts"] == rows.groupby("vantage")["ts"].transform("max")]
    status, note = _combine(latest)
    main = latest.sort_values("ts").iloc[-1]
    own = rows[rows["vantage"] == main["vantage"]].reset_index(drop=True)
    row.update(status=status, note=note, last_check=main["ts"], latency_ms=main["latency_ms"],
               age_s=(pd.Timestamp(now) - main["ts"]).total_seconds(),
               failing=main["failing"],
               surfaces=present.surfaces_text(main["failing"], main["ok"], main["refused"]),
               vantages=tuple(sorted(latest["vantage"])))
    lasting = _lasting_refusals(own, now)
    row["refused"] = lasting
    if outage is None and status == "refused":
        row["since"] = _streak_start(own, status) or own["ts"].iloc[0]
        row["note"] = (f"{platform.name} refuses this monitor's checks "
                       f"({present.surface_list(main['refused'])}): can't see it from here")
        return row
    if lasting:
        judged = [present.surface(c) for c in main["ok"]] + [
            present.surface(c) for c, _ in main["failing"]]
        since = min(t for _, t in lasting)
        row["note"] = row["note"] or present.refusal_note(
            platform.name, [c for c, _ in lasting], since, judged, now)
    if outage is not None:
        row.update(since=pd.Timestamp(outage.start), cause=outage.cause, confirmed=True,
                   incident=outage.id)
        if status == "up":
            row["note"] = row["note"] or "recovering: waiting for more good rounds"
        return row
    if status == "up":
        row["confirmed"] = True
        row["since"] = pd.Timestamp(last_end) if last_end else pd.NaT
        row["surfaces"] = ""
        return row
    row["since"] = _streak_start(own, status) or own["ts"].iloc[0]
    if status in ("down", "degraded"):
        row["note"] = row["note"] or "not confirmed yet: waiting for another failed round"
    return row


def status_board(samples: pd.DataFrame, platforms: Sequence[Platform], *,
                 outages: Sequence[Outage] = (), official: Mapping[str, dict] | None = None,
                 now: datetime, acks: Mapping[str, Record] | None = None) -> pd.DataFrame:
    """One row per platform, grouped by provider: status, since when, latency, surfaces, official.

    `samples` are recent raw samples; `outages` come from detection over a longer window, so
    "since" is the outage start (or the last recovery for a platform that is up). `acks`:
    per ongoing outage id, who said "I'm on it" (`incident`, `ack_by`, `ack_at` columns).
    """
    rounds = platform_rounds(samples)
    ongoing, ends = _ongoing(outages), _last_end(outages)
    by_platform = dict(tuple(rounds.groupby("platform", sort=False))) if len(rounds) else {}
    rows = [
        _board_row(p, by_platform.get(p.id, rounds.iloc[0:0]).sort_values("ts"), now,
                   ongoing.get(p.id), ends.get(p.id), official or {})
        for p in platforms
    ]
    for row in rows:
        ack = (acks or {}).get(row["incident"]) if row["incident"] else None
        if ack is not None:
            row.update(ack_by=ack.by, ack_at=pd.Timestamp(ack.at))
    board = pd.DataFrame(rows, columns=BOARD_COLUMNS)
    order = {name: i for i, name in enumerate(dict.fromkeys(p.provider_name for p in platforms))}
    board["_order"] = board["provider"].map(order)
    return board.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


def recent_rounds(samples: pd.DataFrame, platforms: Sequence[Platform], *,
                  rounds: int = 30) -> pd.DataFrame:
    """The last `rounds` platform-rounds per platform (the heartbeat strip): ts, name, status."""
    table = platform_rounds(samples)
    names = {p.id: p.name for p in platforms}
    table = table[table["platform"].isin(names)]
    if table.empty:
        return pd.DataFrame(columns=["ts", "platform", "name", "status", "surfaces"])
    table = table.sort_values("ts").groupby("platform", observed=True).tail(rounds)
    table = table.assign(
        name=table["platform"].map(names),
        surfaces=[present.surfaces_text(f, o, r) for f, o, r in zip(
            table["failing"], table["ok"], table["refused"], strict=True)],
    )
    order = {p.id: i for i, p in enumerate(platforms)}
    table = table.assign(_o=table["platform"].map(order)).sort_values(["_o", "ts"])
    return table[["ts", "platform", "name", "status", "surfaces"]].reset_index(drop=True)

"""Replay real-world probe traces through the real catalog, runner and detection (issue #15).

The traces (`realworld/`: episodes.csv, observations_all.csv, outages.json) are what public
Upptime monitors recorded. Each episode is played minute by minute as in the traces'
README, "Replaying a trace":

- one real minute is one round of `monitors.sampling.runner.run_round` on the episode's
  platform from
  the built-in catalog, every check rewritten to a server on 127.0.0.1 (`replay_targets`):
  HTTP(S) checks and status pages to a local HTTP server, `dns` to a local DNS server asked
  as an explicit nameserver, `tls` to a local TLS server with a trustme certificate;
- the surface the trace watched (its homepage -> the catalog's `web` check, an `/api` path
  -> `api`, a host of another catalog surface -> that surface) answers the recorded code:
  a refusal or error code with a short body that names no brand, code 0 as a connection
  reset; every other surface, `dns`, `tls` and the status page (all operational) answer
  healthy;
- the window runs from 15 minutes before the episode to 15 after, the episode capped at
  120 minutes; within the episode the code of the last status commit holds until the next;
- the rounds run now, but their samples get the trace's minute as `ts`, and the episode's
  samples go through `monitors.analysis.uptime.analyse` (the analysis behind `monitors incidents`)
  with the monitor's default confirm/recover.

A refusal minute inside a detected outage (down or degraded) is a false outage; an episode of
a documented outage that failed with a 5xx or no answer must be caught.

Used by bench/realworld_replay.py (all traces) and tests/test_realworld_replay.py (a few).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import pyarrow as pa

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import replay_targets  # noqa: E402

from monitors.analysis.incidents import Outage  # noqa: E402
from monitors.analysis.uptime import analyse  # noqa: E402
from monitors.config import (  # noqa: E402
    Business,
    Monitor,
    Platform,
    default_platforms,
)
from monitors.history.schema import SAMPLE_SCHEMA  # noqa: E402
from monitors.probes.base import make_ssl_context  # noqa: E402
from monitors.sampling.runner import run_round  # noqa: E402
from monitors.timeutil import Window  # noqa: E402

try:  # the sampler's polite client (back-off, fallback URLs), where the code has one
    from monitors.sampling.politeness import Politeness
except ModuleNotFoundError:
    Politeness = None  # type: ignore[assignment, misc]

LOCAL = replay_targets.LOCAL
VANTAGE = "replay"
BEFORE_MIN, AFTER_MIN, CAP_MIN = 15, 15, 120
MINUTE = timedelta(minutes=1)

# The traces' platform names -> the catalog's platform ids.
PLATFORM_IDS = {
    "Facebook": "facebook", "Instagram": "instagram", "WhatsApp": "whatsapp",
    "Messenger": "messenger", "Threads": "threads", "X/Twitter": "x", "LinkedIn": "linkedin",
    "TikTok": "tiktok", "YouTube": "youtube", "Pinterest": "pinterest",
    "Snapchat": "snapchat", "Reddit": "reddit", "Discord": "discord",
    "Telegram": "telegram", "Slack": "slack",
}


def is_refusal_code(code: int) -> bool:
    """The front door refused the probe: 429, LinkedIn's 999, or another 4xx."""
    return code in (429, 999) or 400 <= code < 500


def is_failure_code(code: int) -> bool:
    """What a real outage looks like on a homepage probe: a 5xx, or no answer (0)."""
    return code == 0 or 500 <= code < 600


# --- the traces ------------------------------------------------------------------------------

@dataclass
class RealWorld:
    """The trace files of one folder."""

    folder: Path
    episodes: pd.DataFrame
    observations: pd.DataFrame
    outages: list[dict[str, Any]]


def load(folder: str | Path) -> RealWorld:
    """Read episodes.csv, observations_all.csv and outages.json (if present) of a folder."""
    folder = Path(folder)
    episodes = pd.read_csv(folder / "episodes.csv", keep_default_na=True)
    episodes["start"] = pd.to_datetime(episodes["start"], utc=True)
    episodes["end"] = pd.to_datetime(episodes["end"], utc=True)
    observations = pd.read_csv(folder / "observations_all.csv")
    observations["ts"] = pd.to_datetime(observations["ts"], utc=True)
    observations = observations.sort_values("ts", kind="stable").reset_index(drop=True)
    path = folder / "outages.json"
    outages = json.loads(path.read_text())["outages"] if path.exists() else []
    return RealWorld(folder, episodes, observations, outages)


@dataclass
class Episode:
    """One down/degraded episode of one monitor, ready to play."""

    key: str  # "repo|site|start"
    row: int  # its row in episodes.csv
    repo: str
    site: str
    platform: str  # catalog id
    url: str
    surface: str  # the catalog check that answers the recorded code
    kind: str  # "refusal", "failure" (5xx / no answer) or "other" (e.g. 200 but slow)
    code_class: str
    documented: str | None  # id of the documented outage it matches
    start: datetime  # the first status commit of the episode
    end: datetime  # recorded end, or start + duration when open at the end of the trace
    played_end: datetime  # end, capped at `cap` minutes after start
    capped: bool
    minutes: list[tuple[datetime, int | None]] = field(default_factory=list)  # None: healthy

    def own(self, ts: datetime) -> bool:
        """Whether a minute belongs to this episode's (capped) span."""
        return self.start <= ts < self.played_end


def _codes(text: object) -> list[int]:
    return [int(c) for c in re.findall(r"\d+", str(text))]


def episode_kind(code_class: str, codes_seen: object) -> str:
    """refusal / failure / other, from the codes the episode recorded."""
    codes = _codes(codes_seen)
    if codes and all(is_refusal_code(c) for c in codes):
        return "refusal"
    if codes and all(is_failure_code(c) for c in codes):
        return "failure"
    if str(code_class).startswith(("5xx", "no_response")):
        return "failure"
    return "other"


def surface_of(url: str, platform: Platform) -> str:
    """The catalog check that covers what the trace watched: an /api path -> `api`, a host
    of another HTTP surface (e.g. web.whatsapp.com -> `messaging`) -> it, else `web`."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    ids = {c.id for c in platform.checks}
    if "/api" in (parts.path or "") and "api" in ids:
        return "api"
    host = (parts.hostname or "").lower()
    for check in platform.checks:
        if (check.kind == "http" and check.id not in ("web", "api")
                and (urlsplit(check.url).hostname or "").lower() == host):
            return check.id
    return "web"


def _floor(ts: pd.Timestamp) -> datetime:
    return ts.floor("min").to_pydatetime()


def episodes_of(world: RealWorld, *, before: int = BEFORE_MIN, after: int = AFTER_MIN,
                cap: int = CAP_MIN, kinds: Iterable[str] = ("refusal", "failure", "other"),
                platforms: dict[str, Platform] | None = None) -> list[Episode]:
    """Every episode of these kinds on a catalog platform, with its minutes to play."""
    platforms = platforms or {p.id: p for p in default_platforms()}
    kinds = set(kinds)
    frame = world.episodes
    spans: dict[tuple[str, str], list[tuple[pd.Timestamp, pd.Timestamp]]] = {}
    built: list[tuple[int, pd.Series, pd.Timestamp]] = []
    for row, item in frame.iterrows():
        end = item["end"]
        if pd.isna(end):
            end = item["start"] + pd.Timedelta(minutes=float(item["duration_min"]))
        spans.setdefault((item["repo"], item["site"]), []).append((item["start"], end))
        built.append((int(row), item, end))
    observed = {key: part for key, part in world.observations.groupby(["repo", "site"],
                                                                      sort=False)}
    out = []
    for row, item, end in built:
        pid = PLATFORM_IDS.get(str(item["platform"]))
        kind = episode_kind(item["code_class"], item["codes_seen"])
        if pid is None or pid not in platforms or kind not in kinds:
            continue
        platform = platforms[pid]
        start = item["start"]
        played_end = min(end, start + pd.Timedelta(minutes=cap))
        documented = item.get("matched_documented_outage")
        episode = Episode(
            key=f"{item['repo']}|{item['site']}|{start.strftime('%Y-%m-%dT%H:%M:%SZ')}",
            row=row, repo=str(item["repo"]), site=str(item["site"]), platform=pid,
            url=str(item["url"]), surface=surface_of(str(item["url"]), platform), kind=kind,
            code_class=str(item["code_class"]),
            documented=None if pd.isna(documented) else str(documented),
            start=start.to_pydatetime(), end=end.to_pydatetime(),
            played_end=played_end.to_pydatetime(), capped=bool(end > played_end),
        )
        commits = observed.get((item["repo"], item["site"]))
        others = [s for s in spans[(item["repo"], item["site"])] if s[0] != start]
        episode.minutes = _minutes(episode, int(item["start_code"]), commits, others,
                                   before, after)
        out.append(episode)
    return out


def select(episodes: Iterable[Episode], *, failures: bool = False) -> list[Episode]:
    """What issue #15 measures: every refusal episode, and every episode of a documented
    outage that failed with a 5xx or no answer; with `failures`, every other 5xx / no-answer
    episode too (expected to be detected, but not documented)."""
    return [e for e in episodes if e.kind == "refusal"
            or (e.kind == "failure" and (e.documented or failures))]


def _minutes(episode: Episode, start_code: int, commits: pd.DataFrame | None,
             others: list[tuple[pd.Timestamp, pd.Timestamp]], before: int,
             after: int) -> list[tuple[datetime, int | None]]:
    """The code to answer at each minute of the window (None: healthy).

    Inside the episode the last failing commit's code holds; outside it the surface is
    healthy unless the minute falls in another recorded episode of the same monitor.
    """
    first = _floor(pd.Timestamp(episode.start)) - before * MINUTE
    last = _floor(pd.Timestamp(episode.played_end)) + after * MINUTE
    failing = pd.DataFrame(columns=["ts", "http_code"])
    if commits is not None:
        failing = commits[commits["state"] != "up"][["ts", "http_code"]]
    stamps = pd.DatetimeIndex(failing["ts"]).as_unit("ns").asi8
    codes = failing["http_code"].to_numpy()

    def code_at(ts: datetime, since: pd.Timestamp, default: int) -> int:
        moment, lo = pd.Timestamp(ts).as_unit("ns").value, pd.Timestamp(since).as_unit("ns").value
        mask = (stamps <= moment) & (stamps >= lo)
        return int(codes[mask][-1]) if mask.any() else default

    minutes: list[tuple[datetime, int | None]] = []
    ts = first
    while ts <= last:
        code: int | None = None
        if episode.own(ts):
            code = code_at(ts, pd.Timestamp(episode.start), start_code)
        else:
            for lo, hi in others:
                if lo.to_pydatetime() <= ts < hi.to_pydatetime():
                    code = code_at(ts, lo, start_code)
                    break
        minutes.append((ts, None if code is None or code == 200 else code))
        ts += MINUTE
    return minutes


# --- the catalog on loopback ----------------------------------------------------------------

def healthy_answer(check: Any) -> replay_targets.Answer:
    """What a working surface answers: its first expected status, with the keyword and the
    JSON field the check wants; a status page says all is operational."""
    if check.kind == "statuspage":
        return 200, "application/json", json.dumps(_operational(check)).encode()
    code = check.expect_status[0]
    brand = check.keyword or "replay"
    if check.json_field:
        body = {check.json_field: {"message": f"{brand} replay"}, "note": brand}
        return code, "application/json", json.dumps(body).encode()
    page = f"<!doctype html><html><head><title>{brand}</title></head><body>{brand}</body></html>"
    return code, "text/html; charset=utf-8", page.encode()


def _operational(check: Any) -> Any:
    stamp = "2025-01-01T00:00:00.000Z"
    if check.format == "metastatus":
        return [{"id": org, "name": org, "services": [
            {"id": 1, "name": f"{org} service", "status": "No known issues", "time": stamp}]}
            for org in check.orgs or ["replay"]]
    if check.format == "slack":
        return {"status": "ok", "active_incidents": [], "date_created": stamp,
                "date_updated": stamp}
    names = list(check.components) or ["Website"]
    page_id = check.page_id or "replay0000001"
    return {
        "page": {"id": page_id, "name": "Replay", "url": f"http://{LOCAL}/",
                 "time_zone": "Etc/UTC", "updated_at": stamp},
        "components": [{"id": f"c{i:011d}", "name": name, "status": "operational",
                        "created_at": stamp, "updated_at": stamp, "position": i,
                        "description": None, "showcase": False, "start_date": None,
                        "group_id": None, "page_id": page_id, "group": False,
                        "only_show_if_degraded": False} for i, name in enumerate(names)],
        "incidents": [], "scheduled_maintenances": [],
        "status": {"indicator": "none", "description": "All Systems Operational"},
    }


def answer_table(platforms: Iterable[Platform]) -> dict[str, replay_targets.Answer]:
    """`platform/check` -> healthy answer, for every HTTP and status-page check."""
    return {f"{p.id}/{c.id}": healthy_answer(c) for p in platforms for c in p.checks
            if c.kind in ("http", "statuspage")}


def tls_names(platforms: Iterable[Platform]) -> list[str]:
    """Every name a TLS check verifies (the local certificate holds them all)."""
    return sorted({c.server_name or c.host for p in platforms for c in p.checks
                   if c.kind == "tls"})


class LocalPlatform:
    """One catalog platform on loopback: healthy, or with one surface answering a code."""

    def __init__(self, platform: Platform, ports: dict[str, int], *, https: bool = False):
        self.platform = platform
        self.ports = ports
        self.scheme = "https" if https else "http"
        self.healthy = self._build(None, None)
        self._variants: dict[tuple[str, int], Platform] = {}

    def variant(self, surface: str, code: int | None) -> Platform:
        """The platform with `surface` answering `code` (None: all healthy)."""
        if code is None:
            return self.healthy
        key = (surface, code)
        if key not in self._variants:
            self._variants[key] = self._build(surface, code)
        return self._variants[key]

    def _url(self, check: dict, url: str, failing: int | None) -> str:
        port = self.ports["https" if self.scheme == "https" else "http"]
        path = urlsplit(url).path or "/"
        what = f"ok/{self.platform.id}" if failing is None else f"fail/{failing}/{self.platform.id}"
        return f"{self.scheme}://{LOCAL}:{port}/{what}/{check['id']}{path}"

    def _build(self, surface: str | None, code: int | None) -> Platform:
        raw = self.platform.model_dump(mode="json")
        checks = []
        for check in raw["checks"]:
            check = dict(check)
            kind = check["kind"]
            if kind in ("http", "statuspage"):
                failing = code if check["id"] == surface else None
                check["url"] = self._url(check, check["url"], failing)
                # other URLs of the surface (politeness moves to them after long refusals)
                # answer as the surface does: the same front door
                if check.get("fallback_urls"):
                    check["fallback_urls"] = [self._url(check, url, failing)
                                              for url in check["fallback_urls"]]
            elif kind == "dns":
                check.update(nameserver=LOCAL, port=self.ports["dns"])
            elif kind == "tls":
                check.update(server_name=check.get("server_name") or check["host"], host=LOCAL,
                             port=self.ports["tls"])
            elif kind == "tcp":
                check.update(host=LOCAL, port=self.ports["http"])
            else:
                raise ValueError(f"{self.platform.id}/{check['id']}: kind {kind!r} has no "
                                 "local target")
            checks.append(check)
        if surface is not None and surface not in {c["id"] for c in checks}:
            raise ValueError(f"{self.platform.id} has no check {surface!r}")
        built = Platform.model_validate({**raw, "checks": checks})
        assert_loopback(built)
        return built


def assert_loopback(platform: Platform) -> None:
    """Refuse a platform any of whose checks could reach beyond 127.0.0.1: every URL in any
    field but the note (the URL, fallback URLs …), every host and nameserver. (A dns check's
    `name` and a tls check's `server_name` are only asked about, never connected to.)"""
    for check in platform.checks:
        fields = check.model_dump(mode="json", exclude={"note"})
        targets = [fields.get(name) for name in ("host", "nameserver")]
        if check.kind == "dns" and not fields.get("nameserver"):
            raise RuntimeError(f"{platform.id}/{check.id} would ask the system resolver")
        stack = list(fields.values())
        while stack:
            value = stack.pop()
            if isinstance(value, list | tuple):
                stack.extend(value)
            elif isinstance(value, dict):
                stack.extend(value.values())
            elif isinstance(value, str) and "://" in value:
                targets.append(urlsplit(value).hostname)
        for target in targets:
            if target is not None and target != LOCAL:
                raise RuntimeError(f"{platform.id}/{check.id} targets {target!r}, not {LOCAL}")


def replay_monitor(targets: replay_targets.Targets, timeout_s: float = 5.0) -> Monitor:
    """The monitor settings of the replay: catalog defaults (interval 60 s, confirm and
    recover) but a loopback control, the local CA and a short timeout."""
    return Monitor(vantage=VANTAGE, timeout=timeout_s, controls=[
        f"tcp://{LOCAL}:{targets.ports['http']}"], ca_bundle=targets.ca_path)


# --- playing and judging ----------------------------------------------------------------------

@dataclass
class Result:
    """What the replay of one episode found."""

    key: str
    platform: str
    site: str
    url: str
    surface: str
    kind: str
    code_class: str
    documented: str | None
    start: str
    played_end: str
    capped: bool
    rounds: int
    codes_played: dict[str, int]  # recorded code -> minutes, inside the episode
    refusal_minutes: int
    refusal_minutes_in_outages: int
    failure_minutes: int
    failure_minutes_in_outages: int
    false_outages: int  # detected outages overlapping a refusal minute
    caught: bool | None  # failure episodes: an outage overlapped its failure minutes
    surface_samples: dict[str, int]  # "status/error" of the watched surface, failing minutes
    backoff_samples: int  # refused (backed-off) samples of the surface after it healed
    noise_samples: int  # any other non-up sample: other checks, or the surface when healthy
    noise: dict[str, int]  # those by "check:status/error" (e.g. "dns:degraded/slow")
    vantage_offline_rounds: int
    outages: list[dict[str, Any]]


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.strftime("%Y-%m-%dT%H:%M:%SZ")


_NOW: ContextVar[datetime | None] = ContextVar("replay_now", default=None)


@contextlib.contextmanager
def synthetic_clock() -> Iterator[None]:
    """While active, `monitors.sampling.runner`'s clock reads the playing lane's minute.

    run_round has no parameter for the round's time: it stamps samples (and asks the polite
    client) with `monitors.sampling.runner.utcnow()`. Each lane is an asyncio task with its own
    context, so each sees its own minute; outside a lane the real clock answers.
    """
    import monitors.sampling.runner as runner

    real = runner.utcnow

    def clock() -> datetime:
        value = _NOW.get()
        return value if value is not None else real()

    runner.utcnow = clock
    try:
        yield
    finally:
        runner.utcnow = real


def _round_kwargs(politeness: Any) -> dict[str, Any]:
    if politeness is not None and "politeness" in inspect.signature(run_round).parameters:
        return {"politeness": politeness}
    return {}


async def play(episode: Episode, local: LocalPlatform, monitor: Monitor, ssl_context: Any,
               *, polite: bool = True) -> tuple[list[dict[str, Any]], int]:
    """Run one round per minute (with the sampler's polite client when the code has one);
    samples carry the minute as ts. Returns (rows, rounds the vantage was offline)."""
    rows: list[dict[str, Any]] = []
    offline = 0
    extra = _round_kwargs(Politeness(monitor.interval) if polite and Politeness else None)
    for ts, code in episode.minutes:
        variant = local.variant(episode.surface, code)
        _NOW.set(ts)
        found = await run_round([variant], monitor, vantage=VANTAGE, ssl_context=ssl_context,
                                **extra)
        offline += bool(found.vantage_offline)
        for sample in found.samples:
            sample["ts"] = ts  # whatever the runner's clock said
            rows.append(sample)
    return rows, offline


def samples_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Sample rows typed as history returns them."""
    return pa.Table.from_pylist(rows, schema=SAMPLE_SCHEMA).to_pandas()


def detect(episode: Episode, rows: list[dict[str, Any]], platform: Platform,
           monitor: Monitor) -> list[Outage]:
    """The outages `monitors.analysis.uptime.analyse` finds in the episode's samples."""
    start = episode.minutes[0][0]
    end = episode.minutes[-1][0] + MINUTE
    found = analyse(samples_frame(rows), [platform], monitor, Business(), Window(start, end),
                    now=end)
    return found.outages


def judge(episode: Episode, rows: list[dict[str, Any]], outages: Sequence[Outage],
          offline_rounds: int = 0) -> Result:
    """Refusal and failure minutes of the episode against the detected outages."""
    window_end = episode.minutes[-1][0] + MINUTE

    def inside(ts: datetime, outage: Outage) -> bool:
        return outage.start <= ts < (outage.end or window_end)

    own = [(ts, code) for ts, code in episode.minutes if episode.own(ts) and code is not None]
    refusals = [ts for ts, code in own if is_refusal_code(code)]
    failures = [ts for ts, code in own if is_failure_code(code)]
    failing_at = {ts: code for ts, code in episode.minutes if code is not None}
    surface, backoff, noise = Counter(), 0, Counter()
    for row in rows:
        watched = row["check"] == episode.surface
        if watched and row["ts"] in failing_at:
            surface[f"{row['status']}/{row['error'] or '-'}"] += 1
        elif watched and row["error"] == "refused":
            backoff += 1
        elif row["status"] != "up":
            noise[f"{row['check']}:{row['status']}/{row['error'] or '-'}"] += 1
    false = [o for o in outages if any(inside(ts, o) for ts in refusals)]
    return Result(
        key=episode.key, platform=episode.platform, site=episode.site, url=episode.url,
        surface=episode.surface, kind=episode.kind, code_class=episode.code_class,
        documented=episode.documented, start=_iso(episode.start),
        played_end=_iso(episode.played_end), capped=episode.capped,
        rounds=len(episode.minutes),
        codes_played=dict(Counter(str(code) for _, code in own)),
        refusal_minutes=len(refusals),
        refusal_minutes_in_outages=sum(any(inside(ts, o) for o in outages) for ts in refusals),
        failure_minutes=len(failures),
        failure_minutes_in_outages=sum(any(inside(ts, o) for o in outages) for ts in failures),
        false_outages=len(false),
        caught=(any(inside(ts, o) for ts in failures for o in outages) if failures else None),
        surface_samples=dict(surface), backoff_samples=backoff,
        noise_samples=sum(noise.values()), noise=dict(noise),
        vantage_offline_rounds=offline_rounds,
        outages=[{"start": _iso(o.start), "end": _iso(o.end), "severity": o.severity,
                  "checks": list(o.checks), "cause": o.cause, "error": o.error}
                 for o in outages],
    )


async def replay_async(episodes: Sequence[Episode], targets: replay_targets.Targets, *,
                       lanes: int = 8, https: bool = False, timeout_s: float = 5.0,
                       polite: bool = True, progress: Any = None) -> list[Result]:
    """Play every episode (up to `lanes` at once, longest first) and judge it."""
    catalog = {p.id: p for p in default_platforms()}
    monitor = replay_monitor(targets, timeout_s)
    ssl_context = make_ssl_context(monitor.ca_bundle)
    local = {pid: LocalPlatform(catalog[pid], targets.ports, https=https)
             for pid in {e.platform for e in episodes}}
    gate = asyncio.Semaphore(max(1, lanes))
    results: dict[str, Result] = {}

    async def one(episode: Episode) -> None:
        async with gate:
            rows, offline = await play(episode, local[episode.platform], monitor, ssl_context,
                                       polite=polite)
        outages = detect(episode, rows, catalog[episode.platform], monitor)
        results[episode.key] = judge(episode, rows, outages, offline)
        if progress is not None:
            progress(results[episode.key], len(results), len(episodes))

    order = sorted(episodes, key=lambda e: -len(e.minutes))
    with synthetic_clock():
        await asyncio.gather(*(one(e) for e in order))
    return [results[e.key] for e in episodes]


def start_targets(platforms: Iterable[Platform] | None = None) -> replay_targets.Targets:
    """The local servers, answering the healthy surfaces of these (default: all catalog)
    platforms."""
    platforms = list(platforms or default_platforms())
    return replay_targets.start(answer_table(platforms), tls_names(platforms))


def replay(episodes: Sequence[Episode], *, lanes: int = 8, https: bool = False,
           timeout_s: float = 5.0, polite: bool = True, progress: Any = None) -> list[Result]:
    """Start the local targets, play the episodes, stop the targets."""
    with start_targets() as targets:
        return asyncio.run(replay_async(episodes, targets, lanes=lanes, https=https,
                                        timeout_s=timeout_s, polite=polite,
                                        progress=progress))


def totals(results: Sequence[Result]) -> dict[str, Any]:
    """The figures of issue #15, over all results."""
    refusal = [r for r in results if r.kind == "refusal"]
    expected = [r for r in results if r.documented and r.failure_minutes]
    failures = [r for r in results if r.kind == "failure" and not r.documented]
    return {
        "episodes": len(results),
        "rounds": sum(r.rounds for r in results),
        "refusal_episodes": len(refusal),
        "refusal_minutes": sum(r.refusal_minutes for r in results),
        "refusal_minutes_in_outages": sum(r.refusal_minutes_in_outages for r in results),
        "false_incidents": sum(r.false_outages for r in results),
        "refusal_episodes_with_false_outage": sum(r.false_outages > 0 for r in refusal),
        "documented_outages_expected": sorted({r.documented for r in expected}),
        "documented_outages_caught": sorted({r.documented for r in expected if r.caught}),
        "documented_episodes_expected": len(expected),
        "documented_episodes_caught": sum(bool(r.caught) for r in expected),
        "other_failure_episodes": len(failures),
        "other_failure_episodes_caught": sum(bool(r.caught) for r in failures),
        "noise_samples": sum(r.noise_samples for r in results),
        "vantage_offline_rounds": sum(r.vantage_offline_rounds for r in results),
    }


def summary_lines(figures: dict[str, Any]) -> list[str]:
    """The totals as the lines the bench prints."""
    return [
        f"refusal minutes: {figures['refusal_minutes']}",
        f"refusal minutes inside detected outages: {figures['refusal_minutes_in_outages']}",
        f"false incidents: {figures['false_incidents']} "
        f"(in {figures['refusal_episodes_with_false_outage']} of "
        f"{figures['refusal_episodes']} refusal episodes)",
        f"refusal episodes: {figures['refusal_episodes']}",
        f"documented outages caught/expected: {len(figures['documented_outages_caught'])}/"
        f"{len(figures['documented_outages_expected'])} "
        f"({', '.join(figures['documented_outages_expected']) or 'none'})",
    ] + ([f"other 5xx / no-answer episodes caught: {figures['other_failure_episodes_caught']}/"
          f"{figures['other_failure_episodes']}"] if figures["other_failure_episodes"] else [])


def as_json(results: Sequence[Result], **meta: Any) -> dict[str, Any]:
    """Everything the bench writes to bench/out/realworld_replay.json."""
    return {**meta, "totals": totals(results), "episodes": [asdict(r) for r in results]}


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """fn(*args, **kwargs) and its wall time in seconds."""
    began = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - began

"""The demo's cast (simulated platforms) and scripted story as data, and the world at time t.

Times are story seconds from the start of a cycle; `--speed F` makes a story second last 1/F
real seconds, and the story repeats every `CYCLE_S` so a long-running demo keeps showing
outages. Nothing here does I/O: `servers.py` asks `Story.at(elapsed_s)` what to answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DnsMode = Literal["ok", "servfail", "nxdomain", "timeout"]
HttpMode = Literal["ok", "slow", "flap", "error"]


# ------------------------------------------------------------------ the cast
@dataclass(frozen=True, slots=True)
class Character:
    """A simulated platform: its HTTP surfaces, DNS names and status page."""

    id: str
    name: str
    provider: str
    surfaces: tuple[str, ...]  # HTTP surfaces served by the platform's own server
    dns: tuple[tuple[str, str], ...] = ()  # (check id, host name) answered by the demo DNS
    page: str | None = None  # simulated status page id
    component: str | None = None  # its component on that page


@dataclass(frozen=True, slots=True)
class Page:
    """A simulated vendor status page (Statuspage v2 summary.json)."""

    id: str
    name: str
    components: tuple[str, ...]


CAST: tuple[Character, ...] = (
    Character("facebook", "Facebook", "Meta", ("web",),
              (("dns", "www.facebook.com"), ("dns-cdn", "static.xx.fbcdn.net")),
              "meta", "Facebook"),
    Character("instagram", "Instagram", "Meta", ("web",),
              (("dns", "www.instagram.com"), ("dns-cdn", "scontent.cdninstagram.com")),
              "meta", "Instagram"),
    Character("whatsapp", "WhatsApp", "Meta", ("messaging",),
              (("dns", "web.whatsapp.com"), ("dns-cdn", "mmg.whatsapp.net")),
              "meta", "WhatsApp"),
    Character("x", "X", "X Corp", ("web", "api")),
    Character("tiktok", "TikTok", "ByteDance", ("web", "api"), page="tiktok",
              component="TikTok Web"),
    Character("linkedin", "LinkedIn", "Microsoft", ("web", "api")),
    Character("youtube", "YouTube", "Google", ("web", "media")),
    Character("reddit", "Reddit", "Reddit", ("web", "api")),
    Character("discord", "Discord", "Discord", ("web", "api"), page="discord",
              component="API"),
)

PAGES: tuple[Page, ...] = (
    Page("meta", "Meta Status (simulated)", ("Facebook", "Instagram", "WhatsApp")),
    Page("tiktok", "TikTok Status (simulated)", ("TikTok Web", "TikTok For Business")),
    Page("discord", "Discord Status (simulated)", ("API", "Gateway", "Media Proxy")),
)


# ------------------------------------------------------------------ effects
@dataclass(frozen=True, slots=True)
class DnsFailure:
    """The demo DNS server fails these platforms' names (only `checks`, if given)."""

    platforms: tuple[str, ...]
    mode: DnsMode
    checks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Unreachable:
    """These platforms' servers refuse connections (routes withdrawn)."""

    platforms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Slow:
    """These platforms' HTTP surfaces answer after `delay_s` real seconds."""

    platforms: tuple[str, ...]
    delay_s: float


@dataclass(frozen=True, slots=True)
class Flap:
    """One surface fails every other request (HTTP 503): single failures, never an outage."""

    platform: str
    surface: str


@dataclass(frozen=True, slots=True)
class Maintenance:
    """A scheduled maintenance on a status page; announced `notice_s` before it starts."""

    page: str
    name: str
    components: tuple[str, ...]
    notice_s: float = 60.0


@dataclass(frozen=True, slots=True)
class Incident:
    """A vendor incident on a status page; `updates` are (story seconds after start, status,
    text); it is resolved when its scene ends."""

    page: str
    name: str
    components: tuple[str, ...]
    impact: Literal["minor", "major", "critical"]
    updates: tuple[tuple[float, str, str], ...]


Effect = DnsFailure | Unreachable | Slow | Flap | Maintenance | Incident


@dataclass(frozen=True, slots=True)
class Scene:
    """One stretch of the story: [start_s, end_s) in story seconds, and what happens."""

    start_s: float
    end_s: float
    title: str
    effects: tuple[Effect, ...]


META = ("facebook", "instagram", "whatsapp")
CYCLE_S = 600.0
SLOW_DELAY_S = 0.9  # X's answers; its checks count as degraded after SLOW_AFTER_S
SLOW_AFTER_S = 0.5

SCENES: tuple[Scene, ...] = (
    Scene(30, 570, "Reddit API flapping: every other request fails (never an outage)",
          (Flap("reddit", "api"),)),
    Scene(60, 300, "X degraded: answers take 0.9 s (slow responses)",
          (Slow(("x",), SLOW_DELAY_S),)),
    Scene(90, 330, "TikTok scheduled maintenance (per its status page)",
          (Maintenance("tiktok", "Scheduled infrastructure maintenance",
                       ("TikTok Web", "TikTok For Business"), notice_s=90),)),
    Scene(120, 420, "Meta-wide DNS outage: Facebook, Instagram and WhatsApp unreachable",
          (DnsFailure(META, "servfail", ("dns",)), DnsFailure(META, "nxdomain", ("dns-cdn",)),
           Unreachable(META))),
    Scene(180, 420, "Meta acknowledges the outage on its status page",
          (Incident("meta", "Facebook, Instagram and WhatsApp unavailable",
                    ("Facebook", "Instagram", "WhatsApp"), "critical",
                    ((0, "investigating", "We're aware that some people are having trouble "
                         "reaching our apps and are working to get things back to normal."),
                     (120, "identified", "A faulty configuration change on our backbone "
                           "routers withdrew the routes to our DNS servers."))),)),
)


# ------------------------------------------------------------------ the world at time t
@dataclass(frozen=True, slots=True)
class PageEvent:
    """An incident or maintenance as its status page shows it right now."""

    name: str
    components: tuple[str, ...]
    status: str  # Statuspage words: investigating, identified, scheduled, in_progress
    impact: str  # none | minor | major | critical | maintenance
    started_ago_s: float  # story seconds since it began (negative: in the future)
    ends_in_s: float  # story seconds until it ends
    update: str = ""


@dataclass(frozen=True, slots=True)
class World:
    """What every simulated endpoint does at one moment of the story."""

    t: float  # story seconds into the cycle
    scenes: tuple[Scene, ...] = ()
    dns: dict[tuple[str, str], DnsMode] = field(default_factory=dict)
    unreachable: frozenset[str] = frozenset()
    slow: dict[str, float] = field(default_factory=dict)
    flapping: frozenset[tuple[str, str]] = frozenset()
    pages: dict[str, tuple[PageEvent, ...]] = field(default_factory=dict)

    def dns_mode(self, platform: str, check: str) -> DnsMode:
        """How the DNS server answers for this platform's check name."""
        return self.dns.get((platform, check), "ok")

    def http_mode(self, platform: str, surface: str) -> tuple[HttpMode, float]:
        """How this HTTP surface answers: (mode, delay in real seconds)."""
        if (platform, surface) in self.flapping:
            return "flap", 0.0
        if platform in self.slow:
            return "slow", self.slow[platform]
        return "ok", 0.0


class Story:
    """The scenes on a repeating clock, scaled by `speed`."""

    def __init__(self, scenes: tuple[Scene, ...] = SCENES, *, speed: float = 1.0,
                 cycle_s: float = CYCLE_S) -> None:
        if speed <= 0:
            raise ValueError("speed must be above zero")
        self.scenes, self.speed, self.cycle_s = scenes, speed, cycle_s

    def story_time(self, elapsed_s: float) -> float:
        """Story seconds into the current cycle after `elapsed_s` real seconds."""
        return max(0.0, elapsed_s) * self.speed % self.cycle_s

    def at(self, elapsed_s: float) -> World:
        """The world `elapsed_s` real seconds after the story started."""
        t = self.story_time(elapsed_s)
        active = tuple(s for s in self.scenes if s.start_s <= t < s.end_s)
        dns: dict[tuple[str, str], DnsMode] = {}
        unreachable: set[str] = set()
        slow: dict[str, float] = {}
        flapping: set[tuple[str, str]] = set()
        for scene in active:
            for effect in scene.effects:
                if isinstance(effect, DnsFailure):
                    dns.update(_dns_failures(effect))
                elif isinstance(effect, Unreachable):
                    unreachable.update(effect.platforms)
                elif isinstance(effect, Slow):
                    slow.update(dict.fromkeys(effect.platforms, effect.delay_s))
                elif isinstance(effect, Flap):
                    flapping.add((effect.platform, effect.surface))
        return World(t, active, dns, frozenset(unreachable), slow, frozenset(flapping),
                     self._pages(t))

    def _pages(self, t: float) -> dict[str, tuple[PageEvent, ...]]:
        pages: dict[str, list[PageEvent]] = {}
        for scene in self.scenes:
            for effect in scene.effects:
                event = _page_event(scene, effect, t)
                if event is not None:
                    pages.setdefault(effect.page, []).append(event)  # type: ignore[union-attr]
        return {page: tuple(events) for page, events in pages.items()}

    def timeline(self) -> list[dict]:
        """The scenes in real seconds from the start at this speed (banner, tests)."""
        return [{"start_s": s.start_s / self.speed, "end_s": s.end_s / self.speed,
                 "title": s.title} for s in sorted(self.scenes, key=lambda s: s.start_s)]


def _dns_failures(effect: DnsFailure) -> dict[tuple[str, str], DnsMode]:
    by_id = {c.id: c for c in CAST}
    return {(platform, check): effect.mode
            for platform in effect.platforms for check, _ in by_id[platform].dns
            if not effect.checks or check in effect.checks}


def _page_event(scene: Scene, effect: Effect, t: float) -> PageEvent | None:
    """What a page shows for this effect at story time t (None: nothing, or over)."""
    ago, left = t - scene.start_s, scene.end_s - t
    if isinstance(effect, Maintenance):
        if -effect.notice_s <= ago < 0:
            status = "scheduled"
        elif ago >= 0 and left > 0:
            status = "in_progress"
        else:
            return None
        return PageEvent(effect.name, effect.components, status, "maintenance", ago, left,
                         "Maintenance windows are announced a week ahead on this page.")
    if isinstance(effect, Incident) and ago >= 0 and left > 0:
        _, status, text = max((u for u in effect.updates if u[0] <= ago), key=lambda u: u[0])
        return PageEvent(effect.name, effect.components, status, effect.impact, ago, left, text)
    return None


def character(platform_id: str) -> Character:
    """The cast member with this id."""
    return next(c for c in CAST if c.id == platform_id)

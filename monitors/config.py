"""Typed configuration (pydantic) and loading: file, environment, built-in catalog."""

from __future__ import annotations

import os
import re
import socket
import ssl
import tomllib
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from monitors import catalog
from monitors.config_errors import describe_error
from monitors.config_notice import Notice, PlatformNotice
from monitors.config_series import BusinessSeries, Measured
from monitors.probes import AnyCheck
from monitors.probes.base import DEFAULT_USER_AGENT, Duration
from monitors.timeutil import parse_hours, zone

CONFIG_ENV = "MONITORS_CONFIG"
DATA_ENV = "MONITORS_DATA"
DEFAULT_CONFIG_FILE = "monitors.toml"
DEFAULT_CONTROLS = ["https://1.1.1.1/", "https://dns.google/"]


class ConfigError(ValueError):
    """Bad configuration; the message is one line naming the file and the field."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))  # one line, whatever a value held


def _valid_control(value: str) -> str:
    if not re.match(r"^(https?://[^/\s]+|tcp://[^/\s]+:\d+)(/\S*)?$", value):
        raise ValueError(f"{value!r} is not a control; use an http(s):// URL or tcp://host:port")
    return value


def _valid_data(value: str) -> str:
    if not value.strip():
        raise ValueError("the data location cannot be empty")
    if "://" in value and not value.startswith(("s3://", "file://", "memory://")):
        raise ValueError(f"{value!r}: use a folder or an s3://bucket/prefix URL")
    return value.strip()


MIN_INTERVAL_S = 0.5  # between rounds; less floods the log and the platforms (tests use 0.5s)
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def _min_interval(value: float) -> float:
    if value < MIN_INTERVAL_S:
        raise ValueError(f"rounds must be at least {MIN_INTERVAL_S:g}s apart")
    return value


def _header_value(value: str) -> str:
    bad = _CONTROL_CHARS.search(value)
    if bad:  # "\r\n" would smuggle a header into every request, and httpx refuses it anyway
        raise ValueError(f"control character {bad.group()!r} is not allowed in an HTTP header")
    if not value.isascii():
        raise ValueError("an HTTP header value must be ASCII")
    return value


def _ca_bundle(value: str | None) -> str | None:
    if value is None:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        why = "is a folder, not a file" if path.is_dir() else "no such file"
        raise ValueError(f"{value!r}: {why}")
    try:  # the same load the probes do, so a bad bundle fails here and not on every check
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=str(path))
    except (OSError, ssl.SSLError) as exc:
        why = type(exc).__name__
        raise ValueError(f"{value!r}: not a readable PEM CA bundle ({why})") from None
    return str(path)


Control = Annotated[str, AfterValidator(_valid_control)]
Interval = Annotated[Duration, AfterValidator(_min_interval)]
HeaderValue = Annotated[str, AfterValidator(_header_value)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Monitor(_Model):
    """How the sampler samples and where history lives."""

    interval: Interval = Field(60.0, description="Time between rounds.")
    timeout: Duration = Field(10.0, gt=0, le=120, description="Hard bound for each check.")
    confirm: int = Field(2, ge=1, le=100, description="Failed rounds before an outage opens.")
    recover: int = Field(2, ge=1, le=100, description="Good rounds before an outage closes.")
    vantage: str = Field(
        default_factory=lambda: (
            re.sub(r"[^a-z0-9_-]", "-", socket.gethostname().lower())[:40] or "local"
        ),
        pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$",
        description="Name of this sampler's location (default: host name).",
    )
    data: Annotated[str, AfterValidator(_valid_data)] = Field(
        "data", description="History folder, or an object-store URL such as s3://bucket/prefix."
    )
    storage_endpoint: str | None = Field(
        None, description="S3-compatible endpoint URL for the data location (e.g. MinIO)."
    )
    default_platforms: bool = Field(True, description="Include the built-in platform catalog.")
    controls: list[Control] = Field(
        default_factory=lambda: list(DEFAULT_CONTROLS),
        description="Reachability controls: when they fail the round is the monitor's own "
        "network, not the platforms.",
    )
    flush_every: Duration = Field(30.0, gt=0, description="History buffer flushed this often.")
    flush_rows: int = Field(5000, ge=1, description="...or when this many samples are buffered.")
    compact_every: Duration = Field(3600.0, gt=0, description="Compaction and roll-ups period.")
    concurrency: int = Field(32, ge=1, le=1024, description="Checks in flight at once.")
    quorum: float = Field(
        0.5,
        ge=0,
        lt=1,
        description="A platform is down where more than this share of online vantages agree.",
    )
    user_agent: HeaderValue = Field(
        DEFAULT_USER_AGENT, description="User-Agent sent by HTTP checks."
    )
    ca_bundle: Annotated[str | None, AfterValidator(_ca_bundle)] = Field(
        None, description="Extra CA bundle file for TLS verification."
    )
    heartbeat_url: str | None = Field(
        None, description="healthchecks.io-style URL pinged after every round."
    )
    dashboard_url: str = Field(
        "http://127.0.0.1:8501", description="Link to the dashboard used in alerts."
    )
    renotify_after: Duration = Field(
        3600.0, ge=0, description="Minimum time before the same alert is sent again."
    )


class Business(_Model):
    """The business profile used for impact estimates and display."""

    name: str = Field("", description="Business name shown in reports.")
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$", description="ISO 4217 currency code.")
    timezone: str = Field("UTC", description="IANA timezone for display and business hours.")
    hours: str = Field("Mon-Fri 09:00-18:00", description="Business hours, local time.")
    off_hours_weight: float = Field(
        0.3, ge=0, le=1, description="Value of an hour outside business hours, relative."
    )
    degraded_factor: float = Field(
        0.3, ge=0, le=1, description="Share of the value lost while a platform is degraded."
    )
    series: list[BusinessSeries] = Field(
        default_factory=list, description="[[business.series]]: the business's own numbers."
    )
    measured: Measured = Field(default_factory=Measured, description="Measured impact.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, value: str) -> str:
        parse_hours(value)
        return value


class Impact(_Model):
    """What an hour of a platform is worth to the business."""

    revenue_per_hour: float = Field(0.0, ge=0, description="Sales through the platform per hour.")
    leads_per_hour: float = Field(0.0, ge=0, description="Leads through the platform per hour.")
    lead_value: float = Field(0.0, ge=0, description="Value of one lead.")
    ad_spend_per_day: float = Field(0.0, ge=0, description="Ad spend on the platform per day.")
    recapture: float = Field(
        0.0, ge=0, le=1, description="Share of lost sales that come back later."
    )


class Playbook(_Model):
    """The business's contingency plan while a platform is down."""

    fallbacks: list[str] = Field(default_factory=list, description="Channels to use instead.")
    steps: list[str] = Field(default_factory=list, description="What to do, in order.")
    reviewed: date | None = Field(None, description="When the playbook was last reviewed.")


class Platform(_Model):
    """A monitored platform with its checks, value and playbook."""

    id: Slug = Field(description="Unique id; overrides a built-in platform of the same id.")
    name: str = Field(min_length=1, description="Display name.")
    provider: str = Field("", description="Company; platforms of one provider are grouped.")
    interval: Interval | None = Field(None, description="Overrides monitor.interval.")
    status_page: str = Field("", description="Human link to the official status page.")
    checks: list[AnyCheck] = Field(min_length=1, description="The surfaces to check.")
    impact: Impact = Field(default_factory=Impact, description="Business value of the platform.")
    playbook: Playbook = Field(default_factory=Playbook, description="Contingency plan.")
    notice: PlatformNotice = Field(default_factory=PlatformNotice, description="Customer notice.")

    @model_validator(mode="after")
    def _unique_checks(self) -> Platform:
        seen: set[str] = set()
        for index, check in enumerate(self.checks):
            if check.id in seen:
                raise ValueError(f"checks[{index}].id: duplicate check id {check.id!r}")
            seen.add(check.id)
        return self

    @property
    def provider_name(self) -> str:
        """The provider, or the platform's own name when none is set."""
        return self.provider or self.name


class Alert(_Model):
    """One notification target (an apprise URL) and where not to use it."""

    url: SecretStr = Field(description="apprise URL; may hold secrets, never shown.")
    name: str = Field("", description="Label shown in the UI instead of the URL.")
    avoid: list[str] = Field(
        default_factory=list, description="Platform ids; skip this target while one is down."
    )
    degraded: bool = Field(False, description="Also alert on degraded (opt-in).")
    events: list[Literal["opened", "resolved", "degraded", "provider", "vantage"]] = Field(
        default_factory=lambda: ["opened", "resolved", "provider", "vantage"],
        description="Which events this target receives.",
    )


class Config(_Model):
    """The whole configuration file."""

    monitor: Monitor = Field(default_factory=Monitor, description="The [monitor] table.")
    business: Business = Field(default_factory=Business, description="The [business] table.")
    platforms: list[Platform] = Field(
        default_factory=list, description="[[platforms]]: added to (or overriding) the catalog."
    )
    alerts: list[Alert] = Field(default_factory=list, description="[[alerts]]: where to notify.")
    notice: Notice = Field(default_factory=Notice, description="The [notice] table.")

    @model_validator(mode="after")
    def _unique_platforms(self) -> Config:
        seen: set[str] = set()
        for index, platform in enumerate(self.platforms):
            if platform.id in seen:
                raise ValueError(f"platforms[{index}].id: duplicate platform id {platform.id!r}")
            seen.add(platform.id)
        return self


class Settings(BaseModel):
    """A loaded config with the catalog merged in and the data location resolved."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    config: Config
    platforms: tuple[Platform, ...]
    data: str
    source: str  # the config file, or "built-in defaults"

    @property
    def monitor(self) -> Monitor:
        """Shortcut to the [monitor] table."""
        return self.config.monitor

    @property
    def business(self) -> Business:
        """Shortcut to the [business] table."""
        return self.config.business

    @property
    def alerts(self) -> list[Alert]:
        """Shortcut to the [[alerts]] targets."""
        return self.config.alerts

    def platform(self, platform_id: str) -> Platform | None:
        """The platform with this id, if configured."""
        return next((p for p in self.platforms if p.id == platform_id), None)




def parse_config(raw: dict[str, Any], source: str = "config") -> Config:
    """Validate a config mapping; raise ConfigError naming the source and the field."""
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {describe_error(exc)}") from None
    except RecursionError:
        raise ConfigError(f"{source}: values nested too deeply") from None


def read_config_file(path: str | Path) -> Config:
    """Read and validate a TOML config file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config ({type(exc).__name__})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError(f"{path}: not valid TOML (arrays or tables nested too deeply)") from None
    return parse_config(raw, str(path))


@cache
def default_platforms() -> tuple[Platform, ...]:
    """The validated built-in platforms (monitors/catalog.py is data only)."""
    return tuple(Platform.model_validate(p) for p in catalog.PLATFORMS)


def merge_platforms(config: Config) -> tuple[Platform, ...]:
    """The catalog (unless disabled) with user platforms overriding by id, user order last."""
    user = {p.id: p for p in config.platforms}
    merged: list[Platform] = []
    if config.monitor.default_platforms:
        merged = [user.pop(p.id, p) for p in default_platforms()]
    merged.extend(p for p in config.platforms if p.id in user)
    return tuple(merged)


def resolve_config_path(path: str | None) -> str | None:
    """--config, then $MONITORS_CONFIG, then ./monitors.toml if present, else None."""
    if path:
        return path
    if os.environ.get(CONFIG_ENV):
        return os.environ[CONFIG_ENV]
    return DEFAULT_CONFIG_FILE if Path(DEFAULT_CONFIG_FILE).is_file() else None


def load_settings(config_path: str | None = None, data: str | None = None) -> Settings:
    """Load the effective settings: config file (or defaults), catalog, data location."""
    path = resolve_config_path(config_path)
    config = read_config_file(path) if path else Config()
    location = data or os.environ.get(DATA_ENV) or config.monitor.data
    try:
        location = _valid_data(location)
    except ValueError as exc:
        raise ConfigError(f"data: {exc}") from None
    return Settings(
        config=config,
        platforms=merge_platforms(config),
        data=location,
        source=str(path) if path else "built-in defaults",
    )


def all_targets(settings: Settings) -> list[str]:
    """Every URL or host the settings would contact (for the loopback guard and `check`)."""
    targets = list(settings.monitor.controls)
    for platform in settings.platforms:
        for check in platform.checks:
            for attr in ("url", "host", "nameserver", "name"):
                value = getattr(check, attr, None)
                if value:
                    targets.append(str(value))
    return targets

"""A data folder remembers the config it was recorded with (DATA/state/config.json), so the
commands that read it use the same catalog, business timezone, currency and values.

The sampler writes the record when it starts. It holds the config without its secrets (alert
URLs and the dead-man's switch URL are left out), the file it came from and a digest. A
reading command given no config (no --config, $MONITORS_CONFIG or ./monitors.toml) uses the
recorded one; given another, it uses that and warns that the folder was recorded with
different settings.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from monitors.config import (
    Config,
    ConfigError,
    Settings,
    load_settings,
    merge_platforms,
    resolve_config_path,
)
from monitors.history import state as statefile
from monitors.history.store import Store, store_for
from monitors.timeutil import utcnow

log = logging.getLogger("monitors.recorded")
NAME = "config.json"
_SECRETS = {"alerts": True, "monitor": {"heartbeat_url"}}


def _public(config: Config) -> dict[str, Any]:
    return config.model_dump(mode="json", exclude=_SECRETS)


def digest(config: Config) -> str:
    """A short digest of the settings that change what the history means (no secrets)."""
    text = json.dumps(_public(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def record(settings: Settings) -> None:
    """Remember, in the data folder, the config this sampler records with."""
    statefile.write_json(store_for(settings), NAME, {
        "source": settings.source, "digest": digest(settings.config),
        "recorded_at": utcnow().isoformat(), "config": _public(settings.config),
    })


def recorded(data: str | Store, storage_endpoint: str | None = None) -> dict[str, Any] | None:
    """The record of the config a data folder was recorded with, or None."""
    try:
        found = statefile.read_json(data, NAME, storage_endpoint=storage_endpoint)
    except OSError:
        return None
    if not isinstance(found, dict) or not isinstance(found.get("config"), dict):
        return None
    return found


def differences(ours: Config, theirs: dict[str, Any]) -> list[str]:
    """The top-level settings that differ ('business', 'platforms', 'monitor.interval' …)."""
    mine, out = _public(ours), []
    for section in ("monitor", "business", "platforms"):
        a, b = mine.get(section), theirs.get(section)
        if isinstance(a, dict) and isinstance(b, dict):
            out += [f"{section}.{key}" for key in sorted(set(a) | set(b))
                    if a.get(key) != b.get(key) and key not in ("data", "vantage")]
        elif a != b:
            out.append(section)
    return out


def settings_for_reading(config_path: str | None, data: str | None,
                         warn=None) -> Settings:
    """Settings for a command that reads history: the given config, or the one the data
    folder was recorded with; `warn(text)` is told when the two differ."""
    settings = load_settings(config_path, data)
    found = recorded(store_for(settings))
    if found is None:
        return settings
    if resolve_config_path(config_path) is None:
        try:
            config = Config.model_validate(found["config"])
        except ValueError as exc:
            raise ConfigError(f"{settings.data}: the recorded config is unreadable "
                              f"({type(exc).__name__}); give --config") from None
        return Settings(config=config, platforms=merge_platforms(config), data=settings.data,
                        source=f"{found.get('source', '?')} (as recorded in {settings.data})")
    changed = differences(settings.config, found["config"])
    if changed and warn is not None:
        shown = ", ".join(changed[:5]) + ("…" if len(changed) > 5 else "")
        warn(f"warning: {settings.data} was recorded with {found.get('source', '?')}; "
             f"{settings.source} differs in {shown}")
    return settings

"""Built-in platform catalog (data only): the platforms a business sells through."""

from __future__ import annotations

from functools import cache

from monitors.config import Platform

# Filled in by the catalog work; see issue 3 item 4.
PLATFORMS: list[dict] = []


@cache
def default_platforms() -> tuple[Platform, ...]:
    """The validated built-in platforms."""
    return tuple(Platform.model_validate(p) for p in PLATFORMS)

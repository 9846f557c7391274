"""The `[[business.series]]` tables: the business's own numbers, for measured impact.

A series is a CSV or Parquet file of timestamped values (an online shop's orders export,
a web-analytics export by source, an ads manager's daily spend). The config says which
column holds the time and the value, and which platform the numbers belong to: one
`platform`, or a `channel` column mapped to platforms by `[business.series.channels]`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitors.probes.base import Duration
from monitors.timeutil import zone

METRICS = ("revenue", "orders", "leads", "messages", "ad_spend")
Metric = Literal["revenue", "orders", "leads", "messages", "ad_spend"]
MONEY_METRICS = frozenset({"revenue", "ad_spend"})  # in the business currency; others count

PlatformId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]


class BusinessSeries(BaseModel):
    """One file of the business's own numbers, mapped to platforms and a metric."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str = Field(min_length=1, description="CSV or Parquet file, relative to the config.")
    time: str = Field("time", min_length=1, description="Time column (ISO 8601 by default).")
    time_format: str | None = Field(
        None, description="strftime format of the time column, when it is not ISO 8601."
    )
    value: str | None = Field(
        None, description="Value column; empty counts rows (one order per row)."
    )
    metric: Metric = Field(description="revenue | orders | leads | messages | ad_spend.")
    platform: PlatformId | None = Field(None, description="The platform every row belongs to.")
    channel: str | None = Field(None, description="Column naming each row's channel.")
    channels: dict[str, PlatformId] = Field(
        default_factory=dict, description="Channel value -> platform id (the channel column)."
    )
    timezone: str | None = Field(
        None, description="Zone of times without an offset (default: the business timezone)."
    )
    decimal: Literal[".", ","] = Field(".", description="Decimal mark of the value column.")
    synthetic: bool = Field(False, description="Synthetic sample data; labelled as such.")
    name: str = Field("", description="Label shown for this series (default: the file name).")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            zone(value)
        return value

    @model_validator(mode="after")
    def _one_mapping(self) -> BusinessSeries:
        if (self.platform is None) == (self.channel is None):
            raise ValueError("give either platform = \"id\" or channel = \"column\"")
        if self.channels and self.channel is None:
            raise ValueError("channels: a channel map needs channel = \"column\"")
        return self

    @property
    def label(self) -> str:
        """What the UI calls this series."""
        return self.name or self.file.replace("\\", "/").rsplit("/", 1)[-1]


class Measured(BaseModel):
    """How measured impact is computed from the series (`[business.measured]`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    recapture_window: Duration = Field(
        6 * 3600.0, ge=0, le=7 * 86400.0,
        description="Hours after an outage in which a surplus counts as recaptured.",
    )
    min_weeks: int = Field(
        3, ge=2, le=52, description="Weeks of history a baseline needs to be trusted."
    )

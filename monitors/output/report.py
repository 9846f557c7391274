"""CSV export and the self-contained meeting report (CLI commands `export` and `report`)."""

from __future__ import annotations

import io
import logging
import shlex
from collections.abc import Sequence
from datetime import datetime
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc

from monitors import history
from monitors.analysis import incident_notes, loaders, summary
from monitors.analysis.measure_window import measure_analysis, suggestions
from monitors.config import Settings
from monitors.output import charts, export, images, measured_view, present, report_html, tables
from monitors.output.export import neutralise, safe_cell
from monitors.timeutil import Window, utcnow

__all__ = ["build_report", "export_csv", "neutralise", "safe_cell"]
log = logging.getLogger("monitors.report")


def samples_csv(settings: Settings, where: loaders.Scope, out: IO[str]) -> int:
    """Stream raw samples of the window as CSV into `out`; returns the number of rows."""
    window = where.window
    batches = history.iter_sample_batches(history.store_for(settings), window.start,
                                          window.end)
    if where.vantages:
        batches = (b.filter(_in(b, "vantage", where.vantages)) for b in batches)
    return export.write_samples(batches, out, settings.business.timezone,
                                platforms=list(where.platforms) or None)


def _in(batch, column: str, values: Sequence[str]):

    return pc.is_in(batch.column(column), value_set=pa.array(list(values)))


def incidents_csv(settings: Settings, where: loaders.Scope) -> str:
    """Outages overlapping the window as CSV text."""
    analysis = loaders.analysis(settings, where)
    found = analysis.outages
    rows = export.incident_rows(found, settings.platforms, settings.business.timezone,
                                notes=incident_notes.notes_texts(settings, found),
                                measurement=measure_analysis(settings, analysis))
    return export.to_csv(rows)


def uptime_csv(settings: Settings, where: loaders.Scope) -> str:
    """Uptime per platform for the window as CSV text."""
    analysis = loaders.analysis(settings, where)
    rows = export.uptime_rows(summary.summary_json(analysis),
                              loaders.selected(settings, where.platforms), where.window,
                              settings.business.timezone,
                              measurement=measure_analysis(settings, analysis))
    return export.to_csv(rows)


def export_csv(settings: Settings, what: str, where: loaders.Scope, out: IO[str]) -> None:
    """Write one export (samples, incidents or uptime) for the window to `out`."""
    if what == "samples":
        samples_csv(settings, where, out)
    elif what == "incidents":
        out.write(incidents_csv(settings, where))
    elif what == "uptime":
        out.write(uptime_csv(settings, where))
    else:
        raise ValueError(f"unknown export {what!r}; use samples, incidents or uptime")


def report_data(analysis, previous: dict, platforms, settings: Settings, *, label: str,
                now: datetime) -> report_html.ReportData:
    """The report's content from an uptime.Analysis and the previous window's summary."""

    this = summary.summary_json(analysis)
    frame = tables.incident_frame(analysis.outages, platforms, now=now)
    currency = settings.business.currency
    return report_html.ReportData(
        business=settings.business.name, tz=settings.business.timezone, currency=currency,
        window=analysis.window, generated_at=now, window_label=label,
        summary=tables.window_summary(this, platforms),
        comparison=tables.period_comparison(this, previous, currency),
        incidents=frame, impact=tables.impact_table(analysis.impacts, platforms, frame,
                                                             analysis.maintenance),
        providers=tables.provider_incidents(analysis.outages, settings.business.timezone,
                                            now=now),
        assumptions=tables.general_assumptions(settings.business, frame),
        values=tables.value_table(platforms, currency),
        synthetic=loaders.is_synthetic(settings),
        follow_up=incident_notes.follow_up(settings, analysis.outages, platforms, now=now),
        measured=_measured(settings, analysis, platforms),
    )


def _measured(settings: Settings, analysis, platforms) -> measured_view.MeasuredSummary | None:
    """The report's measured section: None when the business gave no series."""
    measurement = measure_analysis(settings, analysis)
    if measurement is None:
        return None
    return measured_view.summarise(
        measurement, analysis.impacts, platforms, settings.business.currency,
        suggestions(settings, measurement), demo=loaders.is_synthetic(settings))


def gather(settings: Settings, where: loaders.Scope, *, label: str,
           now: datetime | None = None) -> report_html.ReportData:
    """Read and analyse everything the report shows (no images yet)."""
    now = now or utcnow()
    previous = loaders.Scope(where.window.previous(), where.platforms, where.vantages)
    return report_data(loaders.analysis(settings, where), loaders.summary(settings, previous),
                       loaders.selected(settings, where.platforms), settings, label=label,
                       now=now)


def report_figures(data: report_html.ReportData) -> dict[str, tuple[object, tuple[int, int]]]:
    """The charts embedded in the report, with their pixel sizes."""
    names = list(data.summary["name"])
    timeline = charts.outage_timeline(data.incidents, tz=data.tz, start=data.window.start,
                                      end=data.window.end, platforms=names)
    impact = charts.impact_bars(data.impact, currency=data.currency)
    return {
        "timeline": (timeline, (1100, max(260, 90 + 34 * len(names)))),
        "impact": (impact, (1100, max(220, 110 + 36 * max(1, len(data.impact))))),
    }


def add_images(data: report_html.ReportData) -> None:
    """Render the report's charts as PNG with kaleido on the system Chromium."""
    figures = report_figures(data)
    if data.impact.empty:
        figures.pop("impact")
    rendered = images.render([f for f, _ in figures.values()], [s for _, s in figures.values()])
    if rendered is None:
        data.notes.append("Charts were left out: no Chromium was found to draw them.")
        return
    data.images.update(zip(figures, rendered, strict=True))


def build_report(settings: Settings, window: Window | str, *, with_images: bool = True,
                 platforms: Sequence[str] = (), vantages: Sequence[str] = (),
                 now: datetime | None = None) -> str:
    """The self-contained meeting report (HTML) for a window such as '7d'."""
    now = now or utcnow()
    if isinstance(window, str):
        where = loaders.scope(window, end=now, platforms=platforms, vantages=vantages)
        label = present.window_label(window)
    else:
        where = loaders.Scope(window, tuple(platforms), tuple(vantages))
        label = present.duration(window.seconds)
    data = gather(settings, where, label=label, now=now)
    if with_images:
        add_images(data)
    return report_html.render(data)


def terminal_commands(settings: Settings, since: str) -> str:
    """The export and report commands for a terminal, reading the same data folder with the
    same config as the page that shows them (quoted for a POSIX shell)."""
    where = [f"--data {shlex.quote(settings.data)}"]
    if settings.source != "built-in defaults":
        where.insert(0, f"--config {shlex.quote(settings.source)}")
    common = " ".join([*where, f"--since {shlex.quote(since)}"])
    return (f"python -m monitors export --what incidents {common} -o incidents.csv\n"
            f"python -m monitors report {common} -o report.html")


def csv_bytes(settings: Settings, what: str, where: loaders.Scope) -> bytes:
    """One export as UTF-8 bytes (the dashboard's download buttons)."""
    buffer = io.StringIO()
    export_csv(settings, what, where, buffer)
    return buffer.getvalue().encode("utf-8")

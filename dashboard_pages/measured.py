"""Impact page, measured part: the business's own numbers beside the estimates, the chart of
actual vs expected around an incident, the calibration and the series upload."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from dashboard_pages.data import Filters, cached_analysis, data_key, figure
from monitors import history
from monitors.analysis import loaders
from monitors.analysis.measure_window import measure_analysis, suggestions
from monitors.analysis.measured import Measurement, around
from monitors.analysis.series import SeriesError, read_table
from monitors.config import Settings
from monitors.config_series import METRICS
from monitors.history import uploads
from monitors.output import measured_charts, measured_view, uploaded

CHART_HOURS = 24.0  # shown before and after the incident
safe = measured_view.md_escape  # text from files and users, shown as itself


@st.cache_data(ttl=600, show_spinner=False, max_entries=16)
def cached_measurement(_settings: Settings, key: tuple, start: datetime, end: datetime,
                       platforms: tuple, vantages: tuple,
                       series_key: tuple) -> tuple[Measurement | None, list[str]]:
    """The window's measured impact (series and uploads read, baselines fitted), cached on
    the history's version and the series files' and uploads' versions."""
    analysis = cached_analysis(_settings, key, start, end, platforms, vantages)
    extras, problems = uploaded.uploaded_series(history.store_for(_settings))
    return measure_analysis(_settings, analysis, extras), problems


def measured_ui(settings: Settings, f: Filters, result) -> None:
    """The measured section of the Impact page."""
    tz, currency = settings.business.timezone, settings.business.currency
    store = history.store_for(settings)
    st.markdown("##### Measured from your own numbers")
    key = data_key(settings)
    measurement, problems = cached_measurement(
        settings, key, f.window.start, f.window.end, f.platforms, f.vantages,
        uploaded.series_version(settings, store))
    platforms = loaders.selected(settings, f.platforms)
    names = {p.id: p.name for p in platforms}
    if measurement is None:
        st.info("No series of your own numbers yet: add a `[[business.series]]` table "
                "(examples/series/README.md) or upload an export below, and the estimates "
                "above get measured figures beside them.", icon=":material/query_stats:")
    else:
        demo = loaders.is_synthetic(settings)
        note = measured_view.synthetic_note(measurement, demo=demo)
        if note:
            st.warning(safe(note), icon=":material/science:")
        found = measured_view.summarise(measurement, result.impacts, platforms, currency,
                                        suggestions(settings, measurement), demo=demo)
        for line in [*found.problems, *problems]:
            st.error(safe(line), icon=":material/error:")
        st.caption("**Estimated** = from the values you assumed in the config; **measured** "
                   "= what your series show: expected (from the weeks before) minus actual "
                   "during each outage, less what came back after it; 95 % likely range.")
        if found.comparison.empty:
            st.info("No outage of a platform with a series in this window.")
        else:
            st.dataframe(found.comparison, hide_index=True, key="measured_comparison",
                         width="stretch")
        chart_ui(measurement, names, tz, currency, key, f)
        calibration_ui(found)
    upload_ui(settings, store)


def chart_ui(measurement: Measurement, names: dict, tz: str, currency: str, key: tuple,
             f: Filters) -> None:
    """Actual vs expected around a chosen incident, and the incident figures."""
    choices = measured_view.chart_choices(measurement, names, tz)
    if not choices:
        return
    labels = dict(choices)
    picked = st.selectbox("Incident", list(labels), format_func=labels.get,
                          key="measured_incident")
    item = measurement.incidents[picked]
    baseline = measurement.baselines[(item.platform, item.metric)]
    unit = item.unit
    title = f"{names.get(item.platform, item.platform)}: {item.metric}, actual vs expected"
    shown = (key, f.window, f.platforms, f.vantages, picked, item.metric, str(item.start))
    st.plotly_chart(figure("measured_around", shown, lambda: measured_charts.around_chart(
        around(baseline, item.start, item.end, hours=CHART_HOURS), tz=tz, unit=unit,
        title=title, synthetic=item.synthetic)), key="measured_chart")
    rows = measured_view.incident_rows(measurement, names, tz, currency)
    with st.expander("Every outage, measured", expanded=False):
        st.dataframe(rows, hide_index=True, key="measured_incidents", width="stretch")


def calibration_ui(found: measured_view.MeasuredSummary) -> None:
    """What the data suggest for each assumption, and the TOML to adopt it."""
    if not found.calibration:
        return
    st.markdown("##### What your numbers suggest for the assumptions")
    st.markdown("\n".join(f"- {safe(line)}" for line in found.calibration))
    st.caption("To adopt them, merge this into your config (the copy button is on the right):")
    st.code(found.toml, language="toml")


def upload_ui(settings: Settings, store: history.Store) -> None:
    """Upload a CSV or Parquet series; it is kept in the data folder, never overwritten."""
    with st.expander("Upload a series (CSV or Parquet)", expanded=False):
        kept = uploads.list_uploads(store)
        for item in kept[:10]:
            st.caption(safe(uploaded.describe(item, uploads.read_mapping(store, item))))
        file = st.file_uploader("Series file", type=["csv", "parquet"], key="series_upload",
                                label_visibility="collapsed")
        if file is None:
            return
        data = file.getvalue()
        try:
            upload = uploads.save_upload(store, file.name, data)
        except (uploads.UploadError, OSError) as exc:
            st.error(safe(f"Not kept: {exc}"), icon=":material/error:")
            return
        st.success(safe(f"Kept as {upload.rel}" + ("" if upload.new else " (the same file "
                   "was uploaded before; it is kept once)")), icon=":material/check_circle:")
        mapping_ui(settings, store, upload, data)


def mapping_ui(settings: Settings, store: history.Store, upload: uploads.Upload,
               data: bytes) -> None:
    """Which column is the time, the value and the platform (or channel) of an upload."""
    try:
        frame, _ = read_table(data, upload.name)
    except SeriesError as exc:
        st.error(safe(str(exc)), icon=":material/error:")
        return
    columns = uploaded.columns_of(frame.columns)
    left, right = st.columns(2)
    time = left.selectbox("Time column", columns, key="upload_time")
    value = left.selectbox("Value column", [uploaded.COUNT_ROWS, *columns], key="upload_value")
    metric = right.selectbox("Metric", list(METRICS), key="upload_metric")
    platform_ids = [p.id for p in settings.platforms]
    by = right.radio("Platform", ["one platform", "a channel column"], horizontal=True,
                     key="upload_by")
    platform = channel = None
    if by == "one platform":
        platform = right.selectbox("Platform", platform_ids, key="upload_platform")
    else:
        channel = right.selectbox("Channel column", columns, key="upload_channel")
    time_format = left.text_input("Time format (empty: ISO 8601)", key="upload_format",
                                  placeholder="%Y%m%d%H") or None
    table = uploaded.mapping(upload, time=time, metric=metric, value=value,
                             platform=platform, channel=channel, time_format=time_format)
    readable, line = uploaded.preview(settings, table, data)
    if not readable:
        st.error(safe(line), icon=":material/error:")
        return
    st.caption(safe(line))
    if st.button("Measure with this series", key="upload_use", type="primary"):
        uploads.save_mapping(store, upload, table)
        st.rerun()

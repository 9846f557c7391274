"""The meeting report as one self-contained HTML page (pure: data in, escaped HTML out)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from string import Template

import pandas as pd

from monitors.analysis.incident_notes import FollowUp
from monitors.output import charts, measured_html, notes_html, present
from monitors.output.measured_view import MeasuredSummary
from monitors.timeutil import Window


@dataclass(slots=True)
class ReportData:
    """Everything the report shows, already computed."""

    business: str
    tz: str
    currency: str
    window: Window
    generated_at: datetime
    window_label: str
    summary: pd.DataFrame  # tables.window_summary()
    comparison: pd.DataFrame  # tables.period_comparison()
    incidents: pd.DataFrame  # tables.incident_frame()
    providers: pd.DataFrame  # tables.provider_incidents()
    impact: pd.DataFrame  # tables.impact_by_platform()
    assumptions: list[str]  # tables.general_assumptions()
    values: pd.DataFrame  # tables.value_table(): what each platform is worth
    images: dict[str, bytes] = field(default_factory=dict)  # name -> PNG
    notes: list[str] = field(default_factory=list)
    synthetic: bool = False
    follow_up: FollowUp | None = None  # the team's notes and reviews, stale playbooks
    measured: MeasuredSummary | None = None  # measured_view.summarise(); None: no series


CSS = Template("""
:root { --ink:#0f172a; --muted:#64748b; --line:#e2e8f0; --soft:#f8fafc;
  --up:$up; --degraded:$degraded; --down:$down; --unknown:$unknown; }
* { box-sizing: border-box; }
body { font-family: $font; color: var(--ink); margin: 0; background: #fff;
  font-size: 15px; line-height: 1.45; }
main { max-width: 1120px; margin: 0 auto; padding: 40px 32px 64px; }
header { border-bottom: 3px solid var(--ink); padding-bottom: 16px; margin-bottom: 28px; }
h1 { font-size: 30px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 6px;
  border-bottom: 1px solid var(--line); }
.sub { color: var(--muted); margin: 0; }
.badge { display:inline-block; background:#fef3c7; color:#92400e; border:1px solid #f59e0b;
  border-radius: 999px; padding: 2px 10px; font-size: 12px; font-weight: 700; margin-left: 8px;
  vertical-align: middle; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 14px; }
.card { border: 1px solid var(--line); border-radius: 12px; padding: 14px 16px;
  background: var(--soft); }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase;
  letter-spacing: .06em; }
.card .value { font-size: 28px; font-weight: 700; margin-top: 2px; }
.card .hint { color: var(--muted); font-size: 13px; }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th { text-align: left; color: var(--muted); font-weight: 600; font-size: 12px;
  text-transform: uppercase; letter-spacing: .05em; border-bottom: 2px solid var(--line);
  padding: 8px 10px; }
td { border-bottom: 1px solid var(--line); padding: 8px 10px; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.pill { display:inline-block; border-radius: 999px; padding: 1px 9px; font-size: 12px;
  font-weight: 700; color: #fff; }
.pill.down { background: var(--down); } .pill.degraded { background: var(--degraded); }
.pill.maintenance { background: #6366f1; } .pill.up { background: var(--up); }
.bar { height: 8px; border-radius: 4px; background: var(--line); min-width: 80px;
  margin-top: .45em; }
.bar > span { display:block; height: 8px; border-radius: 4px; }
h3 { font-size: 16px; margin: 22px 0 8px; }
.nowrap { white-space: nowrap; }
figure { margin: 8px 0 0; }
figure img { width: 100%; height: auto; border: 1px solid var(--line); border-radius: 10px; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
ul.assumptions li { margin: 4px 0; }
.note { color: var(--muted); font-size: 13px; }
.fu { margin: 0 0 6px; overflow-wrap: anywhere; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px;
  border-top: 1px solid var(--line); padding-top: 12px; }
section.block { margin: 0; }
/* Severity colours, uptime bars and cards print as on screen, even when the print dialog's
   "background graphics" is off. */
html, body, .pill, .bar, .bar > span, .card, .badge {
  -webkit-print-color-adjust: exact; print-color-adjust: exact; color-adjust: exact; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { font-size: 10.5pt; } main { max-width: none; padding: 0; }
  header { margin-bottom: 16px; }
  h2 { margin-top: 18px; }
  .cards { grid-template-columns: repeat(4, 1fr); }
  /* Pages break between sections: a section (heading and its table or chart) moves whole to
     the next page rather than split, and a table longer than a page breaks between rows,
     its header repeated. */
  section.block, .card, figure, table, tr, .keep { break-inside: avoid;
    page-break-inside: avoid; }
  thead { display: table-header-group; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  section.page, section.new-page { break-before: page; page-break-before: always; }
  section.page table { break-inside: auto; page-break-inside: auto; font-size: 9.5pt; }
  td { padding: 6px 8px; } th { padding: 6px 8px; }
  figure img { max-height: 100mm; width: auto; max-width: 100%; }
  a { color: inherit; text-decoration: none; }
  footer { break-inside: avoid; }
}
""").substitute(**charts.STATUS_COLORS, font=charts.FONT) + measured_html.CSS
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _card(label: str, value: str, hint: str = "") -> str:
    return (f'<div class="card"><div class="label">{_e(label)}</div>'
            f'<div class="value">{_e(value)}</div><div class="hint">{_e(hint)}</div></div>')


def _headline(data: ReportData) -> str:
    s = data.summary
    ups = s["uptime_pct"].dropna()
    worst = s.dropna(subset=["uptime_pct"]).sort_values("uptime_pct").head(1)
    worst_hint = (f"lowest: {worst['name'].iloc[0]} {present.pct(worst['uptime_pct'].iloc[0])}"
                  if len(worst) and worst["uptime_pct"].iloc[0] < 100 else "every platform")
    down = float(s["down_s"].sum())
    leads = [v for v in data.incidents.get("official_lag_s", []) if v is not None and v == v]
    lead_hint = (f"median {present.duration(sorted(leads)[len(leads) // 2])} ahead of vendors"
                 if leads and sorted(leads)[len(leads) // 2] > 0 else "")
    impact = float(s["impact"].sum())
    return '<div class="cards">' + "".join([
        _card("Average uptime", present.pct(ups.mean()) if len(ups) else "—", worst_hint),
        _card("Outages", f"{len(data.incidents)}", lead_hint or "confirmed incidents"),
        _card("Time down", present.duration(down), "summed over platforms"),
        _card("Estimated impact", present.money(impact, data.currency),
              "revenue, leads, ad spend (estimate)"),
    ]) + "</div>"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    head = "".join(f'<th class="num">{_e(h)}</th>' if i in numeric else f"<th>{_e(h)}</th>"
                   for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _bar(value: float | None) -> str:
    if value is None or value != value:
        return ""
    width = max(0.0, min(100.0, (value - 95) / 5 * 100))
    color = charts.STATUS_COLORS["up" if value >= 99.9 else "degraded" if value >= 99 else "down"]
    return f'<div class="bar"><span style="width:{width:.0f}%;background:{color}"></span></div>'


def _uptime_section(data: ReportData) -> str:
    rows = [
        [_e(r.name), _e(r.provider), _e(present.pct(r.uptime_pct)), _bar(r.uptime_pct),
         _e(present.duration(r.down_s)), _e(present.duration(r.degraded_s)),
         _e(r.incidents), _e(present.money(r.impact, data.currency))]
        for r in data.summary.itertuples(index=False)
    ]
    return _table(["Platform", "Provider", "Uptime", "", "Down", "Degraded", "Outages",
                   "Impact"], rows, {2, 4, 5, 6, 7})


def _incident_section(data: ReportData) -> str:
    if data.incidents.empty:
        return '<p class="note">No outages in this window.</p>'
    rows = []
    for r in data.incidents.itertuples(index=False):
        vendor = " — ".join(p for p in (r.official_title, r.lead) if p)
        rows.append([
            _e(r.name), f'<span class="pill {_e(r.severity)}">'
            f"{_e(present.SEVERITY_LABELS.get(r.severity, r.severity))}</span>",
            f'<span class="nowrap">{_e(present.local_time(r.start, data.tz))}</span>',
            _e("ongoing" if r.ongoing else present.duration(r.duration_s)),
            _e(present.cause_text(r.cause))
            + (f'<div class="note">{_e(r.surfaces)}</div>' if r.surfaces else ""),
            _e(vendor), _e(present.money(r.impact, r.currency or data.currency)),
        ])
    return _table(["Platform", "Severity", "Started", "Duration", "Cause", "Vendor status",
                   "Impact"], rows, {6})


def _provider_section(data: ReportData) -> str:
    if data.providers.empty:
        return ""
    rows = [[_e(r.Incident), _e(r.Started), _e("ongoing" if r.Ongoing else r.Duration)]
            for r in data.providers.itertuples(index=False)]
    return ("<h3>Several platforms of one provider at once</h3>"
            + _table(["Incident", "Started", "Duration"], rows, {2}))


def _comparison_section(data: ReportData) -> str:
    rows = [[_e(r["Measure"]), _e(r["This window"]), _e(r["Previous window"]), _e(r["Change"])]
            for _, r in data.comparison.iterrows()]
    return _table(["", "This window", "Previous window", "Change"], rows, {1, 2, 3})


def _values_section(data: ReportData) -> str:
    if data.values.empty:
        return ""
    headers = list(data.values.columns)
    rows = [[_e(v) for v in row] for row in data.values.itertuples(index=False)]
    return ("<p class=\"note\">What an hour of each platform is worth to the business "
            "(configuration):</p>" + _table(headers, rows, set(range(1, len(headers)))))


def _figure(data: ReportData, name: str, caption: str) -> str:
    image = data.images.get(name)
    if not image:
        return ""
    encoded = base64.b64encode(image).decode()
    return (f'<figure class="keep"><img alt="{_e(caption)}" src="data:image/png;base64,{encoded}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def render(data: ReportData) -> str:
    """The whole report: summary, comparison, charts, uptime, incidents, assumptions."""
    span = (f"{present.local_time(data.window.start, data.tz, '%d %b %Y %H:%M')} – "
            f"{present.local_time(data.window.end, data.tz, '%d %b %Y %H:%M')} ({data.tz})")
    badge = '<span class="badge">DEMO DATA</span>' if data.synthetic else ""
    who = f"{data.business} · " if data.business else ""
    assumptions = "".join(f"<li>{_e(a)}</li>" for a in data.assumptions)
    notes = "".join(f'<p class="note">{_e(n)}</p>' for n in data.notes)
    generated = present.local_time(data.generated_at, data.tz, "%d %b %Y %H:%M %Z")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<title>Platform Pulse report — {_e(data.window_label)}</title>
<style>{CSS}</style></head>
<body><main>
<header><h1>Platform Pulse — outage report{badge}</h1>
<p class="sub">{_e(who)}Last {_e(data.window_label)}: {_e(span)}</p>
<p class="sub">Generated {_e(generated)}</p>
</header>
<section class="block summary">{_headline(data)}</section>
<section class="block"><h2>Outage timeline</h2>
{_figure(data, "timeline", "Outages per platform; red down, amber degraded, indigo maintenance.")}
</section>
<section class="block"><h2>This window vs the previous one</h2>
{_comparison_section(data)}</section>
<section class="block"><h2>Uptime per platform</h2>
{_uptime_section(data)}</section>
<section class="block"><h2>Estimated impact</h2>
{_figure(data, "impact", "Estimated cost per platform: lost revenue, lost leads and ad spend.")}
</section>
{measured_html.section(data.measured)}
<section class="page"><h2 id="incidents">Incident list</h2>
{_incident_section(data)}
{_provider_section(data)}</section>
{notes_html.follow_up_section(data.follow_up, data.tz)}
<section class="block new-page"><h2>Assumptions</h2>
<ul class="assumptions">{assumptions}</ul>
{_values_section(data)}
<p class="note">Impact figures are estimates from the business profile in the monitor's
configuration, not accounting figures. Uptime leaves out time when the monitor's own network
was offline.</p></section>
{notes}
<footer>Platform Pulse · self-hosted outage monitor · times in {_e(data.tz)}</footer>
</main></body></html>
"""


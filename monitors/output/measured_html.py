"""The meeting report's measured-impact section (pure: a MeasuredSummary in, escaped HTML out)."""

from __future__ import annotations

from html import escape

from monitors.output.measured_view import MeasuredSummary

CSS = """
.measured .synthetic { background:#fef3c7; color:#92400e; border:1px solid #f59e0b;
  border-radius: 8px; padding: 6px 10px; font-weight: 600; font-size: 13px; }
.measured .problem { color: #991b1b; font-size: 13px; }
.measured pre { background: var(--soft); border: 1px solid var(--line); border-radius: 8px;
  padding: 10px 12px; font-size: 12.5px; white-space: pre-wrap; overflow-wrap: anywhere; }
.measured td.measured { font-weight: 600; }
"""
EXPLAIN = ("Estimated figures come from the values assumed in the configuration (net of the "
           "assumed recapture). Measured figures come from the business's own series: what "
           "the weeks before predicted minus what happened during each outage, less the "
           "surplus measured after it, with a 95 % likely range. \"Not enough history\" means "
           "the series is too short or too patchy to predict from.")


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def section(found: MeasuredSummary | None) -> str:
    """The section, or "" when the business gave no series."""
    if found is None:
        return ""
    parts = ['<section class="measured new-page"><div class="keep"><h2>Measured impact</h2>']
    if found.synthetic:
        parts.append(f'<p class="synthetic">{_e(found.synthetic)}</p>')
    parts += [f'<p class="problem">{_e(p)}</p>' for p in found.problems]
    if found.comparison.empty:
        parts.append('<p class="note">No outage of a platform with a series in this '
                     "window.</p>")
    else:
        head = "".join(f"<th>{_e(c)}</th>" for c in found.comparison.columns)
        rows = "".join(
            "<tr>" + "".join(
                f'<td class="measured">{_e(v)}</td>' if i == 3 else f"<td>{_e(v)}</td>"
                for i, v in enumerate(row)) + "</tr>"
            for row in found.comparison.itertuples(index=False))
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    parts.append(f'<p class="note">{_e(EXPLAIN)}</p></div>')
    if found.calibration:
        items = "".join(f"<li>{_e(line)}</li>" for line in found.calibration)
        parts.append('<div class="keep"><h3>What the numbers suggest for the assumptions</h3>'
                     f'<ul class="assumptions">{items}</ul>'
                     '<p class="note">To adopt them, merge this into the configuration:</p>'
                     f"<pre>{_e(found.toml)}</pre></div>")
    parts.append("</section>")
    return "\n".join(parts)

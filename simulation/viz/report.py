"""A self-contained HTML report of one run: question, headline numbers, figures, cases, provenance.

Everything is inside one file (figures as base64 PNG, CSS inline, no scripts, no external
references), so it can be mailed, uploaded to a course page or opened offline.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import tomllib
from pathlib import Path
from typing import Any

from simulation.errors import ScenarioError
from simulation.viz import style
from simulation.viz.figures import RUN_FIGURES, RunData, load_run, run_figures

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.5;font-size:17px}
h1{font-size:1.9em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:2px solid #0072B2;padding-bottom:.2em}
.question{font-size:1.25em;background:#f3f8fc;border-left:6px solid #0072B2;padding:.6em 1em}
table{border-collapse:collapse;margin:1em 0}
td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.sub td:first-child{padding-left:2em}
tr.subsub td:first-child{padding-left:3.5em}figure{margin:1.5em 0}img{max-width:100%;height:auto}
figcaption{font-weight:bold;margin-bottom:.4em}pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:14px}
details{margin:1em 0}summary{cursor:pointer;font-weight:bold}.muted{color:#666}
.case{background:#fff8f0;border-left:6px solid #D55E00;padding:.2em 1em;margin:1em 0}
.case pre,pre.case{white-space:pre-wrap;overflow-wrap:anywhere}
@media print{body{max-width:none;margin:0;font-size:11pt}pre{white-space:pre-wrap;
overflow-wrap:anywhere;overflow:visible;font-size:9pt}details{display:block}
details>*{display:block}figure,table,.case{break-inside:avoid}img{max-width:100%}}
"""


def _fmt(value: Any, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit in ("share", "0-1"):
        return f"{value:.3f}"
    if unit == "days":
        return f"{value:.1f}"
    return f"{value:,.0f}"


def headline_rows(summary: dict[str, float]) -> list[tuple[str, str, str, int]]:
    """(label, formatted value, unit, indent level) for the report's headline table."""
    from simulation.headline import HEADLINE

    rows = []
    for key, text, unit in HEADLINE:
        indent = (len(text) - len(text.lstrip(" "))) // 2
        rows.append((text.strip(), _fmt(summary.get(key, float("nan")), unit), unit, indent))
    return rows


def scenario_question(run: RunData) -> tuple[str, str]:
    """(question, description): the shipped scenario's first comment line, and its description."""
    from simulation.scenario.catalogue import SCENARIO_DIR, scenario_purpose

    description = ""
    try:
        description = str(tomllib.loads(run.scenario_text).get("description", ""))
    except tomllib.TOMLDecodeError:
        pass
    question = ""
    shipped = SCENARIO_DIR / f"{run.name}.toml"
    if shipped.exists():
        question = scenario_purpose(shipped)
    return question or description or f"What happens in scenario {run.name}?", description


def png_data_uri(fig: Any, dpi: int = 90, compact: bool = False) -> str:
    """A figure as a base64 PNG data URI (``compact``: a 64-colour palette, about 3x smaller)."""
    buf = io.BytesIO()
    with style.styled():
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    data = compact_png(buf.getvalue()) if compact else buf.getvalue()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def compact_png(data: bytes, colors: int = 64) -> bytes:
    """Re-encode PNG bytes with a small palette (figures use few colours); unchanged without PIL."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover
        return data
    img = Image.open(io.BytesIO(data)).convert("RGB").quantize(colors=colors)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue() if out.tell() < len(data) else data


def render_report(run: RunData, cases: list[tuple[str, list[str]]] | None = None,
                  dpi: int = 90, compact: bool = False) -> str:
    """The report of a run as one HTML string."""
    e = html.escape
    question, description = scenario_question(run)
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(run.name)}: joint-sanctions report</title><style>{CSS}</style></head><body>",
        f"<h1>Scenario <code>{e(run.name)}</code></h1>",
        f'<p class="question">{e(question)}</p>',
    ]
    if description and description != question:
        parts.append(f"<p>{e(description)}</p>")
    seed = run.manifest.get("seed", "?")
    days = run.manifest.get("days", len(run.timeseries))
    parts.append(f'<p class="muted">One run: seed {e(str(seed))}, {e(str(days))} days. Counts are '
                 "over the whole run unless stated.</p>")
    parts.append("<h2>Headline results</h2><table><tr><th>metric</th><th>value</th><th>unit</th></tr>")
    for text, value, unit, indent in headline_rows(run.summary):
        cls = {1: ' class="sub"', 2: ' class="subsub"'}.get(indent, "")
        parts.append(f"<tr{cls}><td>{e(text)}</td><td class=\"num\">{e(value)}</td>"
                     f"<td>{e(unit)}</td></tr>")
    parts.append("</table>")
    parts.append("<h2>Figures</h2>")
    for stem, fig in run_figures(run).items():
        uri = png_data_uri(fig, dpi, compact)
        style.close(fig)
        q = RUN_FIGURES.get(stem, stem)
        parts.append(f'<figure id="{e(stem)}"><figcaption>{e(q)}</figcaption>'
                     f'<img src="{uri}" alt="{e(q)}"></figure>')
    if cases is not None:
        parts.append("<h2>Cases: the longest wrongful sanctions</h2>")
        if not cases:
            parts.append("<p>No one was wrongly sanctioned in this run.</p>")
        for title, lines in cases:
            parts.append(f'<div class="case"><h3>{e(title)}</h3><pre>{e(chr(10).join(lines))}</pre></div>')
        parts.append('<p class="muted">Trace any case yourself: <code>joint-sanctions trace RUN_DIR '
                     "--person ID</code>.</p>")
    parts.append("<h2>The scenario as run</h2><details><summary>Resolved scenario.toml "
                 f"(click to open)</summary><pre>{e(run.scenario_text)}</pre></details>")
    parts.append("<h2>Provenance</h2><table>")
    for key, value in run.manifest.items():
        text = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
        parts.append(f"<tr><td>{e(key)}</td><td>{e(text)}</td></tr>")
    parts.append("</table></body></html>")
    return "\n".join(parts) + "\n"


def write_report(run_dir: str | Path, out: str | Path | None = None, *, cases: int = 3,
                 dpi: int = 90, compact: bool = False) -> Path:
    """Write the report of a run folder to ``out`` (default ``<run_dir>/report.html``).

    ``cases`` is how many of the longest wrongful sanctions to tell (0: none, no rerun needed);
    ``compact`` stores figures with a small palette (for the committed gallery).
    """
    run = load_run(run_dir)
    stories = None
    if cases > 0 and (Path(run_dir) / "scenario.toml").exists():
        from simulation.viz.trace import rebuild, worst_cases

        try:
            stories = worst_cases(rebuild(run_dir), cases)
        except ScenarioError:
            stories = None
    target = Path(out) if out is not None else Path(run_dir) / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_report(run, stories, dpi, compact), encoding="utf-8")
    return target

"""Regenerate results/gallery/: a report and figures for every shipped scenario, and an index.

Usage: ``.venv/bin/python scripts/make_gallery.py [--only NAME ...] [--out results/gallery]``.
Each scenario runs at its own size and seed (deterministic), so the gallery changes only when the
model or the scenarios change. PNG only, at a moderate resolution, to keep the gallery small.
"""

from __future__ import annotations

import argparse
import html
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation import load_scenario, run  # noqa: E402
from simulation.scenario.catalogue import scenario_purpose  # noqa: E402
from simulation.viz.figures import RUN_FIGURES, plot_dir  # noqa: E402
from simulation.viz.report import compact_png, write_report  # noqa: E402

DPI = 72
HEADLINE = (("sanctions", "sanctions", "{:,.0f}"), ("wrongful_sanctions", "wrongful", "{:,.0f}"),
            ("wrongful_people", "people wrongly sanctioned", "{:,.0f}"),
            ("sanction_precision", "precision", "{:.3f}"), ("sanction_recall", "recall", "{:.3f}"),
            ("compliance_rate", "compliance", "{:.3f}"))
THUMBS = ("wrongful_by_cause", "who_bears_errors")


def _value(summary: dict, key: str, fmt: str) -> str:
    v = summary.get(key)
    return "n/a" if v is None or v != v else fmt.format(v)


def build_one(path: Path, out: Path) -> dict:
    """Run one scenario and write its report and figures into ``out/<name>/``."""
    spec = load_scenario(path)
    start = time.perf_counter()
    result = run(spec)
    target = out / spec.name
    shutil.rmtree(target, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = result.write(Path(tmp) / spec.name)
        for png in plot_dir(run_dir, target / "figures", formats=("png",), dpi=DPI):
            png.write_bytes(compact_png(png.read_bytes()))
        write_report(run_dir, target / "report.html", cases=3, dpi=DPI, compact=True)
    elapsed = time.perf_counter() - start
    print(f"{spec.name}: {spec.population.individuals:,} people, {spec.days} days, "
          f"{elapsed:.1f} s", flush=True)
    return {"name": spec.name, "question": scenario_purpose(path), "summary": result.summary,
            "people": spec.population.individuals, "days": spec.days, "seed": spec.seed}


def write_index(entries: list[dict], out: Path) -> None:
    """results/gallery/README.md (rendered by GitHub) and index.html (opened locally)."""
    md = ["# Gallery: one run of every shipped scenario", "",
          "Made by `scripts/make_gallery.py` (`make gallery`); each scenario ran once at its own size "
          "and seed. Open a scenario's `report.html` for the full report (figures, headline table, "
          "the longest wrongful sanctions told as stories, the scenario as run, provenance), or "
          "look at its `figures/`. What each figure answers: [docs/figures.md](../../docs/figures.md).",
          ""]
    e = html.escape
    page = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
            "<title>joint-sanctions gallery</title><style>body{font-family:system-ui,sans-serif;"
            "max-width:1100px;margin:2em auto;padding:0 1em;font-size:17px}img{max-width:49%;"
            "border:1px solid #ddd}td,th{padding:.2em .7em;text-align:right}td:first-child,"
            "th:first-child{text-align:left}table{border-collapse:collapse}</style></head><body>",
            "<h1>Gallery: one run of every shipped scenario</h1>",
            "<p>Each scenario ran once at its own size and seed. Click a name for its full report."
            "</p><table><tr><th>scenario</th>" + "".join(f"<th>{e(h)}</th>" for _, h, _ in HEADLINE)
            + "</tr>"]
    md.append("| scenario | " + " | ".join(h for _, h, _ in HEADLINE) + " |")
    md.append("|---|" + "---:|" * len(HEADLINE))
    for x in entries:
        vals = [_value(x["summary"], k, f) for k, _, f in HEADLINE]
        md.append(f"| [{x['name']}]({x['name']}/report.html) | " + " | ".join(vals) + " |")
        page.append(f'<tr><td><a href="{e(x["name"])}/report.html">{e(x["name"])}</a></td>'
                    + "".join(f"<td>{e(v)}</td>" for v in vals) + "</tr>")
    page.append("</table>")
    md.append("")
    for x in entries:
        n = x["name"]
        md += [f"## {n}", "", f"**{x['question']}**", "",
               f"{x['people']:,} people, {x['days']} days, seed {x['seed']}. "
               f"[Report]({n}/report.html) · figures: "
               + ", ".join(f"[{s}]({n}/figures/{s}.png)" for s in RUN_FIGURES), ""]
        md += [f"![{RUN_FIGURES[s]}]({n}/figures/{s}.png)" for s in THUMBS] + [""]
        page.append(f'<h2><a href="{e(n)}/report.html">{e(n)}</a></h2><p><b>{e(x["question"])}</b>'
                    f'</p><p>{x["people"]:,} people, {x["days"]} days, seed {x["seed"]}.</p>')
        page += [f'<a href="{e(n)}/figures/{s}.png"><img src="{e(n)}/figures/{s}.png" '
                 f'alt="{e(RUN_FIGURES[s])}"></a>' for s in THUMBS]
    page.append("</body></html>")
    (out / "README.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    (out / "index.html").write_text("\n".join(page) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Build the gallery; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "gallery")
    parser.add_argument("--only", nargs="*", help="Scenario names to rebuild (index lists all built).")
    args = parser.parse_args(argv)
    paths = sorted((ROOT / "scenarios").glob("*.toml"))
    if args.only:
        paths = [p for p in paths if p.stem in args.only]
    args.out.mkdir(parents=True, exist_ok=True)
    entries = [build_one(p, args.out) for p in paths]
    if args.only:  # keep the other scenarios' rows: rebuild the index from what exists
        names = {x["name"] for x in entries}
        for p in sorted((ROOT / "scenarios").glob("*.toml")):
            spec = load_scenario(p)
            if spec.name not in names and (args.out / spec.name / "report.html").exists():
                entries.append(build_one(p, args.out))
        entries.sort(key=lambda x: x["name"])
    write_index(entries, args.out)
    total = sum(f.stat().st_size for f in args.out.rglob("*") if f.is_file())
    print(f"gallery: {len(entries)} scenarios, {total / 1e6:.1f} MB in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

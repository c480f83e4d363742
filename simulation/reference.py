"""The scenario reference (docs/scenarios.md), generated from the schema so it cannot drift.

    python -m simulation.reference > docs/scenarios.md
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from simulation.scenario import (
    Agency,
    Appeals,
    Behaviour,
    Courts,
    Firms,
    Link,
    OwnList,
    Population,
    Redlist,
    Registry,
    Scenario,
    Scoring,
    default_agencies,
    field_range,
)

SECTIONS: list[tuple[str, type[BaseModel], str]] = [
    ("", Scenario, "Top level"),
    ("population", Population, "Individuals and firms (array-backed)"),
    ("courts", Courts, "Courts (overridable per jurisdiction: `[jurisdictions.<name>.courts]`)"),
    ("registry", Registry,
     "The registry layer (overridable per jurisdiction, per agency and per link)"),
    ("appeals", Appeals, "Appeals (overridable per jurisdiction)"),
    ("behaviour", Behaviour, "Behaviour (overridable per jurisdiction)"),
    ("firms", Firms, "Firms and legal representatives"),
    ("agencies.<name>", Agency, "An agency: `[agencies.<name>]`"),
    ("agencies.<name>.own_blacklist", OwnList, "An agency's own blacklist"),
    ("agencies.<name>.redlist", Redlist, "An agency's redlist"),
    ("agencies.<name>.scoring", Scoring, "A points-scoring pilot"),
    ("links[]", Link, "Per-link overrides: `[[links]]`"),
]


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "(inherit)"
    if hasattr(value, "value"):
        value = value.value
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float) and value >= 1e4:
        return f"{value:g}"
    if isinstance(value, int) and value >= 1e4:
        return f"{value:_}"
    return repr(value) if not isinstance(value, list) else str(value)


def _range(info: Any) -> str:
    ann = str(info.annotation)
    if "Matching" in ann:
        return "id, name, name_jurisdiction, id_else_name"
    if "Topology" in ann:
        return "none, bilateral, hub"
    if "RemedyScope" in ann:
        return "sanctioning_copy, all_copies"
    if "Literal" in ann:
        return ", ".join(a for a in getattr(info.annotation, "__args__", ()) if isinstance(a, str))
    bounds = field_range(info)
    if bounds is None or bounds.low is None and bounds.high is None:
        return ""
    lo, hi = bounds.low, bounds.high
    return f"{_fmt(lo) if lo is not None else ''} to {_fmt(hi) if hi is not None else ''}"


def reference_markdown() -> str:
    """The whole reference as Markdown."""
    lines = [
        "# Scenario reference",
        "",
        "Generated from the schema by `python -m simulation.reference`; do not edit by hand.",
        "Every field lists its unit, allowed range, default and source (or `assumption`).",
        "Dotted names are what `--set` and sweep files use, e.g. `--set registry.sharing=0.5`,",
        "`--set agencies.airline.matching=name`, `--set jurisdictions.j1.appeals.enabled=false`.",
        "",
        "How knobs scale: rates are per capita (per person or firm per year), so a smaller",
        "population keeps the share listed and the sanctions per capita. Namesakes per person",
        "are `individuals x sum(p^2)` over the name pool: keep `individuals / distinct_names`",
        "fixed to keep namesakes per person when you change the population size.",
        "",
    ]
    for prefix, model, title in SECTIONS:
        lines += [f"## {title}", "", "| name | default | unit | range | description | source |",
                  "|---|---|---|---|---|---|"]
        for name, info in model.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
                continue
            if name in ("agencies", "links", "jurisdictions", "own_blacklist", "redlist",
                        "scoring"):
                continue
            if info.is_required():
                shown = "(required)"
            else:
                shown = _fmt(info.default if info.default_factory is None else info.default_factory())
            dotted = f"{prefix}.{name}" if prefix else name
            desc = (info.description or "").replace("|", "\\|")
            lines.append(f"| `{dotted}` | {shown} | {extra.get('unit', '')} | "
                         f"{_range(info)} | {desc} | {extra.get('source', '')} |")
        lines.append("")
    lines += [
        "## Per-jurisdiction overrides",
        "",
        "`[jurisdictions.<name>]` takes `description` and the sub-tables `courts`, `registry`,",
        "`appeals` and `behaviour` with any of the fields above; fields left out inherit the",
        "global value. Jurisdiction names are `population.jurisdiction_names`, or j1..jN.",
        "",
        "## The default agency roster",
        "",
        "If a scenario names no agencies, these take part (from the 2016 joint punishment",
        "memorandum); `[agencies.<name>]` tables change them field by field, add new ones, or",
        "drop one with `enabled = false`. A new agency says so with `new = true`: without it,",
        "a name that is not in the roster is refused as a typo, with a did-you-mean",
        "(`[agencies.airlin]`: unknown agency 'airlin'; did you mean 'airline'?).",
        "",
        "| agency | kind | serves | uses per subject per year | own list | redlist |",
        "|---|---|---|---|---|---|",
    ]
    for name, agency in Scenario.model_validate({"agencies": default_agencies()}).agencies.items():
        lines.append(f"| {name} | {agency.kind} | {agency.serves} | {agency.service_rate_per_year:g} |"
                     f" {'yes' if agency.own_blacklist else ''} | {'yes' if agency.redlist else ''} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(reference_markdown(), end="")

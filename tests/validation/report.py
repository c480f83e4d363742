"""Run every verification check and write the table and figures of docs/validation.md.

    PYTHONPATH=. .venv/bin/python -m tests.validation.report

Writes docs/figures/validation/checks.md and checks.csv (model versus closed form, one row per
check, including the broken-mechanism runs) and the PNG figures next to them (~3 minutes).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulation import names, registry

from . import checks as C
from .test_appeals_queue import ExtraCaseDesk
from .test_names import UNIFORM, Toneless, uniform_pool

OUT = Path(__file__).resolve().parents[2] / "docs" / "figures" / "validation"


def all_checks() -> tuple[list[tuple[C.Check, str]], dict]:
    """(check, 'intact'|'broken: how') pairs, plus raw data for the figures."""
    rows: list[tuple[C.Check, str]] = []
    data: dict = {}
    fixed = [C.run_model(C.stock_scenario(seed=s)) for s in (11, 12, 13)]
    exits = [C.run_model(C.stock_scenario(seed=s, hazard=0.01)) for s in (11, 12, 13)]
    data["exits"] = exits[0]
    rows += [(C.check_stock_identity(fixed[0]), "intact"),
             (C.check_stock_inflow_times_term(fixed), "intact"),
             (C.check_stock_survival(exits), "intact"), (C.check_littles_law(exits), "intact"),
             (C.check_compliance_within_120d(exits), "intact")]
    from .test_stock import longer_terms
    broken = [C.run_model(C.stock_scenario(seed=11), longer_terms(30))]
    rows += [(C.check_stock_identity(broken[0]), "broken: terms 30 days too long"),
             (C.check_stock_inflow_times_term(broken), "broken: terms 30 days too long")]
    from simulation import behaviour
    orig = behaviour.listed_daily_hazard
    half = [C.run_model(C.stock_scenario(seed=s, hazard=0.01), [(
        "simulation.behaviour.listed_daily_hazard", lambda *a, **k: orig(*a, **k) / 2)])
        for s in (11, 12)]
    rows += [(C.check_stock_survival(half), "broken: payment hazard halved"),
             (C.check_littles_law(half), "broken: payment hazard halved"),
             (C.check_compliance_within_120d(half), "broken: payment hazard halved")]

    heavy = [C.run_model(C.names_scenario(seed=s, distinct_names=20_000)) for s in (21, 22, 23)]
    flat = [C.run_model(C.names_scenario(seed=s, distinct_names=20_000), UNIFORM)
            for s in (21, 22, 23)]
    data["heavy"], data["flat"] = heavy, flat
    rows += [(C.check_name_collisions(heavy, "heavy-tailed"), "intact"),
             (C.check_name_collisions(flat, "uniform"), "intact"),
             (C.check_name_pool_collisions(heavy, names.name_pool(20_000), "heavy-tailed"),
              "intact"),
             (C.check_name_pool_collisions(flat, uniform_pool(20_000), "uniform"), "intact")]
    toneless = [C.run_model(C.names_scenario(seed=21, distinct_names=20_000),
                            [("simulation.agencies.MatchIndex", Toneless)])]
    rows += [(C.check_name_collisions(toneless, "heavy-tailed"),
              "broken: matcher merges 50 names per key"),
             (C.check_name_pool_collisions(flat, names.name_pool(20_000), "heavy-tailed"),
              "broken: population drawn from a flat pool")]

    ids = [C.run_model(C.id_error_scenario(seed=s)) for s in (31, 32, 33)]
    rows.append((C.check_id_errors(ids), "intact"))
    from .test_id_errors import JointSanctionsModel
    orig_cr = JointSanctionsModel.create_records

    def double_errors(self, **kw):
        reg = kw["registry_params"]
        kw["registry_params"] = reg.model_copy(update={"id_error_rate": 2 * reg.id_error_rate})
        return orig_cr(self, **kw)
    bad_ids = [C.run_model(C.id_error_scenario(seed=s), [(
        "simulation.model.JointSanctionsModel.create_records", double_errors)]) for s in (31, 32, 33)]
    rows.append((C.check_id_errors(bad_ids), "broken: entry errs twice as often"))

    stale = [C.run_model(C.stale_scenario(seed=s)) for s in (41, 42, 43)]
    data["stale"] = stale[0]
    rows += [(C.check_stale_copies(stale), "intact"), (C.check_stale_sanctions(stale), "intact")]
    og = registry.geometric_delay
    slow = [C.run_model(C.stale_scenario(seed=s), [("simulation.registry.geometric_delay",
                                                    lambda u, m: og(u, 2 * m))]) for s in (41, 42, 43)]
    data["stale_broken"] = slow[0]
    rows += [(C.check_stale_copies(slow), "broken: deletion delays doubled"),
             (C.check_stale_sanctions(slow), "broken: deletion delays doubled")]

    for lam, cap in ((0.8, 1), (1.5, 2), (4.0, 5)):
        rows.append((C.check_queue_wait(lam, cap), "intact"))
    for lam, cap in ((6.0, 5), (1.2, 1), (2.7, 2.5)):
        rows.append((C.check_queue_overload(lam, cap), "intact"))
    rows += [(C.check_queue_wait(4.0, 5, desk_factory=ExtraCaseDesk),
              "broken: one case a day over capacity"),
             (C.check_queue_overload(6.0, 5, desk_factory=ExtraCaseDesk),
              "broken: one case a day over capacity")]
    for cap in (2.0, 40.0):
        r = C.run_model(C.appeals_scenario(seed=51, capacity=cap))
        rows += [(C.check_appeals_littles_law(r), "intact"), (C.check_appeals_fifo(r), "intact")]

    for seed in (71, 72):
        rows.append((C.check_perfect_data(C.run_model(C.perfect_scenario(seed=seed))), "intact"))
    rows.append((C.check_perfect_data(C.run_model(C.perfect_scenario(seed=71), [(
        "simulation.registry.geometric_delay", lambda u, m: og(u, m) + 1)])),
        "broken: every message one day late"))

    seeds = (61, 62, 63, 64)
    data["recall"] = C.recall_by_sharing(seeds)
    data["collisions"] = C.collisions_by_pool(seeds)
    data["appeal_days"] = C.wrongful_days_by_appeals(seeds)
    rows += [(C.paired_trend(data["recall"], "recall rises with sharing (0.3, 0.6, 0.9)"), "intact"),
             (C.paired_trend(data["collisions"], "collisions rise as the pool shrinks "
                             "(200k, 20k, 2k names)"), "intact"),
             (C.paired_trend(data["appeal_days"], "appeals shorten wrongful sanction-days",
                             decreasing=True), "intact")]
    return rows, data


def write_table(rows: list[tuple[C.Check, str]]) -> pd.DataFrame:
    """checks.csv and checks.md."""
    df = pd.DataFrame([{"check": c.name, "mechanism": how, "observed": c.observed,
                        "expected": c.expected, "sd": c.sd, "z": c.z, "unit": c.unit,
                        "passed": c.passed, "detail": c.detail} for c, how in rows])
    df.to_csv(OUT / "checks.csv", index=False)
    lines = ["| check | mechanism | model | closed form | sd | z | result |", "|---|---|---|---|---|---|---|"]
    for r in df.itertuples():
        sd = "exact" if r.sd == 0 else f"{r.sd:.3g}"
        z = "" if r.sd == 0 and r.passed else f"{r.z:+.1f}"
        if r.unit.startswith("z of"):
            sd, z = "paired", f"{r.observed:.1f} (needs ≥ 4)"
        lines.append(f"| {r.check} ({r.unit}) | {r.mechanism} | {r.observed:.6g} | "
                     f"{r.expected:.6g} | {sd} | {z} | {'pass' if r.passed else '**fail**'} |")
    (OUT / "checks.md").write_text("\n".join(lines) + "\n")
    return df


def figures(df: pd.DataFrame, data: dict) -> None:
    """The PNGs of docs/validation.md."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # 1. z-scores of every statistical check, intact versus broken.
    stat = df[(df.sd > 0) & ~df.unit.str.startswith("z of")]
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(stat) + 1.2))
    y = np.arange(len(stat))
    z = np.clip(stat.z.to_numpy(dtype=float), -30, 30)
    colors = np.where(stat.mechanism == "intact", "#2166ac", "#b2182b")
    ax.scatter(z, y, c=colors)
    ax.axvspan(-C.Z, C.Z, color="#e0e0e0", label="pass band |z| ≤ 4")
    ax.set_yticks(y, [f"{c[:48]} [{m[:28]}]" for c, m in zip(stat.check, stat.mechanism,
                                                             strict=True)], fontsize=7)
    ax.set_xlabel("z = (model − closed form) / sd   (clipped at ±30)")
    ax.set_title("Model versus closed form: intact (blue) and deliberately broken (red)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(OUT / "zscores.png", dpi=120)
    plt.close(fig)

    # 2. Stock over time against sum of survival (Little's law, payment exits).
    r = data["exits"]
    m = r.model
    c, h = m.config.courts, m.config.behaviour.listed_compliance_per_day
    rec = m.registry.records
    rows = C.court_person_rows(m)
    ld = rec.listed_day[rows].astype(np.int64)
    able = m.cases.able[rec.case[rows]] & (rec.reason[rows] == C.CAUSE["unwilling"])
    expect = []
    for t in range(m.days):
        age = t - ld
        ok = age >= 0
        s = np.where(able[ok], C.able_survival(age[ok], h, c.deletion_processing_days,
                                                c.listing_term_days),
                     (age[ok] < c.listing_term_days).astype(float))
        expect.append(s.sum())
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(r.timeseries["listed_stock.individuals"], lw=1, label="model: listed stock")
    ax.plot(expect, lw=1, ls="--", color="k", label="closed form: Σ survival(age) over listings")
    ax.set_xlabel("day")
    ax.set_ylabel("individuals listed (records)")
    ax.set_title("Little's law with payment exits (200k people, h = 0.01/day, T = 180 days)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(OUT / "stock_littles_law.png", dpi=120)
    plt.close(fig)

    # 3. Appeals: wait versus load against the slotted queue, and backlog growth in overload.
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    cap = 5
    lams = np.array([1.0, 2.0, 3.0, 4.0, 4.5, 4.75])
    theory = [C.slotted_queue_wait(lam, cap) for lam in lams]
    sim = [C.check_queue_wait(lam, cap, days=30_000).observed for lam in lams]
    a1.plot(lams / cap, theory, "k-", label="closed form (slotted queue)")
    a1.plot(lams / cap, sim, "o", color="#2166ac", label="model's AppealsDesk")
    a1.set_xlabel("load ρ = filings per day / capacity (capacity 5/day)")
    a1.set_ylabel("mean days from filing to take-up")
    a1.legend()
    a1.set_title("Stable queue")
    for lam in (5.5, 6.0, 7.0):
        out = C.drive_desk(lam, cap, 400, 6)
        a2.plot(out["backlog"], lw=1, label=f"λ = {lam}/day")
        a2.plot(np.arange(400), 15 * cap + (lam - cap) * np.arange(400), "k:", lw=0.8)
    a2.set_xlabel("day")
    a2.set_ylabel("backlog (cases filed, not decided)")
    a2.set_title("Overload: grows at λ − c a day (dotted)")
    a2.legend()
    fig.tight_layout()
    fig.savefig(OUT / "appeals_queue.png", dpi=120)
    plt.close(fig)

    # 4. Stale copies over time: model versus closed form, intact and broken.
    fig, ax = plt.subplots(figsize=(8, 4))
    for key, style, label in (("stale", "-", "model"), ("stale_broken", "-", "model, delays doubled")):
        r = data[key]
        m = r.model
        reg = m.config.registry
        rec = m.registry.records
        rows = C.court_person_rows(m)
        dd = rec.deleted_day[rows].astype(np.int64)
        exp = [C.stale_probability(t - dd[dd <= t], reg.deletion_sharing,
                                   reg.deletion_delay_days).sum() for t in range(m.days)]
        ax.plot(r.timeseries["copy_stale.hotel"], style, lw=1, label=label)
        if key == "stale":
            ax.plot(exp, "k--", lw=1, label="closed form (share 0.9, mean delay 30 d)")
    ax.set_xlabel("day")
    ax.set_ylabel("stale records held in the agency copy")
    ax.set_title("Stale copies from deletion share and delay")
    ax.legend()
    fig.tight_layout()
    fig.savefig(OUT / "stale_copies.png", dpi=120)
    plt.close(fig)

    # 5. Monotone effects with paired seeds.
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
    for ax, key, xs, xl, yl in (
            (axes[0], "recall", ["0.3", "0.6", "0.9"], "registry.sharing", "sanction recall"),
            (axes[1], "collisions", ["200k", "20k", "2k"], "distinct names (10k people)",
             "name-collision sanctions"),
            (axes[2], "appeal_days", ["off", "on"], "appeals", "wrongful sanction-days")):
        v = np.asarray(data[key])
        for row in v:
            ax.plot(xs, row, "-o", color="#999999", lw=0.8, ms=3)
        ax.plot(xs, v.mean(axis=0), "-o", color="#b2182b", lw=2, label="mean of 4 paired seeds")
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
    axes[0].legend(fontsize=8)
    fig.suptitle("Monotone effects in expectation (grey: one seed each)")
    fig.tight_layout()
    fig.savefig(OUT / "monotone.png", dpi=120)
    plt.close(fig)


def main() -> None:
    """Run, write, print."""
    OUT.mkdir(parents=True, exist_ok=True)
    rows, data = all_checks()
    df = write_table(rows)
    figures(df, data)
    intact = df[df.mechanism == "intact"]
    broken = df[df.mechanism != "intact"]
    print(df[["check", "mechanism", "z", "passed"]].to_string())
    print(f"intact passed {intact.passed.sum()}/{len(intact)}; broken detected "
          f"{(~broken.passed).sum()}/{len(broken)}")


if __name__ == "__main__":
    main()

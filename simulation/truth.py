"""Ground-truth tables of a run (``joint-sanctions run --truth``): the raw facts behind events.

Written for whoever wants to re-derive the model's classification independently (the test
suite's oracle does): every record as entered and its true subject, every copy's arrival and
deletion days, the cases (judgments and payments), appeals, exemptions granted, representative
changes, people, firms, the registry nodes and their rules, and every service check (who used
which agency when, whether they evaded, and ``seq``: how many events had been logged before the
check, so a check sees exactly the listings and delistings with a smaller event index).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulation.codes import NEVER, Color

if TYPE_CHECKING:
    from simulation.model import JointSanctionsModel


class TruthLog:
    """What a run must remember for its truth tables beyond its final state."""

    def __init__(self) -> None:
        self.checks: list[dict[str, np.ndarray | int]] = []
        self.representatives: list[tuple[int, np.ndarray, np.ndarray]] = []

    def check(self, day: int, node: int, seq: int, users: np.ndarray,
              evaded: np.ndarray) -> None:
        """One agency's service checks of one day."""
        self.checks.append({"day": day, "node": node, "seq": seq, "user": users.copy(),
                            "evaded": evaded.copy()})

    def representative_changes(self, day: int, firms: np.ndarray, new: np.ndarray) -> None:
        """Firms that got a new legal representative today (at the start of the day)."""
        if firms.size:
            self.representatives.append((day, firms.copy(), new.copy()))


def _table(table: object) -> pd.DataFrame:
    n = table.n  # type: ignore[attr-defined]
    return pd.DataFrame({k: v[:n] for k, v in table.cols.items()})  # type: ignore[attr-defined]


def truth_tables(model: JointSanctionsModel, log: TruthLog) -> dict[str, pd.DataFrame]:
    """Every ground-truth table of a finished run, by file stem."""
    reg = model.registry
    n = reg.records.n
    records = _table(reg.records)
    records.insert(0, "record", np.arange(n))
    node_idx, rec_idx = np.nonzero(reg.arrive[:, :n] != NEVER)
    copies = pd.DataFrame({
        "node": node_idx, "record": rec_idx, "arrive_day": reg.arrive[node_idx, rec_idx],
        "deleted_day": reg.deleted[node_idx, rec_idx], "id_lost": reg.id_lost[node_idx, rec_idx],
    })
    cases = _table(model.cases)
    cases.insert(0, "case", np.arange(cases.shape[0]))
    appeals = _table(model.appeals)
    appeals.insert(0, "appeal", np.arange(appeals.shape[0]))
    return {
        "records": records, "copies": copies, "cases": cases, "appeals": appeals,
        "exemptions": _exemptions(model), "representatives": _representatives(model, log),
        "run": pd.DataFrame({"days_simulated": [model.day + 1]}),
        "people": pd.DataFrame({"person": np.arange(model.people.n), "name": model.people.name,
                                "jurisdiction": model.people.jurisdiction}),
        "firms": pd.DataFrame({"firm": np.arange(model.firms.n),
                               "jurisdiction": model.firms.jurisdiction}),
        "nodes": _nodes(model), "lists": pd.DataFrame({
            "list_id": np.arange(len(reg.list_names)), "name": reg.list_names,
            "color": model.list_colors}),
        "checks": _checks(log),
        # Whether records created by national nodes (-1) and in each jurisdiction expire locally.
        "origins": pd.DataFrame({
            "jurisdiction": np.arange(-1, reg.local_expiry_by_origin.size - 1),
            "local_expiry": reg.local_expiry_by_origin}),
    }


def _exemptions(model: JointSanctionsModel) -> pd.DataFrame:
    granted = model.exemptions.granted
    keys = np.fromiter(granted.keys(), dtype=np.int64, count=len(granted))
    days = np.fromiter(granted.values(), dtype=np.int64, count=len(granted))
    span = model.exemptions.span
    targets = model.exemptions.everywhere + 1
    rest = keys // span
    # target == number of nodes means every copy.
    return pd.DataFrame({"record": rest // targets, "target": rest % targets,
                         "subject": keys % span, "day": days})


def _representatives(model: JointSanctionsModel, log: TruthLog) -> pd.DataFrame:
    """Day -1 rows hold the first representatives; later rows each change."""
    days = [np.full(model.firms.n, -1)]
    firms = [np.arange(model.firms.n)]
    reps = [model.initial_representatives]
    for day, f, r in log.representatives:
        days.append(np.full(f.size, day))
        firms.append(f)
        reps.append(r)
    return pd.DataFrame({"day": np.concatenate(days), "firm": np.concatenate(firms),
                         "representative": np.concatenate(reps)})


def _nodes(model: JointSanctionsModel) -> pd.DataFrame:
    rows = []
    agencies = {a.node: a for a in model.agency_agents}
    for node in model.registry.nodes:
        a = agencies.get(node.index)
        scoring = a.config.scoring if a is not None else None
        rows.append({
            "node": node.index, "name": node.name, "kind": node.kind,
            "jurisdiction": node.jurisdiction,
            # The agency's own local-expiry rule; missing: the record's origin decides.
            "local_expiry": pd.NA if node.local_expiry is None else node.local_expiry,
            "consumes_black": ",".join(str(i) for i in sorted(node.consumes)
                                       if model.list_colors[i] == Color.black),
            "rule": a.rule if a else "", "serves_firms": bool(a and a.serves_firms),
            "red_list": -1 if a is None or a.red_list is None else a.red_list,
            "points_per_record": scoring.points_per_record if scoring else np.nan,
            "allowance": scoring.points_start - scoring.threshold if scoring else np.nan,
            "reps_sanctioned": bool(model.config.firms.representatives_sanctioned),
        })
    nodes = pd.DataFrame(rows)
    nodes["local_expiry"] = nodes["local_expiry"].astype("boolean")
    return nodes


def _checks(log: TruthLog) -> pd.DataFrame:
    if not log.checks:
        return pd.DataFrame({k: pd.Series(dtype="int64") for k in
                             ("day", "node", "seq", "position", "user")}).assign(
            evaded=pd.Series(dtype=bool))
    parts = [pd.DataFrame({"day": c["day"], "node": c["node"], "seq": c["seq"],
                           "position": np.arange(np.size(c["user"])), "user": c["user"],
                           "evaded": c["evaded"]}) for c in log.checks]
    return pd.concat(parts, ignore_index=True)


def write_truth(tables: dict[str, pd.DataFrame], folder: object) -> None:
    """Write the tables as ``<folder>/<name>.parquet``."""
    from pathlib import Path

    out = Path(str(folder))
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_parquet(out / f"{name}.parquet", index=False)

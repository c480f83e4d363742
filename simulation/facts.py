"""A finished run's facts, written beside its events and read back without rerunning it.

``facts/`` in a run folder holds what the stories of ``trace`` and the report are told from:
every record as entered and its true subject, each copy's arrival and deletion days, the appeals
docket, the registry's nodes and lists, and the people and firms those involve (their names,
how many share each name, jurisdictions, digital footprint, firms' representatives at the end).
:func:`facts_tables` makes the tables from a model; :func:`read_facts` reads them back as a
:class:`RunFacts`, which answers the same questions the live model does (``registry.records``,
``registry.arrive``, ``people.name`` ...), so a story never needs the simulation again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulation.codes import NEVER, PERSON

if TYPE_CHECKING:
    from simulation.model import JointSanctionsModel

# Each table and the columns a reader needs from it.
FACTS: dict[str, tuple[str, ...]] = {
    "records": ("list_id", "source", "subject_kind", "subject", "entered_id", "rep_true",
                "deleted_day"),
    "copies": ("node", "record", "arrive_day", "deleted_day", "id_lost"),
    "appeals": ("subject_kind", "subject", "record", "agency", "court", "cause", "status",
                "upheld", "decision_day"),
    "nodes": ("node", "name", "kind", "jurisdiction"),
    "people": ("person", "name", "name_count", "jurisdiction", "digital"),
    "firms": ("firm", "jurisdiction", "representative"),
    "run": ("days_simulated", "individuals", "firms", "list_names"),
}


def _columns(table: Any) -> pd.DataFrame:
    return pd.DataFrame({k: v[: table.n] for k, v in table.cols.items()})


def facts_tables(model: JointSanctionsModel) -> dict[str, pd.DataFrame]:
    """The facts of a finished run, by file stem (see the module docstring)."""
    reg = model.registry
    n = reg.records.n
    node_idx, rec_idx = np.nonzero(reg.arrive[:, :n] != NEVER)
    rec = reg.records
    people, firms = model.people, model.firms
    ev_kind, ev_subject = model.events.column("subject_kind"), model.events.column("subject")
    is_person = rec.subject_kind[:n] == PERSON
    involved_firms = np.unique(np.concatenate([ev_subject[ev_kind != PERSON],
                                               rec.subject[:n][~is_person]])).astype(np.int64)
    involved = np.concatenate([
        ev_subject[ev_kind == PERSON], rec.subject[:n][is_person], rec.entered_id[:n][is_person],
        rec.rep_true[:n], rec.rep_entered_id[:n],
        firms.representative[involved_firms] if firms.n else np.empty(0, dtype=np.int64)])
    involved = np.unique(involved[(involved >= 0) & (involved < people.n)]).astype(np.int64)
    return {
        "records": _columns(rec),
        "copies": pd.DataFrame({"node": node_idx, "record": rec_idx,
                                "arrive_day": reg.arrive[node_idx, rec_idx],
                                "deleted_day": reg.deleted[node_idx, rec_idx],
                                "id_lost": reg.id_lost[node_idx, rec_idx]}),
        "appeals": _columns(model.appeals),
        "nodes": pd.DataFrame({"node": [nd.index for nd in reg.nodes],
                               "name": [nd.name for nd in reg.nodes],
                               "kind": [nd.kind for nd in reg.nodes],
                               "jurisdiction": [nd.jurisdiction for nd in reg.nodes]}),
        "people": pd.DataFrame({"person": involved, "name": people.name[involved],
                                "name_count": people.name_count[involved],
                                "jurisdiction": people.jurisdiction[involved],
                                "digital": people.digital[involved]}),
        "firms": pd.DataFrame({"firm": involved_firms,
                               "jurisdiction": firms.jurisdiction[involved_firms],
                               "representative": firms.representative[involved_firms]}),
        "run": pd.DataFrame({"days_simulated": [model.day + 1], "individuals": [people.n],
                             "firms": [firms.n], "list_names": [",".join(reg.list_names)]}),
    }


def write_facts(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """Write the tables as ``<folder>/<name>.parquet``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_parquet(folder / f"{name}.parquet", index=False)


class _Sparse:
    """Values of some subjects (the involved ones) by subject number; others are unknown."""

    def __init__(self, ids: np.ndarray, values: np.ndarray, n: int):
        self.n = n
        self._values = dict(zip(ids.tolist(), values.tolist(), strict=True))

    def __getitem__(self, subject: int) -> Any:
        return self._values[int(subject)]


@dataclass
class RunFacts:
    """A run's facts read back, shaped like the parts of the model a story reads."""

    config: Any
    days: int
    day: int
    registry: SimpleNamespace
    people: SimpleNamespace
    firms: SimpleNamespace
    appeals: SimpleNamespace
    courts: list[SimpleNamespace]
    node_names: list[str]

    def knows(self, kind: int, subject: int) -> bool:
        """Whether the facts hold this subject (everyone involved in any event or record)."""
        pop = self.people if kind == PERSON else self.firms
        return int(subject) in pop.known


def read_facts(folder: Path, scenario: Any) -> RunFacts:
    """The facts in ``folder``, for the run of ``scenario`` (its resolved scenario); a damaged
    or foreign table is a ScenarioError naming the file."""
    from simulation.network import jurisdiction_section
    from simulation.readback import read_table

    t = {name: read_table(folder / f"{name}.parquet", what=f"facts table ({name})",
                          columns=columns) for name, columns in FACTS.items()}
    run = t["run"].iloc[0]
    days = int(run["days_simulated"])
    records = t["records"]
    n_nodes, n_rec = len(t["nodes"]), len(records)
    copies = t["copies"]
    arrive = np.full((n_nodes, n_rec), NEVER, dtype=np.int64)
    deleted = np.full((n_nodes, n_rec), NEVER, dtype=np.int64)
    id_lost = np.zeros((n_nodes, n_rec), dtype=bool)
    at = (copies["node"].to_numpy(), copies["record"].to_numpy())
    arrive[at], deleted[at] = copies["arrive_day"].to_numpy(), copies["deleted_day"].to_numpy()
    id_lost[at] = copies["id_lost"].to_numpy()
    nodes = [SimpleNamespace(index=int(r.node), name=str(r.name), kind=str(r.kind),
                             jurisdiction=int(r.jurisdiction)) for r in t["nodes"].itertuples()]
    registry = SimpleNamespace(
        records=SimpleNamespace(n=n_rec, **{c: records[c].to_numpy() for c in records.columns}),
        arrive=arrive, deleted=deleted, id_lost=id_lost, nodes=nodes,
        list_names=str(run["list_names"]).split(","))
    p, f = t["people"], t["firms"]
    n_people, n_firms = int(run["individuals"]), int(run["firms"])
    ids = p["person"].to_numpy()
    people = SimpleNamespace(n=n_people, known=set(ids.tolist()), **{
        c: _Sparse(ids, p[c].to_numpy(), n_people)
        for c in ("name", "name_count", "jurisdiction", "digital")})
    fids = f["firm"].to_numpy()
    firms = SimpleNamespace(n=n_firms, known=set(fids.tolist()), **{
        c: _Sparse(fids, f[c].to_numpy(), n_firms) for c in ("jurisdiction", "representative")})
    a = t["appeals"]
    appeals = SimpleNamespace(n=len(a), **{c: a[c].to_numpy() for c in a.columns})
    courts = [SimpleNamespace(appeals_params=jurisdiction_section(scenario, "appeals", j))
              for j in range(scenario.population.jurisdictions)]
    return RunFacts(config=scenario, days=scenario.days, day=days - 1, registry=registry,
                    people=people, firms=firms, appeals=appeals, courts=courts,
                    node_names=[nd.name for nd in nodes])

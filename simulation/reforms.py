"""Applying timeline steps to a running world: new parameters, agencies joining, links opening.

At the start of a day with due steps (:mod:`simulation.timeline`), the model's scenario becomes
the reformed one, every cached parameter view (courts, agencies, links) is refreshed from it, an
agency enabled for the first time joins the network (its links open and it receives what its
sources hold that day), and a link pair new to the network opens the same way. Messages already
in flight keep the arrival days drawn when they were sent: a reform governs what is sent from
its day on. The only random draws are those of the joining links, on a stream of their own
(``timeline.join``), so nothing before the reform's day changes.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.network import build_network, local_expiry_by_origin, resolve_links
from simulation.registry import CopyView, LinkParams
from simulation.scenario.schema import Scenario, TimelineEntry
from simulation.timeline import Step, Timeline, apply_to_data, describe_step, state_data

if TYPE_CHECKING:
    from simulation.model import JointSanctionsModel

LINK_VALUES = ("sharing", "delay_days", "deletion_sharing", "deletion_delay_days",
               "format_loss_rate", "home", "crossed", "by_origin")


def apply_due(model: JointSanctionsModel, day: int) -> None:
    """Apply the timeline steps due at the start of ``day`` (the model's daily hook)."""
    steps = model.timeline.due(day)
    if steps:
        apply_steps(model, steps, day)


def apply_steps(model: JointSanctionsModel, steps: list[Step], day: int) -> None:
    """Move the model to the state these steps produce and refresh everything that caches it."""
    before = model.config
    data = apply_to_data(state_data(before), steps)
    data["timeline"] = [e.model_dump(mode="json", exclude_none=True) for e in before.timeline]
    model.config = Scenario.model_validate(data)
    rebuild = refresh_parameters(model)
    for agency in model.agency_agents:
        if agency.config.enabled and agency.name in model.dormant_agencies:
            rebuild |= join_network(model, agency.name, day)
    rebuild |= refresh_links(model, day)
    if rebuild:
        rebuild_copies(model)
    model.update_enforced()
    for step in steps:
        if step.first:
            model.reform_log.append({"day": day, "entry": step.entry, "title": step.title,
                                     "text": describe_step(model.config, step,
                                                          model.runtime_entries)})


def refresh_parameters(model: JointSanctionsModel) -> bool:
    """Re-read every per-jurisdiction section and per-agency setting from ``model.config``.

    Returns whether a copy's expiry rule changed (every copy view must then be rebuilt); an
    agency whose matching rule changed gets new match indexes here.
    """
    model.clear_parameter_cache()
    for court in model.courts:
        j = court.jurisdiction
        court.courts = model.local("courts", j)
        court.registry_params = model.local("registry", j)
        court.appeals_params = model.local("appeals", j)
        court.behaviour = model.local("behaviour", j)
    reg = model.registry
    expiry = np.asarray(local_expiry_by_origin(model.config), dtype=bool)
    changed = not np.array_equal(expiry, reg.local_expiry_by_origin)
    reg.local_expiry_by_origin = expiry
    for agency in model.agency_agents:
        agency.config = model.config.agencies[agency.name]
        agency.registry_params = model.local("registry", agency.jurisdiction)
        node = reg.nodes[agency.node]
        changed |= node.local_expiry != agency.config.local_expiry
        node.local_expiry = agency.config.local_expiry
        rule = str(agency.config.matching or agency.registry_params.matching)
        reps = model.config.firms.representatives_sanctioned
        if (rule, reps) != (agency.rule, agency.index.reps_sanctioned):
            agency.rule = rule
            agency.build_indexes()
    return changed


def refresh_links(model: JointSanctionsModel, day: int) -> bool:
    """Re-resolve every link's parameters; open links the scenario names that do not exist.

    Returns whether a link opened.
    """
    scenario = model.config
    reg = model.registry
    pairs = [(src, lk.to) for src, links in reg.out_links.items() for lk in links]
    fresh = iter(resolve_links(scenario, reg.nodes, pairs))
    for src in reg.out_links:
        for link in reg.out_links[src]:
            new = next(fresh)
            for name in LINK_VALUES:
                setattr(link, name, getattr(new, name))
    names = model.node_names
    existing = {(names[s], names[d]) for s, d in pairs}
    index = {name: i for i, name in enumerate(names)}
    wanted = [(index[lk.source], index[lk.to]) for lk in scenario.links
              if (lk.source, lk.to) not in existing and lk.to not in model.dormant_agencies
              and lk.source in index and lk.to in index and lk.sharing != 0.0]
    for link in resolve_links(scenario, reg.nodes, wanted):
        open_link(model, link, day)
    return bool(wanted)


def join_network(model: JointSanctionsModel, agency: str, day: int) -> bool:
    """An agency enabled for the first time: open its links as the topology implies."""
    model.dormant_agencies.discard(agency)
    index = {name: i for i, name in enumerate(model.node_names)}
    nodes, links = build_network(model.config)
    have = _pairs(model)
    opened = False
    for link in links:
        src, dest = nodes[link.source].name, nodes[link.to].name
        if agency in (src, dest) and (src, dest) not in have:
            open_link(model, dataclasses.replace(link, source=index[src], to=index[dest]), day)
            opened = True
    return opened


def _pairs(model: JointSanctionsModel) -> set[tuple[str, str]]:
    names = model.node_names
    return {(names[s], names[lk.to]) for s, links in model.registry.out_links.items()
            for lk in links}


def open_link(model: JointSanctionsModel, link: LinkParams, day: int) -> None:
    """Add a link and send over it, today, what its source holds (a new memorandum's backlog)."""
    reg = model.registry
    reg.out_links[link.source].append(link)
    src = reg.nodes[link.source]
    n = reg.records.n
    if src.kind == "platform":
        rows = np.flatnonzero(reg.present(link.source, day))
        lost = reg.id_lost[link.source, rows]
    else:
        rows = np.flatnonzero(reg.active_at_source(day) & (reg.records.source[:n] == link.source))
        lost = np.zeros(rows.size, dtype=bool)
    if rows.size == 0:
        return
    rng = model.streams.get("timeline.join", day, link.source, link.to)
    reg.send(link.source, rows, np.full(rows.size, day, dtype=np.int64), lost, rng,
             only=[link])


def rebuild_copies(model: JointSanctionsModel) -> None:
    """New views of every copy, read afresh from the registry (after a link opened or an expiry
    rule changed: old records may now arrive, or stay, where the views had ruled them out)."""
    for agency in model.agency_agents:
        agency.build_indexes()
    for platform in model.platforms:
        platform.copy = CopyView(model.registry, platform.node,
                                 range(len(model.registry.list_names)))


def reform_now(model: JointSanctionsModel, entry: TimelineEntry | dict[str, Any]) -> list[Step]:
    """Schedule a reform (a TimelineEntry or its table, without a day) for the next day to run.

    The entry is validated against the world as it is now (unknown names, values out of range,
    ramps past the end are ScenarioErrors); its steps join the timeline, and the entry is added
    to ``model.runtime_entries`` so the resolved scenario can record it.
    """
    day = model.day + 1
    raw = entry.model_dump(mode="json", exclude_none=True) if isinstance(entry, TimelineEntry) \
        else dict(entry)
    raw.pop("date", None)
    raw["day"] = day
    data = state_data(model.config)
    data["timeline"] = [raw]
    probe = Timeline(Scenario.model_validate(data))
    steps = [s for d in sorted(probe.steps) for s in probe.steps[d]]
    index = len(model.config.timeline) + len(model.runtime_entries)
    for step in steps:
        step.entry = index
        step.title = step.title.replace("timeline.0", f"timeline.{index}")
        model.timeline.steps.setdefault(step.day, []).append(step)
    model.runtime_entries.append(TimelineEntry.model_validate(raw))
    return steps

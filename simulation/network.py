"""Who holds a copy and who sends to whom: nodes and links built from the topology.

- ``none``: no links; agencies enforce only the lists they originate.
- ``bilateral``: a direct memorandum link from every source (court, list-keeping agency) to every
  agency that enforces one of its lists.
- ``hub``: sources send to a platform, which relays to consumers. With ``platform =
  "per_jurisdiction"`` each court sends to its own jurisdiction's platform, which relays to local
  and national consumers and to the other platforms that have local consumers (which relay only
  to those); national agencies' own lists then travel bilaterally, as no national platform exists.

A record travels under the registry rules of the jurisdiction that created it (its *origin*),
wherever it goes. Every link's parameters for a record resolve, most specific first:
``[[links]]`` entry > consuming agency > the record's origin jurisdiction > global ``registry``.
``cross_jurisdiction_sharing`` (the origin's) multiplies ``sharing`` when a record created in one
jurisdiction is delivered to a local agency of another; national agencies and platforms belong
to no jurisdiction, so nothing crosses into them. Local expiry follows the same rule: the holding
agency's own ``local_expiry`` if set, else the origin's (:func:`local_expiry_by_origin`).
"""

from __future__ import annotations

from typing import Any

from simulation.registry import LinkParams, Node
from simulation.scenario import LINK_FIELDS, Registry, Scenario


def jurisdiction_section(scenario: Scenario, section: str, jurisdiction: int) -> Any:
    """A global section (courts, registry, appeals, behaviour) with one jurisdiction's overrides."""
    base = getattr(scenario, section)
    if jurisdiction < 0:
        return base
    name = scenario.population.names()[jurisdiction]
    override = scenario.jurisdictions.get(name)
    if override is None:
        return base
    changes = getattr(override, section).model_dump(exclude_none=True)
    return base.model_copy(update=changes) if changes else base


def list_names(scenario: Scenario) -> list[str]:
    """Every list in the run: the court blacklist, agency blacklists, agency redlists."""
    agencies = scenario.active_agencies()
    names = ["court_blacklist"]
    names += [f"{n}_blacklist" for n, a in agencies.items() if a.own_blacklist]
    names += [f"{n}_redlist" for n, a in agencies.items() if a.redlist]
    return names


def build_network(scenario: Scenario) -> tuple[list[Node], list[LinkParams]]:
    """Nodes (courts, agencies, platforms) and resolved links for the scenario's topology."""
    jnames = scenario.population.names()
    jindex = {n: i for i, n in enumerate(jnames)}
    lists = {n: i for i, n in enumerate(list_names(scenario))}
    agencies = scenario.active_agencies()
    nodes: list[Node] = []
    for j, jn in enumerate(jnames):
        nodes.append(Node(len(nodes), f"court:{jn}", "court", j, frozenset()))
    agency_node: dict[str, Node] = {}
    for name, a in agencies.items():
        j = jindex[a.jurisdiction] if a.jurisdiction else -1
        consumes = {lists[c] for c in a.consumes if c in lists}
        if a.redlist:
            consumes.add(lists[f"{name}_redlist"])
        node = Node(len(nodes), name, "agency", j, frozenset(consumes), a.local_expiry)
        nodes.append(node)
        agency_node[name] = node
    topology = scenario.registry.topology
    per_j = scenario.registry.platform == "per_jurisdiction"
    platforms: dict[int, Node] = {}
    if topology == "hub":
        every_list = frozenset(lists.values())
        if per_j:
            for j, jn in enumerate(jnames):
                platforms[j] = Node(len(nodes), f"platform:{jn}", "platform", j, every_list)
                nodes.append(platforms[j])
        else:
            platforms[-1] = Node(len(nodes), "platform", "platform", -1, every_list)
            nodes.append(platforms[-1])

    # Which node originates which list.
    origin: dict[int, set[int]] = {}
    for j in range(len(jnames)):
        origin[j] = {lists["court_blacklist"]}
    for name, a in agencies.items():
        if a.own_blacklist:
            origin[agency_node[name].index] = {lists[f"{name}_blacklist"]}

    pairs: list[tuple[int, int]] = []
    consumers = list(agency_node.values())
    if topology == "bilateral" or (topology == "hub" and per_j):
        for src, src_lists in origin.items():
            if topology == "hub" and nodes[src].kind == "court":
                continue
            for c in consumers:
                if c.index != src and c.consumes & src_lists:
                    pairs.append((src, c.index))
    if topology == "hub":
        for src in origin:
            if per_j and nodes[src].kind != "court":
                continue
            pairs.append((src, platforms[nodes[src].jurisdiction if per_j else -1].index))
        # A platform relays what another platform sent it only to its own local consumers, so
        # it is sent to only if it has some: at most agencies x jurisdictions links, not J^2.
        local = {c.jurisdiction for c in consumers if c.jurisdiction >= 0}
        for p in platforms.values():
            for c in consumers:
                if not per_j or c.jurisdiction in (-1, p.jurisdiction):
                    pairs.append((p.index, c.index))
            for other in platforms.values():
                if other is not p and other.jurisdiction in local:
                    pairs.append((p.index, other.index))
    overrides = {(lk.source, lk.to): lk for lk in scenario.links}
    local_rules = _jurisdictions_with_registry_rules(scenario)
    links = [_resolve(scenario, nodes[s], nodes[d], overrides, local_rules) for s, d in pairs]
    return nodes, links


def local_expiry_by_origin(scenario: Scenario) -> list[bool]:
    """Whether records created nationally (first entry) and in each jurisdiction expire locally."""
    return [scenario.registry.local_expiry] + [
        jurisdiction_section(scenario, "registry", j).local_expiry
        for j in range(scenario.population.jurisdictions)]


def _jurisdictions_with_registry_rules(scenario: Scenario) -> list[int]:
    """Jurisdictions whose ``[jurisdictions.X.registry]`` changes anything."""
    names = scenario.population.names()
    return [j for j, name in enumerate(names)
            if name in scenario.jurisdictions
            and jurisdiction_section(scenario, "registry", j) != scenario.registry]


def _link_values(reg: Registry, scenario: Scenario, dest: Node,
                 override: Any) -> dict[str, float]:
    """A link's values for records under the registry section ``reg`` (their origin's)."""
    values = {f: getattr(reg, f) for f in LINK_FIELDS}
    if dest.kind == "agency":
        agency = scenario.agencies[dest.name]
        for f in LINK_FIELDS:
            if getattr(agency, f) is not None:
                values[f] = getattr(agency, f)
    if override is not None:
        for f in LINK_FIELDS:
            if getattr(override, f) is not None:
                values[f] = getattr(override, f)
    return values


def _resolve(scenario: Scenario, src: Node, dest: Node, overrides: dict,
             local_rules: list[int]) -> LinkParams:
    override = overrides.get((src.name, dest.name))
    home = dest.jurisdiction if dest.kind == "agency" else -1
    base = _link_values(scenario.registry, scenario, dest, override)
    crossed = None
    if home >= 0 and scenario.population.jurisdictions > 1:
        crossed = {**base, "sharing": base["sharing"] * scenario.registry.cross_jurisdiction_sharing}
    by_origin = {}
    for j in local_rules:
        reg: Registry = jurisdiction_section(scenario, "registry", j)
        values = _link_values(reg, scenario, dest, override)
        if home >= 0 and j != home:
            values["sharing"] *= reg.cross_jurisdiction_sharing
        by_origin[j] = values
    return LinkParams(source=src.index, to=dest.index, **base, home=home, crossed=crossed,
                      by_origin=by_origin)

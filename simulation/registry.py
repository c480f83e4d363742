"""The registry layer: records, every node's copy, sharing links, deletion and matching.

One record table holds every list entry ever created (ground truth included). Each node (agency
or platform) holds a copy: per record, the day it arrived (or never), the day its deletion
arrived (or never) and whether the ID field was lost on the way. Propagation is computed when a
message is sent: the draws fix its arrival day at every hop, so a copy's state on any day is a
comparison, and no message queue is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulation.codes import BLACK, FIRM, ID_INVALID, ID_MISSING, NEVER, PERSON, RED, Via
from simulation.tables import Table

__all__ = ["BLACK", "FIRM", "ID_INVALID", "ID_MISSING", "NEVER", "PERSON", "RED", "LinkParams",
           "MatchIndex", "Node", "Registry", "expand_matches", "geometric_delay"]


@dataclass
class LinkParams:
    """Resolved parameters of one directed link (after all overrides).

    A record travels under the values of the jurisdiction that created it (its *origin*): the
    scalar fields are those of records from national nodes and from jurisdictions without
    registry overrides that do not cross into another jurisdiction here; ``crossed`` holds the
    values of such records entering a local agency of another jurisdiction (``home``), and
    ``by_origin`` those of records created in a jurisdiction with registry overrides.
    """

    source: int
    to: int
    sharing: float
    delay_days: float
    deletion_sharing: float
    deletion_delay_days: float
    format_loss_rate: float
    home: int = -1  # the receiving agency's jurisdiction (-1: national agency, or a platform)
    crossed: dict[str, float] | None = None
    by_origin: dict[int, dict[str, float]] = field(default_factory=dict)

    def value(self, name: str, origin: np.ndarray) -> float | np.ndarray:
        """One parameter for records of these origin jurisdictions (a scalar if all alike)."""
        base = getattr(self, name)
        if self.crossed is None and not self.by_origin:
            return base
        out = np.full(origin.size, base, dtype=np.float64)
        if self.crossed is not None:
            out[(origin >= 0) & (origin != self.home)] = self.crossed[name]
        overridden = np.fromiter(self.by_origin, dtype=np.int64, count=len(self.by_origin))
        for o in np.intersect1d(origin, overridden):
            out[origin == o] = self.by_origin[int(o)][name]
        return out


@dataclass
class Node:
    """A registry holder: court (source only), agency (copy) or platform (relay copy)."""

    index: int
    name: str
    kind: str  # court, agency, platform
    jurisdiction: int  # -1 = national
    consumes: frozenset[int]  # list ids accepted into this copy (platforms: all)
    local_expiry: bool | None = None  # the agency's own rule; None: the record's origin decides


def geometric_delay(u: np.ndarray, mean: float | np.ndarray) -> np.ndarray:
    """Days of delay with the given mean (one, or one per uniform), from uniforms (inverse CDF of
    a geometric on 0,1,...)."""
    if np.ndim(mean) == 0:
        if mean <= 0:
            return np.zeros(u.shape, dtype=np.int64)
        q = mean / (1.0 + mean)
        return np.floor(np.log1p(-u) / np.log(q)).astype(np.int64)
    mean = np.asarray(mean, dtype=np.float64)
    out = np.zeros(u.shape, dtype=np.int64)
    pos = mean > 0
    q = mean[pos] / (1.0 + mean[pos])
    out[pos] = np.floor(np.log1p(-u[pos]) / np.log(q)).astype(np.int64)
    return out


class Registry:
    """Records, copies, links and the matching rules consumers apply."""

    def __init__(self, nodes: list[Node], links: list[LinkParams], list_names: list[str],
                 local_expiry_by_origin: np.ndarray | None = None):
        """``local_expiry_by_origin[o + 1]``: whether records created in jurisdiction ``o``
        (``-1``: by a national node) leave a copy at the end of their term, wherever they are
        held, unless the holding agency sets its own rule (``Node.local_expiry``)."""
        self.nodes = nodes
        self.list_names = list_names
        self.node_jurisdiction = np.array([n.jurisdiction for n in nodes], dtype=np.int64)
        n_origins = int(self.node_jurisdiction.max(initial=-1)) + 2
        self.local_expiry_by_origin = (np.zeros(n_origins, dtype=bool)
                                       if local_expiry_by_origin is None
                                       else np.asarray(local_expiry_by_origin, dtype=bool))
        self.out_links: dict[int, list[LinkParams]] = {n.index: [] for n in nodes}
        for link in links:
            self.out_links[link.source].append(link)
        self.records = Table(
            {
                "list_id": (np.int16, -1),
                "color": (np.int8, BLACK),
                "source": (np.int16, -1),
                "subject_kind": (np.int8, PERSON),
                "subject": (np.int64, -1),
                "entered_id": (np.int64, ID_MISSING),
                "name": (np.int32, -1),
                "rep_true": (np.int64, -1),
                "rep_entered_id": (np.int64, ID_MISSING),
                "rep_name": (np.int32, -1),
                "jurisdiction": (np.int16, -1),
                "listed_day": (np.int32, NEVER),
                "expiry_day": (np.int32, NEVER),
                "deleted_day": (np.int32, NEVER),
                "delete_reason": (np.int8, -1),
                "reason": (np.int8, -1),
                "wrongful_source": (np.bool_, False),
                "case": (np.int32, -1),
            },
            capacity=4096,
        )
        cap = self.records.capacity
        n_nodes = len(nodes)
        self.arrive = np.full((n_nodes, cap), NEVER, dtype=np.int32)
        self.deleted = np.full((n_nodes, cap), NEVER, dtype=np.int32)
        self.id_lost = np.zeros((n_nodes, cap), dtype=bool)
        self.records.on_grow(self._grow_copies)
        # accepts[node, list_id]: whether the node's copy takes records of that list.
        self.accepts = np.zeros((n_nodes, max(len(list_names), 1)), dtype=bool)
        for n in nodes:
            self.accepts[n.index, sorted(n.consumes)] = True
            if n.kind == "platform":
                self.accepts[n.index] = True

    def _grow_copies(self, cap: int) -> None:
        n = self.arrive.shape[1]
        for name, fill in (("arrive", NEVER), ("deleted", NEVER), ("id_lost", False)):
            old = getattr(self, name)
            new = np.full((old.shape[0], cap), fill, dtype=old.dtype)
            new[:, :n] = old
            setattr(self, name, new)

    # ------------------------------------------------------------------ sending

    def _skip(self, node: int, dest: Node, via_platform: bool) -> bool:
        """A platform relays what another platform sent it only to its own local consumers."""
        return via_platform and (
            dest.kind == "platform" or dest.jurisdiction != self.nodes[node].jurisdiction
        )

    def send(self, node: int, rows: np.ndarray, times: np.ndarray, lost: np.ndarray,
             rng: np.random.Generator, *, via_platform: bool = False) -> None:
        """Send additions from ``node`` along its links; arrival days are fixed now."""
        if rows.size == 0:
            return
        for link in self.out_links[node]:
            dest = self.nodes[link.to]
            if self._skip(node, dest, via_platform):
                continue
            # Three uniforms per record and link whatever the parameters (common random numbers).
            u = rng.random((3, rows.size))
            origin = self.origin(rows)
            accepts = self.accepts[link.to, self.records.list_id[rows]]
            ok = accepts & (u[0] < link.value("sharing", origin))
            if not ok.any():
                continue
            r = rows[ok]
            t = times[ok] + geometric_delay(u[1][ok], _at(link.value("delay_days", origin), ok))
            lo = lost[ok] | (u[2][ok] < _at(link.value("format_loss_rate", origin), ok))
            first = t < self.arrive[link.to, r]
            r, t, lo = r[first], t[first], lo[first]
            self.arrive[link.to, r] = t
            self.id_lost[link.to, r] = lo
            if dest.kind == "platform":
                self.send(link.to, r, t, lo, rng,
                          via_platform=self.nodes[node].kind == "platform")

    def send_deletions(self, node: int, rows: np.ndarray, times: np.ndarray,
                       rng: np.random.Generator, *, via_platform: bool = False) -> None:
        """Send deletions from ``node`` along its links; some never arrive, most arrive late."""
        if rows.size == 0:
            return
        for link in self.out_links[node]:
            dest = self.nodes[link.to]
            if self._skip(node, dest, via_platform):
                continue
            u = rng.random((2, rows.size))
            origin = self.origin(rows)
            had = self.arrive[link.to, rows] != NEVER
            ok = had & (u[0] < link.value("deletion_sharing", origin))
            if not ok.any():
                continue
            r = rows[ok]
            t = times[ok] + geometric_delay(u[1][ok],
                                            _at(link.value("deletion_delay_days", origin), ok))
            earlier = t < self.deleted[link.to, r]
            r, t = r[earlier], t[earlier]
            self.deleted[link.to, r] = t
            if dest.kind == "platform":
                self.send_deletions(link.to, r, t, rng,
                                    via_platform=self.nodes[node].kind == "platform")

    def delete_at_source(self, rows: np.ndarray, day: int, reason: int,
                         rng: np.random.Generator) -> np.ndarray:
        """Delete active records at their source today and send the deletions; returns them."""
        rows = rows[self.records.deleted_day[rows] == NEVER]
        if rows.size == 0:
            return rows
        self.records.deleted_day[rows] = day
        self.records.delete_reason[rows] = reason
        sources = self.records.source[rows]
        for src in np.unique(sources):
            sel = rows[sources == src]
            if self.nodes[src].kind == "agency":
                self.deleted[src, sel] = np.minimum(self.deleted[src, sel], day)
            self.send_deletions(int(src), sel, np.full(sel.size, day, dtype=np.int64), rng)
        return rows

    def delete_everywhere(self, rows: np.ndarray, day: int) -> None:
        """Remove records from every copy today (a remedy ordered for all copies)."""
        self.deleted[:, rows] = np.minimum(self.deleted[:, rows], day)

    # ------------------------------------------------------------------ state

    def active_at_source(self, day: int) -> np.ndarray:
        """Mask over records: listed and not yet deleted at the source on ``day``."""
        rec = self.records
        n = rec.n
        return (rec.listed_day[:n] <= day) & (rec.deleted_day[:n] > day)

    def origin(self, rows: np.ndarray) -> np.ndarray:
        """The jurisdiction that created each record (-1: a national node)."""
        return self.node_jurisdiction[self.records.source[rows]]

    def expires_locally(self, node: int, rows: np.ndarray) -> np.ndarray:
        """Whether each record leaves ``node``'s copy at the end of its term (local expiry): the
        holding agency's own rule if it has one, else the rule of the record's origin."""
        own = self.nodes[node].local_expiry
        if own is not None:
            return np.full(rows.size, own, dtype=bool)
        return self.local_expiry_by_origin[self.origin(rows) + 1]

    def expired_in_copy(self, node: int, rows: np.ndarray, day: int) -> np.ndarray:
        """Whether each record's term has run out in ``node``'s copy by ``day`` (local expiry)."""
        own = self.nodes[node].local_expiry
        if own is False or (own is None and not self.local_expiry_by_origin.any()):
            return np.zeros(rows.size, dtype=bool)
        return self.expires_locally(node, rows) & (self.records.expiry_day[rows] <= day)

    def present(self, node: int, day: int) -> np.ndarray:
        """Mask over records: held in ``node``'s copy on ``day``."""
        n = self.records.n
        mask = (self.arrive[node, :n] <= day) & (self.deleted[node, :n] > day)
        return mask & ~self.expired_in_copy(node, np.arange(n), day)


def _at(value: float | np.ndarray, mask: np.ndarray) -> float | np.ndarray:
    """A per-record parameter restricted to the records in ``mask`` (scalars pass through)."""
    return value if np.ndim(value) == 0 else value[mask]


def expand_matches(sorted_keys: np.ndarray, sorted_rows: np.ndarray,
                   query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (query position, record) pairs whose keys are equal; keys must be sorted."""
    left = np.searchsorted(sorted_keys, query, side="left")
    right = np.searchsorted(sorted_keys, query, side="right")
    count = right - left
    total = int(count.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    pos = np.repeat(np.arange(query.size), count)
    starts = np.repeat(left - (np.cumsum(count) - count), count)
    rows = sorted_rows[starts + np.arange(total)]
    return pos, rows


class CopyView:
    """The records of some lists held in one node's copy, kept up to date as they come and go.

    A record's arrival day at every node is fixed when it is sent (at creation), so a view
    notes each new record once (pending until it arrives, or dropped if it never will) and,
    each day, checks only the records it holds for departure (deletion arrived, or local
    expiry): no pass over every record ever created. ``refresh(day)`` may be called any number
    of times a day and returns what arrived and what left since the last call.
    """

    def __init__(self, registry: Registry, node: int, list_ids: np.ndarray | list[int]):
        self.registry = registry
        self.node = node
        self.accepts = np.zeros(max(len(registry.list_names), 1), dtype=bool)
        self.accepts[np.asarray(list_ids, dtype=np.int64)] = True
        self.seen = 0  # records looked at so far (rows below this are held, pending or never)
        self.pending = np.empty(0, dtype=np.int64)
        self.pending_day = np.empty(0, dtype=np.int64)
        self.rows = np.empty(0, dtype=np.int64)  # held today, in no particular order

    def _still_held(self, rows: np.ndarray, day: int) -> np.ndarray:
        keep = self.registry.deleted[self.node, rows] > day
        return keep & ~self.registry.expired_in_copy(self.node, rows, day)

    def refresh(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Bring the view to ``day``; returns (rows that arrived, rows that left)."""
        reg = self.registry
        n = reg.records.n
        if n > self.seen:
            new = np.arange(self.seen, n, dtype=np.int64)
            self.seen = n
            new = new[self.accepts[reg.records.list_id[new]]]
            when = reg.arrive[self.node, new]
            sent = when != NEVER
            self.pending = np.concatenate([self.pending, new[sent]])
            self.pending_day = np.concatenate([self.pending_day, when[sent].astype(np.int64)])
        left = self.rows
        if self.rows.size:
            keep = self._still_held(self.rows, day)
            left = self.rows[~keep]
            self.rows = self.rows[keep]
        arrived = self.pending[:0]
        if self.pending.size:
            due = self.pending_day <= day
            if due.any():
                arrived = self.pending[due]
                self.pending, self.pending_day = self.pending[~due], self.pending_day[~due]
                arrived = arrived[self._still_held(arrived, day)]
                self.rows = np.concatenate([self.rows, arrived])
        return arrived, left

    def stale(self, day: int) -> int:
        """How many held records are already deleted at their source on ``day``."""
        return int((self.registry.records.deleted_day[self.rows] <= day).sum())


class MatchIndex:
    """The lookup keys of one copy under one matching rule, maintained as records come and go.

    Person-facing: records are keyed by ID (``via_id``) or by name (optionally name and
    jurisdiction). Firm-facing: by credit code. Each key set is one sorted array of
    ``key << ROW_BITS | row``, so matches come out by key and then by record, and a day's
    arrivals and departures are inserted and removed in place (``update``), never rebuilt.
    """

    VIA_ID, VIA_NAME = Via.id, Via.name
    NAME_BITS = 27  # name ids < 2^27 (distinct_names <= 10^8); IDs < 2^26 (individuals <= 5 x 10^7)

    def __init__(self, registry: Registry, node: int, list_ids: np.ndarray | list[int], rule: str,
                 serves_firms: bool, reps_sanctioned: bool, n_jurisdictions: int):
        self.registry = registry
        self.node = node
        self.rule = rule
        self.n_j = n_jurisdictions
        self.serves_firms = serves_firms
        self.reps_sanctioned = reps_sanctioned
        self.copy = CopyView(registry, node, list_ids)
        key_bits = self.NAME_BITS + (max(n_jurisdictions - 1, 1).bit_length()
                                     if rule == "name_jurisdiction" else 0)
        self.row_bits = 62 - key_bits
        self.id_index = np.empty(0, dtype=np.int64)
        self.name_index = np.empty(0, dtype=np.int64)
        self._split()

    @property
    def rows(self) -> np.ndarray:
        """Rows held in the copy today (every kind of record, in no particular order)."""
        return self.copy.rows

    def update(self, day: int) -> MatchIndex:
        """Bring the index to ``day``: add the records that arrived, drop those that left."""
        arrived, left = self.copy.refresh(day)
        if arrived.size == 0 and left.size == 0:
            return self
        if left.size:
            id_c, name_c = self._composite(left)
            self.id_index = _remove(self.id_index, id_c)
            self.name_index = _remove(self.name_index, name_c)
        if arrived.size:
            id_c, name_c = self._composite(arrived)
            self.id_index = _insert(self.id_index, id_c)
            self.name_index = _insert(self.name_index, name_c)
        self._split()
        return self

    def name_keys_of(self, names: np.ndarray, jurisdictions: np.ndarray | None) -> np.ndarray:
        """The name key of names (and jurisdictions, under ``name_jurisdiction``)."""
        q = names.astype(np.int64)
        if self.rule == "name_jurisdiction":
            q = q * self.n_j + jurisdictions
        return q

    def _composite(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sorted ``key << ROW_BITS | row`` of these records, for the ID and the name index."""
        rec = self.registry.records
        kinds = rec.subject_kind[rows]
        if self.serves_firms:
            rows = rows[kinds == FIRM]
            keys = rec.entered_id[rows]
            ok = keys >= 0
            return self._pack(keys[ok], rows[ok]), np.empty(0, dtype=np.int64)
        if not self.reps_sanctioned:
            rows = rows[kinds == PERSON]
            kinds = rec.subject_kind[rows]
        is_person = kinds == PERSON
        ids = np.where(is_person, rec.entered_id[rows], rec.rep_entered_id[rows])
        names = np.where(is_person, rec.name[rows], rec.rep_name[rows])
        lost = self.registry.id_lost[self.node, rows]
        has_id = (ids != ID_MISSING) & ~lost
        if self.rule == "id":
            by_id, by_name = has_id, np.zeros(rows.size, dtype=bool)
        elif self.rule == "id_else_name":
            by_id, by_name = has_id, ~has_id
        else:
            by_id, by_name = np.zeros(rows.size, dtype=bool), np.ones(rows.size, dtype=bool)
        valid_id = by_id & (ids >= 0)
        name_keys = self.name_keys_of(names[by_name], rec.jurisdiction[rows[by_name]])
        return self._pack(ids[valid_id], rows[valid_id]), self._pack(name_keys, rows[by_name])

    def _pack(self, keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
        keys = keys.astype(np.int64)
        if keys.size and (keys.min() < 0 or keys.max() >> (62 - self.row_bits)
                          or rows.max() >> self.row_bits):
            raise ValueError("match key or record number out of range of the packed index")
        return np.sort((keys << self.row_bits) | rows.astype(np.int64))

    def _split(self) -> None:
        mask = (1 << self.row_bits) - 1
        self.id_keys, self.id_rows = self.id_index >> self.row_bits, self.id_index & mask
        self.name_keys, self.name_rows = self.name_index >> self.row_bits, self.name_index & mask

    def pairs(self, ids: np.ndarray, names: np.ndarray | None,
              jurisdictions: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Match users: returns (user position, record, via) for every matching record."""
        p1, r1 = expand_matches(self.id_keys, self.id_rows, ids)
        if names is not None and self.name_keys.size:
            p2, r2 = expand_matches(self.name_keys, self.name_rows,
                                    self.name_keys_of(names, jurisdictions))
        else:
            p2 = r2 = np.empty(0, dtype=np.int64)
        via = np.concatenate([np.full(p1.size, self.VIA_ID, dtype=np.int8),
                              np.full(p2.size, self.VIA_NAME, dtype=np.int8)])
        return np.concatenate([p1, p2]), np.concatenate([r1, r2]), via


def _insert(index: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Insert sorted values into a sorted array, keeping it sorted."""
    if values.size == 0:
        return index
    return np.insert(index, np.searchsorted(index, values), values)


def _remove(index: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Remove values (each present once) from a sorted array."""
    if values.size == 0:
        return index
    return np.delete(index, np.searchsorted(index, values))

"""The registry layer: records, every node's copy, sharing links, deletion and matching.

One record table holds every list entry ever created (ground truth included). Each node (agency
or platform) holds a copy: per record, the day it arrived (or never), the day its deletion
arrived (or never) and whether the ID field was lost on the way. Propagation is computed when a
message is sent: the draws fix its arrival day at every hop, so a copy's state on any day is a
comparison, and no message queue is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.tables import Table

NEVER = np.iinfo(np.int32).max
BLACK, RED = 0, 1
PERSON, FIRM = 0, 1
ID_MISSING, ID_INVALID = -1, -2


@dataclass
class LinkParams:
    """Resolved parameters of one directed link (after all overrides)."""

    source: int
    to: int
    sharing: float
    delay_days: float
    deletion_sharing: float
    deletion_delay_days: float
    format_loss_rate: float


@dataclass
class Node:
    """A registry holder: court (source only), agency (copy) or platform (relay copy)."""

    index: int
    name: str
    kind: str  # court, agency, platform
    jurisdiction: int  # -1 = national
    consumes: frozenset[int]  # list ids accepted into this copy (platforms: all)
    local_expiry: bool = False


def geometric_delay(u: np.ndarray, mean: float) -> np.ndarray:
    """Days of delay with the given mean, from uniforms (inverse CDF of a geometric on 0,1,...)."""
    if mean <= 0:
        return np.zeros(u.shape, dtype=np.int64)
    q = mean / (1.0 + mean)
    return np.floor(np.log1p(-u) / np.log(q)).astype(np.int64)


class Registry:
    """Records, copies, links and the matching rules consumers apply."""

    def __init__(self, nodes: list[Node], links: list[LinkParams], list_names: list[str]):
        self.nodes = nodes
        self.list_names = list_names
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
            accepts = np.isin(self.records.list_id[rows], list(dest.consumes)) \
                if dest.kind != "platform" else np.ones(rows.size, dtype=bool)
            ok = accepts & (u[0] < link.sharing)
            if not ok.any():
                continue
            r = rows[ok]
            t = times[ok] + geometric_delay(u[1][ok], link.delay_days)
            lo = lost[ok] | (u[2][ok] < link.format_loss_rate)
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
            had = self.arrive[link.to, rows] != NEVER
            ok = had & (u[0] < link.deletion_sharing)
            if not ok.any():
                continue
            r = rows[ok]
            t = times[ok] + geometric_delay(u[1][ok], link.deletion_delay_days)
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

    def present(self, node: int, day: int) -> np.ndarray:
        """Mask over records: held in ``node``'s copy on ``day``."""
        n = self.records.n
        mask = (self.arrive[node, :n] <= day) & (self.deleted[node, :n] > day)
        if self.nodes[node].local_expiry:
            mask &= self.records.expiry_day[:n] > day
        return mask


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


class MatchIndex:
    """One day's lookup keys of one copy under one matching rule.

    Person-facing: records are keyed by ID (``via_id``) or by name (optionally name and
    jurisdiction). Firm-facing: by credit code. Built once per agency per day.
    """

    VIA_ID, VIA_NAME = 1, 2

    def __init__(self, registry: Registry, node: int, rows: np.ndarray, rule: str,
                 serves_firms: bool, reps_sanctioned: bool, n_jurisdictions: int):
        rec = registry.records
        self.rule = rule
        self.n_j = n_jurisdictions
        kinds = rec.subject_kind[rows]
        if serves_firms:
            rows = rows[kinds == FIRM]
            keys = rec.entered_id[rows]
            ok = keys >= 0
            self.id_keys, self.id_rows = _sorted(keys[ok], rows[ok])
            self.name_keys = self.name_rows = np.empty(0, dtype=np.int64)
            return
        if not reps_sanctioned:
            rows = rows[kinds == PERSON]
            kinds = rec.subject_kind[rows]
        is_person = kinds == PERSON
        ids = np.where(is_person, rec.entered_id[rows], rec.rep_entered_id[rows])
        names = np.where(is_person, rec.name[rows], rec.rep_name[rows]).astype(np.int64)
        lost = registry.id_lost[node, rows]
        has_id = (ids != ID_MISSING) & ~lost
        if rule == "id":
            by_id, by_name = has_id, np.zeros(rows.size, dtype=bool)
        elif rule == "id_else_name":
            by_id, by_name = has_id, ~has_id
        else:
            by_id, by_name = np.zeros(rows.size, dtype=bool), np.ones(rows.size, dtype=bool)
        if rule == "name_jurisdiction":
            names = names * n_jurisdictions + rec.jurisdiction[rows]
        valid_id = by_id & (ids >= 0)
        self.id_keys, self.id_rows = _sorted(ids[valid_id], rows[valid_id])
        self.name_keys, self.name_rows = _sorted(names[by_name], rows[by_name])

    def pairs(self, ids: np.ndarray, names: np.ndarray | None,
              jurisdictions: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Match users: returns (user position, record, via) for every matching record."""
        p1, r1 = expand_matches(self.id_keys, self.id_rows, ids)
        if names is not None and self.name_keys.size:
            q = names.astype(np.int64)
            if self.rule == "name_jurisdiction":
                q = q * self.n_j + jurisdictions
            p2, r2 = expand_matches(self.name_keys, self.name_rows, q)
        else:
            p2 = r2 = np.empty(0, dtype=np.int64)
        via = np.concatenate([np.full(p1.size, self.VIA_ID, dtype=np.int8),
                              np.full(p2.size, self.VIA_NAME, dtype=np.int8)])
        return np.concatenate([p1, p2]), np.concatenate([r1, r2]), via


def _sorted(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(keys, kind="stable")
    return keys[order].astype(np.int64), rows[order].astype(np.int64)

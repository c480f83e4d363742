"""An independent reference classifier, written from the raw facts a run records (``--truth``).

It shares no code with the model: it reads events.parquet and the truth tables with pandas and
re-derives, for every service check, whether the user should have been sanctioned, missed or
rewarded and why, from the definitions in docs/model.md:

- a check at ``(day, seq)`` sees exactly the listings, delistings and payments whose events come
  before event index ``seq``; copies hold what arrived by ``day`` and was not deleted before the
  check; representatives change at the start of a day;
- a matched record is *correct* when it is the user's own (its subject, or for a firm's record
  the representative entered at listing, who must still represent the firm), still listed at
  its source, rightly listed and not paid;
- a sanction is correct when the user's correct records alone suffice (one, or enough points);
  otherwise its primary cause is the least wrong over its wrong records (each record labelled by
  its most wrong cause) and ``causes_any`` holds every cause of every wrong record.

Entry conventions (the schema): an entered ID of -1 is missing, -2 points at nobody.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

MISSING_ID = -1
# Least to most wrong.
SEVERITY = ["listed_at_source", "paid_pending_deletion", "stale_record", "stale_representative",
            "id_error", "name_collision"]


@dataclass
class Report:
    """What the oracle compared and where it disagreed."""

    checks: int = 0
    sanctions: int = 0
    misses: int = 0
    rewards: int = 0
    disagreements: list[str] = field(default_factory=list)


def load(folder: Path) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """A run folder's events and truth tables."""
    events = pd.read_parquet(folder / "events.parquet")
    truth = {p.stem: pd.read_parquet(p) for p in (folder / "truth").glob("*.parquet")}
    return events, truth


def check_run(events: pd.DataFrame, truth: dict[str, pd.DataFrame]) -> Report:
    """Re-derive every sanction, miss and reward of a run and compare with its events."""
    world = World(events, truth)
    report = Report(checks=len(truth["checks"]))
    expected = []
    for node, checks in truth["checks"].groupby("node"):
        expected.append(world.outcomes(int(node), checks))
    exp = pd.concat(expected, ignore_index=True) if expected else pd.DataFrame()
    got = events[events["event"].isin(["sanction", "miss", "reward"])].copy()
    got["event"] = got["event"].astype(str)
    got["cause"] = got["cause"].astype(str)
    got["agency"] = got["agency"].astype(str)
    report.sanctions = int((got["event"] == "sanction").sum())
    report.misses = int((got["event"] == "miss").sum())
    report.rewards = int((got["event"] == "reward").sum())
    if exp.empty:
        if len(got):
            report.disagreements.append(f"{len(got)} events where the oracle expects none")
        return report
    report.disagreements += _compare(exp, got, world.cause_bits)
    report.disagreements += _until(world, events, truth)
    return report


def _until(world: World, events: pd.DataFrame, truth: dict[str, pd.DataFrame]) -> list[str]:
    """Each sanction's ``until``: the first day its record was gone from the agency's copy
    (deleted there, or its term over where the copy expires records locally), or an exemption
    of the subject from it held there or everywhere, or the run had ended."""
    if "until" not in events:
        return ["events have no 'until' column"]
    days = int(truth["run"]["days_simulated"].iloc[0])
    nodes = truth["nodes"]
    node_of = dict(zip(nodes["name"], nodes["node"], strict=True))
    s = events[events["event"] == "sanction"].reset_index()
    s["node"] = s["agency"].astype(str).map(node_of).astype("int64")
    s = s.merge(truth["copies"][["node", "record", "deleted_day"]], on=["node", "record"],
                how="left")
    ex = truth["exemptions"]
    everywhere = len(nodes)
    first = []
    for target in ("node", "everywhere"):
        key = s[["index", "record", "subject"]].assign(
            target=s["node"] if target == "node" else everywhere)
        hit = key.merge(ex, on=["record", "subject", "target"])
        first.append(hit.groupby("index")["day"].min())
    exempt_day = pd.concat(first, axis=1).min(axis=1) if first else pd.Series(dtype=float)
    expect = np.minimum(s["deleted_day"].to_numpy(dtype=np.int64), days)
    rec = world.records.reindex(s["record"])
    for node, rows in s.groupby("node").groups.items():
        at = s.index.get_indexer(rows)
        local = world._expires(rec.iloc[at].reset_index(drop=True), int(node)).to_numpy()
        expiry = rec["expiry_day"].to_numpy(dtype=np.int64)[at]
        expect[at] = np.where(local, np.minimum(expect[at], expiry), expect[at])
    ex_day = s["index"].map(exempt_day).fillna(np.inf).to_numpy()
    expect = np.minimum(expect, ex_day).astype(np.int64)
    bad = s[expect != s["until"].to_numpy()]
    return [f"sanction event {r['index']} (day {r['day']}, {r['agency']}, record {r['record']}):"
            f" until {r['until']}, oracle {e}"
            for (_, r), e in zip(bad.head(20).iterrows(), expect[expect != s['until']][:20],
                                 strict=False)]


class World:
    """The run's facts, indexed for the questions a check asks."""

    def __init__(self, events: pd.DataFrame, truth: dict[str, pd.DataFrame]):
        self.events = events.reset_index(drop=True)
        self.cause_bits = {c: 1 << i for i, c in enumerate(events["cause"].cat.categories)}
        self.nodes = truth["nodes"].set_index("node")
        self.people = truth["people"].set_index("person")
        rec = truth["records"].set_index("record")
        ev = self.events
        seq = pd.Series(ev.index, index=ev.index)
        listing = ev["event"] == "listing"
        delisting = ev["event"] == "delisting"
        rec["listed_seq"] = seq[listing].groupby(ev.loc[listing, "record"]).min()
        rec["deleted_seq"] = seq[delisting].groupby(ev.loc[delisting, "record"]).min()
        rec["deleted_seq"] = rec["deleted_seq"].fillna(np.inf)
        rec["paid_seq"] = self._paid_seq(rec, truth["cases"])
        # A record expires locally in a copy by the holding agency's own rule, else by the rule
        # of the jurisdiction whose node created it.
        origin = self.nodes["jurisdiction"].reindex(rec["source"]).to_numpy()
        by_origin = truth["origins"].set_index("jurisdiction")["local_expiry"]
        rec["origin_expiry"] = by_origin.reindex(origin).to_numpy(dtype=bool)
        rec["list_name"] = truth["lists"].set_index("list_id")["name"].reindex(rec["list_id"]).values
        self.records = rec
        self.copies = truth["copies"]
        self.exemptions = truth["exemptions"]
        self.n_nodes = len(self.nodes)
        reps = truth["representatives"].sort_values(["day"], kind="stable")
        self.reps = reps

    def _paid_seq(self, rec: pd.DataFrame, cases: pd.DataFrame) -> pd.Series:
        """Event index of the payment (after listing) of each record's case, else infinity."""
        ev = self.events
        paid = ev[(ev["event"] == "compliance") & (ev["cause"] == "after_listing")]
        kinds = {"individual": 0, "firm": 1}
        pay = pd.DataFrame({"kind": paid["subject_kind"].astype(str).map(kinds).values,
                            "subject": paid["subject"].values, "day": paid["day"].values,
                            "seq": paid.index.values})
        c = cases.rename(columns={"subject_kind": "kind", "closed_day": "day"})
        linked = c.merge(pay, on=["kind", "subject", "day"], how="inner")
        by_case = linked.set_index("case")["seq"]
        return rec["case"].map(by_case).fillna(np.inf)

    # ------------------------------------------------------------------ facts at a check

    def rep_at(self, firms: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Each firm's representative on each day (changes apply from the start of the day)."""
        if firms.size == 0:
            return np.empty(0, dtype=np.int64)
        q = pd.DataFrame({"firm": firms, "day": days, "i": np.arange(firms.size)})
        out = pd.merge_asof(q.sort_values("day"), self.reps.sort_values("day"), on="day",
                            by="firm", direction="backward")
        return out.sort_values("i")["representative"].to_numpy(dtype=np.int64)

    def _in_copy(self, pairs: pd.DataFrame, node: int) -> pd.DataFrame:
        """Keep pairs whose record the node's copy holds at the check, with the copy's facts."""
        cp = self.copies[self.copies["node"] == node]
        p = pairs.merge(cp[["record", "arrive_day", "deleted_day", "id_lost"]], on="record")
        arrived = (p["arrive_day"] <= p["day"]) & (p["listed_seq"] < p["seq"])
        p["copy_gone"] = self._copy_gone(p)
        keep = arrived & ~p["copy_gone"] & ~(self._expires(p, node) & (p["expiry_day"] <= p["day"]))
        return p[keep]

    def _expires(self, p: pd.DataFrame, node: int) -> pd.Series:
        """Whether each pair's record expires locally in this node's copy."""
        own = self.nodes.loc[node, "local_expiry"]
        if pd.isna(own):
            return p["origin_expiry"].astype(bool)
        return pd.Series(bool(own), index=p.index)

    @staticmethod
    def _copy_gone(p: pd.DataFrame) -> pd.Series:
        """The copy's deletion took effect before the check (not a same-day later deletion)."""
        later_today = (p["deleted_day"] == p["day"]) & (p["deleted_seq"] > p["seq"])
        return (p["deleted_day"] < p["day"]) | ((p["deleted_day"] == p["day"]) & ~later_today)

    def _with_records(self, df: pd.DataFrame) -> pd.DataFrame:
        cols = ["list_id", "color", "subject_kind", "subject", "entered_id", "name", "rep_true",
                "rep_entered_id", "rep_name", "jurisdiction", "expiry_day", "wrongful_source",
                "listed_seq", "deleted_seq", "paid_seq", "origin_expiry"]
        r = self.records[cols].rename(columns={"jurisdiction": "rec_jurisdiction",
                                               "name": "rec_name"})
        return df.merge(r, left_on="record", right_index=True).reset_index(drop=True)

    def _rightful(self, checks: pd.DataFrame, node: int, lists: list[int] | None) -> pd.DataFrame:
        """(check, record) pairs: the record rightly lists the checked subject right now."""
        n = self.nodes.loc[node]
        rec = self.records
        base = rec[(rec["color"] == 0)]
        if lists is not None:
            base = base[base["list_id"].isin(lists)]
        parts = []
        want_kind = 1 if n["serves_firms"] else 0
        own = base[base["subject_kind"] == want_kind].reset_index()[["record", "subject"]]
        parts.append(checks.merge(own, left_on="user", right_on="subject").drop(columns="subject"))
        if not n["serves_firms"] and n["reps_sanctioned"]:
            firm = base[base["subject_kind"] == 1].reset_index()[["record", "subject"]]
            days = np.unique(checks["day"])
            grid = firm.merge(pd.DataFrame({"day": days}), how="cross")
            grid["rep_now"] = self.rep_at(grid["subject"].to_numpy(), grid["day"].to_numpy())
            parts.append(checks.merge(grid[["record", "day", "rep_now"]],
                                      left_on=["user", "day"], right_on=["rep_now", "day"])
                         .drop(columns="rep_now"))
        p = self._with_records(pd.concat(parts, ignore_index=True))
        listed = (p["listed_seq"] < p["seq"]) & ~(p["deleted_seq"] < p["seq"])
        return p[listed & ~p["wrongful_source"] & ~(p["paid_seq"] < p["seq"])]

    def _matches(self, checks: pd.DataFrame, node: int, color: int,
                 lists: list[int]) -> pd.DataFrame:
        """(check, record) pairs matched by the agency's rule against its copy, with the route."""
        n = self.nodes.loc[node]
        rec = self.records
        cand = rec[(rec["color"] == color) & rec["list_id"].isin(lists)].reset_index()
        if n["serves_firms"]:
            cand = cand[(cand["subject_kind"] == 1) & (cand["entered_id"] >= 0)]
            p = checks.merge(cand[["record", "entered_id"]], left_on="user", right_on="entered_id")
            p = self._in_copy(self._with_records(p.drop(columns="entered_id")), node)
            return p.assign(via="id")
        if color == 1 or not n["reps_sanctioned"]:
            cand = cand[cand["subject_kind"] == 0]
        person = cand["subject_kind"] == 0
        cand = cand.assign(key_id=np.where(person, cand["entered_id"], cand["rep_entered_id"]),
                           key_name=np.where(person, cand["name"], cand["rep_name"]))
        chk = checks.assign(user_name=self.people["name"].reindex(checks["user"]).to_numpy(),
                            user_j=self.people["jurisdiction"].reindex(checks["user"]).to_numpy())
        by_id = chk.merge(cand[["record", "key_id"]], left_on="user", right_on="key_id")
        by_name = chk.merge(cand[["record", "key_name"]], left_on="user_name", right_on="key_name")
        by_id = self._in_copy(self._with_records(by_id), node)
        by_name = self._in_copy(self._with_records(by_name), node)
        rule = n["rule"]
        id_usable = (by_id["key_id"] != MISSING_ID) & ~by_id["id_lost"]
        name_has_id = (np.where(by_name["subject_kind"] == 0, by_name["entered_id"],
                                by_name["rep_entered_id"]) != MISSING_ID) & ~by_name["id_lost"]
        if rule == "id":
            by_name = by_name.iloc[0:0]
        elif rule == "id_else_name":
            by_name = by_name[~name_has_id]
        else:
            by_id = by_id.iloc[0:0]
            if rule == "name_jurisdiction":
                by_name = by_name[by_name["rec_jurisdiction"] == by_name["user_j"]]
        by_id = by_id[id_usable.reindex(by_id.index, fill_value=False)]
        cols = [c for c in by_id.columns if c not in ("key_id", "key_name")]
        return pd.concat([by_id[cols].assign(via="id"), by_name[cols].assign(via="name")],
                         ignore_index=True)

    def _exempt(self, p: pd.DataFrame, node: int) -> pd.Series:
        ex = self.exemptions
        if ex.empty or p.empty:
            return pd.Series(False, index=p.index)
        ex = ex[ex["target"].isin([node, self.n_nodes])]
        m = p.reset_index().merge(ex, left_on=["record", "user"], right_on=["record", "subject"],
                                  suffixes=("", "_ex"))
        m = m[m["day_ex"] <= m["day"]]
        return pd.Series(p.index.isin(m["index"]), index=p.index)

    # ------------------------------------------------------------------ outcomes

    def outcomes(self, node: int, checks: pd.DataFrame) -> pd.DataFrame:
        """Expected sanction, miss and reward rows of one agency's checks."""
        n = self.nodes.loc[node]
        lists = [int(x) for x in str(n["consumes_black"]).split(",") if x != ""]
        checks = checks.reset_index(drop=True).assign(check=lambda d: d.index)
        out = []
        pairs = self._matches(checks[~checks["evaded"]], node, 0, lists)
        pairs = pairs[~self._exempt(pairs, node)]
        pairs = self._pair_causes(pairs, node)
        sanctions = self._sanctions(pairs, n)
        out.append(sanctions)
        right = self._rightful(checks, node, lists)
        out.append(self._misses(checks, right, sanctions, node, n))
        if int(n["red_list"]) >= 0:
            out.append(self._rewards(checks, node, int(n["red_list"])))
        found = [o for o in out if not o.empty]
        res = pd.concat(found, ignore_index=True) if found else pd.DataFrame()
        if not res.empty:
            res["agency"] = n["name"]
        return res

    def _pair_causes(self, p: pd.DataFrame, node: int) -> pd.DataFrame:
        """Each matched pair's causes (bit set), and its severity (0 = correct)."""
        if p.empty:
            return p.assign(bits=pd.Series(dtype="int64"), severity=pd.Series(dtype="int64"))
        firms_facing = bool(self.nodes.loc[node, "serves_firms"])
        person_rec = (p["subject_kind"] == 0).to_numpy()
        user = p["user"].to_numpy()
        if firms_facing:
            theirs = p["subject"].to_numpy() == user
            current = np.ones(len(p), dtype=bool)
        else:
            theirs = np.where(person_rec, p["subject"].to_numpy() == user,
                              p["rep_true"].to_numpy() == user)
            rep_now = np.full(len(p), -1)
            f = ~person_rec
            rep_now[f] = self.rep_at(p["subject"].to_numpy()[f], p["day"].to_numpy()[f])
            current = person_rec | (rep_now == user)
        at_source = ~(p["deleted_seq"] < p["seq"]).to_numpy()
        paid = (p["paid_seq"] < p["seq"]).to_numpy()
        via_id = (p["via"] == "id").to_numpy()
        causes = {
            "listed_at_source": p["wrongful_source"].to_numpy(dtype=bool),
            "paid_pending_deletion": at_source & paid,
            "stale_record": ~at_source,
            "stale_representative": theirs & ~current,
            "id_error": ~theirs & via_id,
            "name_collision": ~theirs & ~via_id,
        }
        bits = np.zeros(len(p), dtype=np.int64)
        severity = np.zeros(len(p), dtype=np.int64)
        for rank, name in enumerate(SEVERITY, start=1):
            bits |= np.where(causes[name], self.cause_bits[name], 0)
            severity = np.where(causes[name], rank, severity)
        return p.assign(bits=bits, severity=severity)

    def _sanctions(self, p: pd.DataFrame, n: pd.Series) -> pd.DataFrame:
        """One row per (sanctioned check, record that may be reported): cause, causes_any."""
        if p.empty:
            return pd.DataFrame()
        g = p.groupby("check")
        n_all = g.size()
        n_ok = g["severity"].apply(lambda s: int((s == 0).sum()))
        if np.isnan(n["points_per_record"]):
            hit, ok = n_all > 0, n_ok > 0
        else:
            hit = n_all * n["points_per_record"] > n["allowance"]
            ok = n_ok * n["points_per_record"] > n["allowance"]
        wrong = p[p["severity"] > 0]
        any_bits = wrong.groupby("check")["bits"].agg(np.bitwise_or.reduce)
        best = wrong.groupby("check")["severity"].min()
        p = p[p["check"].map(hit)]
        is_ok = p["check"].map(ok)
        want = np.where(is_ok, 0, p["check"].map(best).fillna(-1))
        rows = p[p["severity"].to_numpy() == want]
        cause = np.where(rows["check"].map(ok), "correct",
                         [SEVERITY[int(s) - 1] if s > 0 else "correct" for s in rows["severity"]])
        bits = np.where(rows["check"].map(ok), 0, rows["check"].map(any_bits).fillna(0))
        return pd.DataFrame({"event": "sanction", "day": rows["day"].to_numpy(),
                             "subject": rows["user"].to_numpy(), "check": rows["check"].to_numpy(),
                             "record": rows["record"].to_numpy(), "cause": cause,
                             "causes_any": bits.astype(np.int64)})

    def _misses(self, checks: pd.DataFrame, right: pd.DataFrame, sanctions: pd.DataFrame,
                node: int, n: pd.Series) -> pd.DataFrame:
        """One row per (missed check, rightful record that may be reported) with its cause."""
        if right.empty:
            return pd.DataFrame()
        done = set(sanctions["check"]) if not sanctions.empty else set()
        r = right[~right["check"].isin(done)]
        if not np.isnan(n["points_per_record"]):
            count = r.groupby("check")["record"].transform("size")
            r = r[count * n["points_per_record"] > n["allowance"]]
        if r.empty:
            return pd.DataFrame()
        cp = self.copies[self.copies["node"] == node]
        r = r.merge(cp[["record", "arrive_day", "deleted_day", "id_lost"]], on="record",
                    how="left")
        cause = self._miss_causes(r, node, n)
        cause = np.where(self._exempt(r, node).to_numpy(), "exempted", cause)
        cause = np.where(r["evaded"].to_numpy(dtype=bool), "evaded", cause)
        return pd.DataFrame({"event": "miss", "day": r["day"].to_numpy(),
                             "subject": r["user"].to_numpy(), "check": r["check"].to_numpy(),
                             "record": r["record"].to_numpy(), "cause": cause})

    def _miss_causes(self, r: pd.DataFrame, node: int, n: pd.Series) -> np.ndarray:
        """Why a rightful record did not stop its subject, from the copy's state (first wins)."""
        t = r["day"].to_numpy()
        shared = r["arrive_day"].notna().to_numpy()
        arrive = r["arrive_day"].fillna(-1).to_numpy()
        deleted = r["deleted_day"].fillna(np.inf).to_numpy()
        later_today = (deleted == t) & (r["deleted_seq"] > r["seq"]).to_numpy()
        gone = (deleted < t) | ((deleted == t) & ~later_today)
        gone |= self._expires(r, node).to_numpy() & (r["expiry_day"].to_numpy() <= t)
        person_rec = (r["subject_kind"] == 0).to_numpy()
        user = r["user"].to_numpy()
        if n["serves_firms"]:
            entered = r["entered_id"].to_numpy()
            lost = np.zeros(len(r), dtype=bool)
            stale_rep = np.zeros(len(r), dtype=bool)
        else:
            entered = np.where(person_rec, r["entered_id"], r["rep_entered_id"])
            lost = (entered == MISSING_ID) | r["id_lost"].fillna(False).to_numpy(dtype=bool)
            stale_rep = ~person_rec & (r["rep_true"].to_numpy() != user)
        needs_id = bool(n["serves_firms"]) or n["rule"] == "id"
        uses_id = bool(n["serves_firms"]) or n["rule"] in ("id", "id_else_name")
        scoring = not np.isnan(n["points_per_record"])
        conditions = [
            (~shared, "not_shared"), (arrive > t, "not_yet_arrived"), (gone, "deleted_in_copy"),
            (np.full(len(r), scoring), "below_threshold"), (stale_rep, "stale_representative"),
            (needs_id & lost, "id_lost"), (uses_id & ~lost & (entered != user), "id_error"),
        ]
        return np.select([c for c, _ in conditions], [v for _, v in conditions], "not_shared")

    def _rewards(self, checks: pd.DataFrame, node: int, red_list: int) -> pd.DataFrame:
        """One row per (rewarded check, red record matched) with that record's cause."""
        p = self._matches(checks, node, 1, [red_list])
        if p.empty:
            return pd.DataFrame()
        blacklisted = p["check"].isin(set(self._rightful(checks, node, None)["check"]))
        about = (p["subject"] == p["user"]).to_numpy()
        cause = np.select(
            [~about & (p["via"] == "id").to_numpy(), ~about,
             (p["deleted_seq"] < p["seq"]).to_numpy(), blacklisted.to_numpy()],
            ["id_error", "name_collision", "stale_record", "blacklisted_elsewhere"], "eligible")
        return pd.DataFrame({"event": "reward", "day": p["day"].to_numpy(),
                             "subject": p["user"].to_numpy(), "check": p["check"].to_numpy(),
                             "record": p["record"].to_numpy(), "cause": cause})


KEY = ["event", "day", "agency", "subject"]


def _compare(exp: pd.DataFrame, got: pd.DataFrame, cause_bits: dict[str, int]) -> list[str]:
    """Disagreements between the oracle's rows and the run's events.

    Per (event, day, agency, subject): as many events as the oracle has checks (repeated checks
    of one subject in one batch see the same world); each event's record must be one the oracle
    allows, with the oracle's cause for it (and for sanctions its ``causes_any``).
    """
    out: list[str] = []
    exp = exp.astype({"day": "int64", "subject": "int64", "record": "int64"})
    got = got.astype({"day": "int64", "subject": "int64", "record": "int64"})
    n_exp = exp.groupby(KEY)["check"].nunique()
    n_got = got.groupby(KEY).size()
    counts = pd.concat([n_exp.rename("oracle"), n_got.rename("run")], axis=1).fillna(0)
    for k, row in counts[counts["oracle"] != counts["run"]].head(20).iterrows():
        out.append(f"{k}: oracle expects {int(row['oracle'])} events, run has {int(row['run'])}")
    allowed = exp.drop(columns="check").drop_duplicates()
    if "causes_any" not in allowed:
        allowed["causes_any"] = np.nan
    allowed = allowed.assign(causes_any=allowed["causes_any"].where(
        allowed["event"] == "sanction", 0))
    m = got[KEY + ["record", "cause", "causes_any"]].merge(
        allowed.assign(found=True), on=KEY + ["record", "cause", "causes_any"], how="left")
    for _, r in m[m["found"].isna()].head(20).iterrows():
        options = allowed.merge(pd.DataFrame([r[KEY]]), on=KEY)
        out.append(f"{tuple(r[KEY])}: run says record {r['record']} {r['cause']} "
                   f"(causes_any {r['causes_any']}); oracle allows "
                   f"{options[['record', 'cause', 'causes_any']].to_dict('records')}")
    out += _definite_causes(exp, got)
    return out


def _definite_causes(exp: pd.DataFrame, got: pd.DataFrame) -> list[str]:
    """Checks whose every allowed record has one cause must appear with it, as often."""
    per_check = exp.groupby(KEY + ["check"])["cause"].agg(lambda c: c.iloc[0] if c.nunique() == 1
                                                         else None).dropna()
    want = per_check.reset_index().groupby(KEY + ["cause"]).size()
    have = got.groupby(KEY + ["cause"]).size()
    short = want.sub(have.reindex(want.index, fill_value=0))
    return [f"{k}: the oracle expects {n} more" for k, n in short[short > 0].head(20).items()]

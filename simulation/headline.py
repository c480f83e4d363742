"""The headline metrics a run prints and a report shows: summary key, label, unit."""

from __future__ import annotations

HEADLINE = (
    ("compliance_rate", "Judgments complied with", "share"),
    ("on_time_compliance_rate", "Judgments paid on time", "share"),
    ("listed_stock_end", "Listed at end (court blacklist)", "subjects"),
    ("sanctions", "Sanctions (service denials)", "events"),
    ("wrongful_sanctions", "  wrongful", "events"),
    ("wrongful_sanctions.name_collision", "    name collision", "events"),
    ("wrongful_sanctions.id_error", "    identifier error", "events"),
    ("wrongful_sanctions.stale_record", "    stale record", "events"),
    ("wrongful_sanctions.stale_representative", "    stale representative link", "events"),
    ("wrongful_sanctions.listed_at_source", "    listed wrongly at source", "events"),
    ("wrongful_sanctions.paid_pending_deletion", "    paid, pending deletion", "events"),
    ("wrongful_people", "People wrongly sanctioned", "subjects"),
    ("wrongful_sanction_days", "Wrongful sanction-days", "subject-days"),
    ("missed_sanctions", "Missed sanctions", "events"),
    ("sanction_precision", "Precision of sanctioning", "share"),
    ("sanction_recall", "Recall of sanctioning", "share"),
    ("appeals_filed", "Appeals filed", "cases"),
    ("appeals_upheld", "Appeals upheld", "cases"),
    ("mean_days_to_remedy", "Mean days to remedy", "days"),
    ("ineligible_rewards", "Rewards to the ineligible", "events"),
    ("legitimacy_mean", "Mean legitimacy at end", "0-1"),
)

"""Scenario schema: every parameter defined once, with its unit, range, default and source.

A scenario is a TOML file validated by the pydantic models below (unknown keys rejected). Global
sections (`courts`, `registry`, `appeals`, `behaviour`, `firms`) hold defaults; `agencies.<name>`,
`links` and `jurisdictions.<name>` override them where it matters, so one file can hold a hub
platform, bilateral links and several local pilots side by side.

Precedence, most specific first: link > consuming agency > source's jurisdiction > global.
A global ``registry.*`` or ``appeals.*`` value set with ``--set`` (or by a sweep) replaces every
per-agency, per-link and per-jurisdiction value of that knob (see
:func:`simulation.scenario.overrides.apply_overrides`).
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from enum import StrEnum
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

ASSUMPTION = "assumption"
MAX_LISTED = 12  # valid names shown in an error message


def param(
    default: Any,
    *,
    unit: str,
    source: str,
    description: str,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
) -> Any:
    """Declare a scenario parameter with its unit and source (or the word ``assumption``)."""
    return Field(
        default,
        ge=ge,
        le=le,
        gt=gt,
        description=description,
        json_schema_extra={"unit": unit, "source": source},
    )


def _scalar_types(annotation: Any) -> set[Any]:
    """The plain types a field accepts: ``int | None`` -> {int}; models and containers -> {}."""
    args = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
    return {a for a in args if a in (bool, int, float)}


@dataclass(frozen=True)
class Range:
    """The accepted values of a numeric parameter, read from its ``ge``/``gt``/``le`` bounds."""

    kind: type  # int or float
    low: float | None
    high: float | None
    low_excluded: bool = False  # ``gt``: the lowest value itself is refused


def field_range(info: FieldInfo) -> Range | None:
    """The range of an int or float field (``None`` for other fields); bounds may be open."""
    kinds = _scalar_types(info.annotation) - {bool}
    if not kinds:
        return None
    low = high = None
    excluded = False
    for meta in info.metadata:
        if getattr(meta, "ge", None) is not None:
            low = meta.ge
        if getattr(meta, "gt", None) is not None:
            low, excluded = meta.gt, True
        if getattr(meta, "le", None) is not None:
            high = meta.le
    return Range(int if kinds == {int} else float, low, high, excluded)


def numeric_ranges(model: type[BaseModel]) -> dict[str, Range]:
    """Every numeric parameter of one section (not its sub-tables), by name, with its range."""
    ranges = {name: field_range(info) for name, info in model.model_fields.items()}
    return {name: r for name, r in ranges.items() if r is not None}


class Strict(BaseModel):
    """Base for every scenario section: unknown keys are errors, and types are not coerced.

    A string is never taken for a number or a switch (``"5"``, ``"yes"``) and a switch is never
    taken for a number (``individuals = true``); an integer is still a valid float.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, use_enum_values=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_coercion(cls, value: Any, info: ValidationInfo) -> Any:
        kinds = _scalar_types(cls.model_fields[info.field_name].annotation)
        if not kinds or value is None:
            return value
        if bool in kinds:
            if not isinstance(value, bool):
                raise ValueError(f"must be true or false, not {_type_word(value)}")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            number = "a whole number" if kinds == {int} else "a number"
            raise ValueError(f"must be {number}, not {_type_word(value)}")
        elif isinstance(value, float) and value == 0.0:
            return 0.0  # -0.0 is zero (numpy refuses a scale of -0.0)
        return value


def _type_word(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


class CrossReferenceError(ValueError):
    """A name that refers to nothing (a jurisdiction, list or node), with the field it sits in."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


class Matching(StrEnum):
    """How an agency matches a person at service time against its registry copy."""

    id = "id"
    name = "name"
    name_jurisdiction = "name_jurisdiction"
    id_else_name = "id_else_name"


class Topology(StrEnum):
    """How list updates travel from sources to consuming agencies."""

    none = "none"
    bilateral = "bilateral"
    hub = "hub"


class RemedyScope(StrEnum):
    """What an upheld appeal repairs."""

    sanctioning_copy = "sanctioning_copy"
    all_copies = "all_copies"


class Population(Strict):
    """Array-backed individuals and firms."""

    individuals: int = param(
        100_000, ge=1, le=50_000_000, unit="persons", source=ASSUMPTION,
        description="Number of individuals. Rates are per capita, so results scale with it.",
    )
    firms: int = param(
        5_000, ge=0, le=5_000_000, unit="firms", source=ASSUMPTION,
        description="Number of firms, each with a legal representative drawn from individuals.",
    )
    jurisdictions: int = param(
        3, ge=1, le=1000, unit="jurisdictions", source=ASSUMPTION,
        description="Number of jurisdictions; one court each. People are spread evenly.",
    )
    jurisdiction_names: list[str] = Field(
        default_factory=list,
        description="Names of the jurisdictions, used as keys of [jurisdictions.<name>]; "
        "default j1..jN.",
        json_schema_extra={"unit": "names", "source": ASSUMPTION},
    )
    distinct_names: int = param(
        1_000_000, ge=1, le=100_000_000, unit="full names",
        source="heavy-tailed pool: surnames fitted to MPS 2007/2019 (Wang ~7.5%, top 100 ~85%)",
        description="Size of the full-name pool (surname x given name, independent). Smaller "
        "means more namesakes. Keep individuals/distinct_names fixed to keep namesakes per capita.",
    )
    digital_footprint_share: float = param(
        0.7, ge=0, le=1, unit="share of individuals",
        source="assumption (CNNIC: ~65% internet penetration in 2019)",
        description="Share of individuals with a digital footprint (visible to private platforms).",
    )
    unable_share: float = param(
        0.35, ge=0, le=1, unit="share of debtors", source=ASSUMPTION,
        description="Share of judgment debtors who cannot pay however hard they are pushed.",
    )
    legitimacy_mean: float = param(
        0.8, ge=0, le=1, unit="0-1 scale", source="Kostka 2019: ~80% approval (online survey)",
        description="Mean initial perceived legitimacy of the regime.",
    )
    legitimacy_sd: float = param(
        0.1, ge=0, le=0.5, unit="0-1 scale", source=ASSUMPTION,
        description="Spread of initial legitimacy between individuals.",
    )
    service_propensity_shape: float = param(
        0.5, ge=0.01, le=100, unit="gamma shape", source=ASSUMPTION,
        description="Heterogeneity of service use (gamma shape; small = a few frequent users). "
        "Below 0.01 nearly every use class is empty and the model has no users to draw.",
    )

    @model_validator(mode="after")
    def _names_match_count(self) -> Population:
        if self.jurisdiction_names and len(self.jurisdiction_names) != self.jurisdictions:
            raise ValueError(
                f"jurisdiction_names has {len(self.jurisdiction_names)} names but "
                f"jurisdictions is {self.jurisdictions}"
            )
        if len(set(self.jurisdiction_names)) != len(self.jurisdiction_names):
            raise ValueError("jurisdiction_names must be distinct")
        return self

    def names(self) -> list[str]:
        """Jurisdiction names, defaulted to j1..jN."""
        return self.jurisdiction_names or [f"j{i + 1}" for i in range(self.jurisdictions)]


class Courts(Strict):
    """Courts: judgments, listing and delisting. Overridable per jurisdiction."""

    judgment_rate_per_year: float = param(
        0.004, ge=0, le=1, unit="judgments per person per year",
        source="assumption calibrated to 2.457 M additions in 2024 (SPC work report 2025)",
        description="Rate at which individuals become judgment debtors.",
    )
    firm_judgment_rate_per_year: float = param(
        0.01, ge=0, le=1, unit="judgments per firm per year", source=ASSUMPTION,
        description="Rate at which firms become judgment debtors.",
    )
    compliance_deadline_days: int = param(
        30, ge=1, le=3650, unit="days", source="SPC provisions 2013/2017 (period in the notice)",
        description="Days a debtor has to perform the judgment before listing is considered.",
    )
    grace_period_days: int = param(
        0, ge=0, le=3650, unit="days", source="2020 guidance: grace periods before listing",
        description="Extra days after the deadline before the court lists.",
    )
    list_unwilling_probability: float = param(
        0.9, ge=0, le=1, unit="probability", source=ASSUMPTION,
        description="Chance that an able but unwilling debtor is listed at the deadline.",
    )
    list_unable_probability: float = param(
        0.3, ge=0, le=1, unit="probability", source="assumption (a policy choice to expose)",
        description="Chance that a debtor unable to pay is listed anyway (wrongful at source).",
    )
    clerical_error_rate: float = param(
        0.002, ge=0, le=1, unit="probability", source=ASSUMPTION,
        description="Chance that a debtor who complied on time is listed anyway by mistake.",
    )
    listing_term_days: int = param(
        730, ge=1, le=36500, unit="days", source="SPC provisions 2017: 2 years for most grounds",
        description="Fixed listing term; the court delists when it ends.",
    )
    deletion_processing_days: int = param(
        3, ge=0, le=365, unit="days", source="SPC provisions 2017: deletion within 3 working days",
        description="Days between compliance (or expiry) and deletion at the source.",
    )


class Registry(Strict):
    """The fragmented data layer. Overridable per agency, per link and per jurisdiction."""

    topology: Topology = param(
        Topology.bilateral, unit="enum", source="brief s.3",
        description="none: no sharing; bilateral: direct memoranda links; hub: via a platform.",
    )
    platform: Literal["national", "per_jurisdiction"] = param(
        "national", unit="enum", source="brief s.2",
        description="With topology=hub: one national platform or one per jurisdiction.",
    )
    sharing: float = param(
        0.8, ge=0, le=1, unit="share of updates", source=ASSUMPTION,
        description="Share of list additions sent over a link that ever arrive.",
    )
    delay_days: float = param(
        7, ge=0, le=3650, unit="days (mean)", source=ASSUMPTION,
        description="Mean days for an addition to cross a link (exponential).",
    )
    deletion_sharing: float = param(
        0.6, ge=0, le=1, unit="share of deletions", source="assumption (deletions travel worse)",
        description="Share of deletions (delistings) sent over a link that ever arrive.",
    )
    deletion_delay_days: float = param(
        30, ge=0, le=3650, unit="days (mean)", source=ASSUMPTION,
        description="Mean days for a deletion to cross a link (exponential).",
    )
    cross_jurisdiction_sharing: float = param(
        0.7, ge=0, le=1, unit="multiplier", source="assumption (brief s.3: weaker across)",
        description="Multiplier on sharing for a record delivered to a local agency of "
                    "another jurisdiction than the one that created it.",
    )
    id_missing_rate: float = param(
        0.05, ge=0, le=1, unit="share of records", source=ASSUMPTION,
        description="Share of records created with no national ID.",
    )
    id_error_rate: float = param(
        0.01, ge=0, le=1, unit="share of records", source=ASSUMPTION,
        description="Share of records created with a mistyped national ID.",
    )
    id_error_hits_person: float = param(
        0.5, ge=0, le=1, unit="share of mistyped IDs", source=ASSUMPTION,
        description="Share of mistyped IDs that are another real person's ID.",
    )
    firm_code_error_rate: float = param(
        0.001, ge=0, le=1, unit="share of firm records", source="assumption (codes have checksums)",
        description="Share of firm records whose 18-character credit code is mistyped.",
    )
    format_loss_rate: float = param(
        0.1, ge=0, le=1, unit="share of transfers", source=ASSUMPTION,
        description="Share of transfers over a link that drop the ID field (record arrives name-only).",
    )
    matching: Matching = param(
        Matching.id_else_name, unit="enum", source="brief s.3",
        description="Consumer matching rule: id, name, name_jurisdiction or id_else_name.",
    )
    local_expiry: bool = param(
        False, unit="switch", source="Shanghai-style right to be forgotten (brief s.7)",
        description="Copies drop a record when its term ends, without waiting for a deletion "
                    "(set for a jurisdiction: its records, wherever they are held; set for an "
                    "agency: every record in its copy).",
    )


class Appeals(Strict):
    """Objections and appeals. Overridable per jurisdiction."""

    enabled: bool = param(
        True, unit="switch", source="SPC provisions 2017 (objections)",
        description="Whether sanctioned people can appeal in this jurisdiction.",
    )
    capacity_per_day: float = param(
        5, ge=0, le=1e6, unit="cases per day per court", source=ASSUMPTION,
        description="Cases a court can take up each day.",
    )
    review_days: int = param(
        15, ge=0, le=3650, unit="days", source="SPC provisions 2017: review within 15 days",
        description="Days from taking up a case to its decision.",
    )
    accuracy: float = param(
        0.9, ge=0, le=1, unit="probability", source=ASSUMPTION,
        description="Chance the reviewer decides a case correctly.",
    )
    file_probability_wrongful: float = param(
        0.3, ge=0, le=1, unit="probability per sanction", source=ASSUMPTION,
        description="Chance a wrongly sanctioned person files, at median means.",
    )
    file_probability_rightful: float = param(
        0.02, ge=0, le=1, unit="probability per sanction", source=ASSUMPTION,
        description="Chance a rightly sanctioned person files anyway.",
    )
    means_effect: float = param(
        0.5, ge=0, le=5, unit="elasticity", source="assumption (brief s.5: rises with means)",
        description="How strongly filing rises with means (filing ~ means^effect).",
    )
    remedy_scope: RemedyScope = param(
        RemedyScope.all_copies, unit="enum", source="brief s.5",
        description="An upheld appeal clears the sanctioning copy only, or the source and all copies.",
    )


class Behaviour(Strict):
    """Compliance, deterrence, evasion and legitimacy. Overridable per jurisdiction."""

    on_time_compliance: float = param(
        0.3, ge=0, le=1, unit="probability", source="SPC: under 30% voluntary (2008-2012)",
        description="Chance an able debtor pays by the deadline at mean legitimacy, no deterrence.",
    )
    deterrence_effect: float = param(
        1.5, ge=0, le=20, unit="logit per unit bite rate",
        source="assumption (Becker; Allingham-Sandmo)",
        description="How much the perceived chance of being sanctioned raises compliance.",
    )
    legitimacy_effect: float = param(
        2.0, ge=0, le=20, unit="logit per unit legitimacy", source="assumption (Epstein 2002)",
        description="How much legitimacy raises compliance.",
    )
    listed_compliance_per_day: float = param(
        0.001, ge=0, le=1, unit="probability per day", source="assumption (China Daily 2014)",
        description="Daily chance a listed able debtor pays, before sanctions push.",
    )
    never_comply_share: float = param(
        0.0, ge=0, le=1, unit="share of able debtors",
        source="assumption (brief s.6: a debtor complies before the deadline, after listing, or never)",
        description="Share of able debtors who never pay, however hard they are pushed.",
    )
    compliance_after_sanction: float = param(
        0.05, ge=0, le=1, unit="probability per sanction",
        source="assumption (Bu & Liao 2022: naming cut delinquency 18.6%)",
        description="Chance a listed able debtor pays right after being sanctioned.",
    )
    legitimacy_loss_wrongful: float = param(
        0.2, ge=0, le=1, unit="legitimacy points", source=ASSUMPTION,
        description="Legitimacy a person loses when wrongly sanctioned.",
    )
    legitimacy_loss_observed: float = param(
        0.00005, ge=0, le=100, unit="legitimacy points per wrongful sanction per 1000 residents",
        source="assumption: the strength the model was calibrated with (until v0.1 the code "
               "applied this parameter 1000 times weaker than its unit; 0.05 there = 0.00005 here)",
        description="Legitimacy everyone in a jurisdiction loses when wrongful sanctions happen there.",
    )
    legitimacy_gain_remedy: float = param(
        0.1, ge=0, le=1, unit="legitimacy points", source=ASSUMPTION,
        description="Legitimacy a person regains when an appeal is upheld.",
    )
    bite_memory_days: float = param(
        90, gt=0, le=3650, unit="days", source=ASSUMPTION,
        description="Memory of the perceived bite rate (exponential smoothing).",
    )


class Firms(Strict):
    """Firms and their legal representatives."""

    representative_change_per_year: float = param(
        0.1, ge=0, le=12, unit="changes per firm per year", source=ASSUMPTION,
        description="Rate at which a firm's legal representative changes (links go stale).",
    )
    representatives_sanctioned: bool = param(
        True, unit="switch", source="Beijing-style enterprise focus (brief s.7)",
        description="Whether a listed firm's legal representative is personally sanctioned.",
    )


class OwnList(Strict):
    """A blacklist an agency originates itself (e.g. a 180-day train ban)."""

    rate_per_year: float = param(
        0.0005, ge=0, le=1, unit="listings per subject per year", source=ASSUMPTION,
        description="Rate of misconduct listings by this agency.",
    )
    term_days: int = param(
        180, ge=1, le=36500, unit="days", source="train ban of 180 days (brief s.2)",
        description="How long a listing lasts before the agency deletes it.",
    )
    not_legally_defined_share: float = param(
        0.05, ge=0, le=1, unit="share of listings", source="assumption (2020 guidance)",
        description="Share of listings for conduct no law defines (wrongful at source).",
    )


class Redlist(Strict):
    """A redlist run by an agency: matched subjects get rewards."""

    admission_rate_per_year: float = param(
        0.02, ge=0, le=1, unit="admissions per subject per year", source=ASSUMPTION,
        description="Rate at which subjects are admitted to the redlist.",
    )
    term_days: int = param(
        365, ge=1, le=36500, unit="days", source=ASSUMPTION,
        description="How long a redlist entry lasts.",
    )
    checks_blacklists: bool = param(
        True, unit="switch", source="Engelmann et al. 2021",
        description="Whether admission checks the agency's own copy of the blacklists.",
    )


class Scoring(Strict):
    """A points-scoring pilot (Rongcheng/Qingzhen style): restrictions below a threshold."""

    points_start: float = param(
        1000, ge=0, le=1e6, unit="points", source="local pilots (seed 004)",
        description="Points everyone starts with.",
    )
    points_per_record: float = param(
        100, ge=0, le=1e6, unit="points", source=ASSUMPTION,
        description="Points deducted per matching blacklist record (added per redlist record).",
    )
    threshold: float = param(
        950, ge=0, le=1e6, unit="points", source=ASSUMPTION,
        description="Below this score the scoring body restricts local services.",
    )


def _partial(model: type[BaseModel], name: str) -> type[BaseModel]:
    """The same fields as ``model``, all optional: an override that names only what it changes."""
    fields: dict[str, Any] = {}
    for fname, info in model.model_fields.items():
        new = copy.copy(info)
        new.default = None
        fields[fname] = (info.annotation | None, new)
    return create_model(name, __base__=Strict, __doc__=f"Per-jurisdiction {model.__name__}.",
                        **fields)


def _overrides_of_registry(names: tuple[str, ...], name: str) -> type[BaseModel]:
    """Optional copies of some ``Registry`` fields, so each knob is defined once, in Registry."""
    fields: dict[str, Any] = {}
    for fname in names:
        info = copy.copy(Registry.model_fields[fname])
        info.default = None
        info.description = f"Overrides registry.{fname}: {info.description}"
        fields[fname] = (info.annotation | None, info)
    return create_model(name, __base__=Strict, __doc__="Registry knobs overridden here.", **fields)


AGENCY_REGISTRY_FIELDS = (
    "matching", "sharing", "delay_days", "deletion_sharing", "deletion_delay_days",
    "format_loss_rate", "local_expiry",
)
LINK_FIELDS = ("sharing", "delay_days", "deletion_sharing", "deletion_delay_days", "format_loss_rate")


AgencyRegistryOverrides = _overrides_of_registry(AGENCY_REGISTRY_FIELDS, "AgencyRegistryOverrides")
LinkRegistryOverrides = _overrides_of_registry(LINK_FIELDS, "LinkRegistryOverrides")


class Agency(AgencyRegistryOverrides):  # type: ignore[misc,valid-type]
    """A consuming agency (or private platform) with its own registry copy."""

    new: bool = Field(
        False, description="Marks an agency that is not in the default roster; without it, an "
        "unknown name is taken for a typo of a roster name (did-you-mean) and refused.")
    kind: Literal[
        "transport", "finance", "securities", "company_registry", "procurement",
        "exit_control", "hotel", "tax", "scoring", "private_platform", "other",
    ] = Field("other", description="What sort of body this is.")
    enabled: bool = Field(True, description="Set false to drop this agency from the roster.")
    jurisdiction: str | None = Field(
        None, description="Jurisdiction name for a local body; omit for a national one."
    )
    serves: Literal["individuals", "firms"] = Field(
        "individuals", description="Whom this agency serves and sanctions."
    )
    service_rate_per_year: float = param(
        1.0, ge=0, le=3650, unit="uses per subject per year", source=ASSUMPTION,
        description="Mean service uses per subject per year (heterogeneous between subjects).",
    )
    consumes: list[str] = Field(
        default_factory=lambda: ["court_blacklist"],
        description="Blacklists this agency enforces: court_blacklist or <agency>_blacklist.",
    )
    evasion_probability: float = param(
        0.0, ge=0, le=1, unit="probability per attempt", source="Yixing 2024: 8.2% still travelled",
        description="Chance a listed person evades the check (alternative credentials).",
    )
    retry_probability: float = param(
        0.5, ge=0, le=0.99, unit="probability per denial",
        source="assumption (Sichuan 2014: ~8.7 blocked attempts per person in a month)",
        description="Chance a denied subject tries again the next day.",
    )
    digital_only: bool = Field(
        False, description="Serves only the digitally present (private platforms)."
    )
    own_blacklist: OwnList | None = Field(None, description="A blacklist this agency originates.")
    redlist: Redlist | None = Field(None, description="A redlist this agency runs.")
    scoring: Scoring | None = Field(None, description="Points scoring instead of list matching.")

class Link(LinkRegistryOverrides):  # type: ignore[misc,valid-type]
    """Per-link override: from a source (court name, agency name or platform) to a consumer."""

    source: str = Field(description="Sending node: court:<jurisdiction>, an agency, or platform.")
    to: str = Field(description="Receiving node: an agency name or platform.")

CourtsOverride = _partial(Courts, "CourtsOverride")
RegistryOverride = _partial(Registry, "RegistryOverride")
AppealsOverride = _partial(Appeals, "AppealsOverride")
BehaviourOverride = _partial(Behaviour, "BehaviourOverride")


class JurisdictionOverride(Strict):
    """What one jurisdiction (a local pilot) does differently."""

    description: str = Field("", description="What this pilot is.")
    courts: CourtsOverride = Field(default_factory=CourtsOverride)  # type: ignore[valid-type]
    registry: RegistryOverride = Field(default_factory=RegistryOverride)  # type: ignore[valid-type]
    appeals: AppealsOverride = Field(default_factory=AppealsOverride)  # type: ignore[valid-type]
    behaviour: BehaviourOverride = Field(default_factory=BehaviourOverride)  # type: ignore[valid-type]


def default_agencies() -> dict[str, dict[str, Any]]:
    """The default roster: national bodies named in the 2016 joint punishment memorandum."""
    return {
        "airline": {"kind": "transport", "service_rate_per_year": 2.0,
                    "evasion_probability": 0.03, "retry_probability": 0.6},
        "rail": {"kind": "transport", "service_rate_per_year": 6.0,
                 "evasion_probability": 0.02, "retry_probability": 0.6,
                 "consumes": ["court_blacklist", "rail_blacklist"],
                 "own_blacklist": {"rate_per_year": 0.0005, "term_days": 180}},
        "bank": {"kind": "finance", "service_rate_per_year": 1.0},
        "hotel": {"kind": "hotel", "service_rate_per_year": 1.0, "evasion_probability": 0.05},
        "exit_control": {"kind": "exit_control", "service_rate_per_year": 0.2,
                         "evasion_probability": 0.05, "retry_probability": 0.3},
        "securities": {"kind": "securities", "serves": "firms", "service_rate_per_year": 0.5},
        "company_registry": {"kind": "company_registry", "serves": "firms",
                             "service_rate_per_year": 1.0},
        "procurement": {"kind": "procurement", "serves": "firms", "service_rate_per_year": 2.0},
        "tax": {"kind": "tax", "serves": "firms", "service_rate_per_year": 4.0,
                "consumes": ["court_blacklist", "tax_blacklist"],
                "own_blacklist": {"rate_per_year": 0.005, "term_days": 730},
                "redlist": {"admission_rate_per_year": 0.05}},
    }


class Scenario(Strict):
    """A complete scenario: what one run simulates."""

    name: str = Field("scenario", description="Short name; used in output folder names.")
    description: str = Field("", description="The question this scenario answers.")
    days: int = param(365, ge=1, le=36500, unit="days", source=ASSUMPTION,
                      description="Length of the run.")
    seed: int = param(0, ge=0, le=2**63 - 1, unit="integer", source=ASSUMPTION,
                      description="Random seed; same scenario and seed give the same bytes.")
    population: Population = Field(default_factory=Population)
    courts: Courts = Field(default_factory=Courts)
    registry: Registry = Field(default_factory=Registry)
    appeals: Appeals = Field(default_factory=Appeals)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    firms: Firms = Field(default_factory=Firms)
    agencies: dict[str, Agency] = Field(default_factory=dict)
    links: list[Link] = Field(default_factory=list)
    jurisdictions: dict[str, JurisdictionOverride] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        names = self.population.names()
        for key in self.jurisdictions:
            if key not in names:
                raise CrossReferenceError(f"jurisdictions.{key}",
                                          describe_unknown("jurisdictions", key, names))
        lists = {"court_blacklist"} | {
            f"{n}_blacklist" for n, a in self.agencies.items() if a.own_blacklist
        }
        for aname, agency in self.agencies.items():
            if agency.jurisdiction is not None and agency.jurisdiction not in names:
                raise CrossReferenceError(
                    f"agencies.{aname}.jurisdiction",
                    describe_unknown("jurisdiction", agency.jurisdiction, names))
            for lst in agency.consumes:
                if lst not in lists:
                    raise CrossReferenceError(f"agencies.{aname}.consumes",
                                              describe_unknown("list", lst, sorted(lists)))
        nodes = set(self.agencies) | {f"court:{n}" for n in names} | {"platform"} | {
            f"platform:{n}" for n in names
        }
        for i, link in enumerate(self.links):
            for side, end in (("source", link.source), ("to", link.to)):
                if end not in nodes:
                    raise CrossReferenceError(f"links[{i}].{side}",
                                              describe_unknown("node", end, sorted(nodes)))
        return self

    def active_agencies(self) -> dict[str, Agency]:
        """Enabled agencies in a stable order."""
        return {n: a for n, a in self.agencies.items() if a.enabled}


def describe_unknown(what: str, value: str, valid: list[str] | set[str]) -> str:
    """``unknown <what> '<value>'``, a did-you-mean hint and (up to 12 of) the valid names."""
    close = difflib.get_close_matches(value, list(valid), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    shown = sorted(valid)
    listing = ", ".join(shown[:MAX_LISTED])
    if len(shown) > MAX_LISTED:
        listing += f", ... ({len(shown)} in all)"
    return f"unknown {what} {value!r}{hint} (valid: {listing})"


def json_schema() -> dict[str, Any]:
    """JSON Schema of a scenario file, for editor completion."""
    return Scenario.model_json_schema()

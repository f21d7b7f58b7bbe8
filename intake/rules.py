"""Screening rules for sclerotherapy intake: who may be treated, who must wait, who needs a clinician.

Pure Python (standard library only) so it can be tested without Django and audited on its own.
Shaped like Django's password validators: ``RULES`` is a list of small rule objects, every one of
them runs on every screening, and every finding becomes a ``Flag`` with a stable code. Nothing stops
at the first hit.

    result = screen(answers, today=date(2026, 11, 21))
    result.outcome          # Outcome.CLEARED / POSTPONE / REVIEW / NOT_ELIGIBLE
    result.flags            # every finding, most severe first
    result.to_dict()        # JSON-safe, stored with the screening; never recomputed

Rule of thumb from CLINICAL_RULES.md: when in doubt, clinician review — never eligible. So an
unanswered question, an "unsure" on a serious item and any free text the matcher cannot read all
lead to review. The facts and their sources are in ../shared/CLINICAL_RULES.md; the audit view of
every rule is docs/screening.md.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from enum import Enum, StrEnum
from functools import cached_property
from typing import Any

from intake.matching import Category, Cue, Match, Reading, match_terms, read_text

__all__ = [
    "DEFAULT_CONFIG",
    "RULES",
    "RULESET_VERSION",
    "RECONFIRMATION_RULES",
    "Answers",
    "Area",
    "ArterialDisease",
    "Context",
    "Diabetes",
    "Flag",
    "Hit",
    "Mobility",
    "Outcome",
    "Reconfirmation",
    "Reply",
    "Rule",
    "ScreeningConfig",
    "ScreeningResult",
    "Severity",
    "VeinType",
    "add_months",
    "age_on",
    "apply_changes",
    "match_terms",
    "reconfirm",
    "screen",
]

# Bump on any change to a rule, its wording, the lexicon or a default. Stored with each screening.
RULESET_VERSION = "2026.11.1"


# --- Vocabulary ---------------------------------------------------------------------------------


class Severity(StrEnum):
    NOT_ELIGIBLE = "not_eligible"  # hard stop: no treatment here; explain and point elsewhere
    REVIEW = "review"  # a clinician decides before any session is booked (a consultation may be)
    POSTPONE = "postpone"  # eligible from a date (or, open-ended, once the patient updates us)
    ADVICE = "advice"  # eligible; tell the patient something


class Outcome(StrEnum):
    NOT_ELIGIBLE = "not_eligible"
    REVIEW = "review"
    POSTPONE = "postpone"
    CLEARED = "cleared"


# Most severe first. Advice never holds anyone back, so it ranks with "cleared".
_RANK = {Severity.NOT_ELIGIBLE: 0, Severity.REVIEW: 1, Severity.POSTPONE: 2, Severity.ADVICE: 3}
_OUTCOME_OF = {
    Severity.NOT_ELIGIBLE: Outcome.NOT_ELIGIBLE,
    Severity.REVIEW: Outcome.REVIEW,
    Severity.POSTPONE: Outcome.POSTPONE,
    Severity.ADVICE: Outcome.CLEARED,
}


class Reply(StrEnum):
    YES = "yes"
    NO = "no"
    UNSURE = "unsure"


class Area(StrEnum):
    LEGS = "legs"
    ANKLES = "ankles"
    THIGHS = "thighs"
    FACE = "face"
    OTHER = "other"


class VeinType(StrEnum):
    SPIDER = "spider"  # tiny red or purple lines, under 1 mm
    FEEDER = "feeder"  # blue-green "feeder" (reticular) veins, 1-3 mm
    BULGING = "bulging"  # large, bulging, twisted (ropey) veins: varicose
    UNSURE = "unsure"


class Mobility(StrEnum):
    WALKS_NORMALLY = "walks_normally"
    LIMITED = "limited"  # walks, but not far or not easily
    UNABLE_TO_WALK = "unable_to_walk"  # bedridden, or cannot walk


class ArterialDisease(StrEnum):
    NO = "no"
    MILD = "mild"  # diagnosed poor circulation in the leg arteries, no rest pain or wounds
    SEVERE = "severe"  # pain at rest, wounds that won't heal, told it is critical
    UNSURE = "unsure"


class Diabetes(StrEnum):
    NO = "no"
    WELL_CONTROLLED = "well_controlled"
    POORLY_CONTROLLED = "poorly_controlled"
    UNSURE = "unsure"


# --- Validation helpers ------------------------------------------------------------------------

_HEIGHT_RANGE = (90.0, 250.0)
_WEIGHT_RANGE = (25.0, 350.0)
_OLDEST_PLAUSIBLE_AGE = 120


def _coerce(name: str, kind: Any, value: Any) -> Any:
    if isinstance(kind, _Many):
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ValueError(f"{name}: expected a list of choices, got {value!r}")
        return tuple(dict.fromkeys(_coerce_enum(name, kind.enum, v) for v in value))
    if isinstance(kind, type) and issubclass(kind, Enum):
        return _coerce_enum(name, kind, value)
    if kind is date:
        return _coerce_date(name, value)
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{name}: expected a number, got {value!r}")
        return float(value)
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name}: expected a whole number, got {value!r}")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise ValueError(f"{name}: expected text, got {value!r}")
        return value
    raise TypeError(f"{name}: unknown answer kind {kind!r}")  # a programming error


def _coerce_enum(name: str, enum: type[Enum], value: Any) -> Any:
    if isinstance(value, enum):
        return value
    allowed = [member.value for member in enum]
    if isinstance(value, str) and value in allowed:
        return enum(value)
    raise ValueError(f"{name}: expected one of {allowed}, got {value!r}")


def _coerce_date(name: str, value: Any) -> date:
    if isinstance(value, datetime):
        raise ValueError(f"{name}: expected a date, got a datetime {value!r}")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{name}: expected an ISO date (YYYY-MM-DD), got {value!r}")


def _require_int(name: str, value: Any, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be a whole number of at least {minimum}, not {value!r}")


def _reject_unknown_keys(cls: type, data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - {f.name for f in fields(cls)})
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown fields {unknown}")


def _json_safe(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_json_safe(v) for v in value)
    return value


# --- Configuration ------------------------------------------------------------------------------

_HARD_OR_REVIEW = (Severity.NOT_ELIGIBLE, Severity.REVIEW)


@dataclass(frozen=True)
class ScreeningConfig:
    """A clinic's settings. Changing one is the clinic's clinician's decision, to be recorded."""

    clot_history_severity: Severity = Severity.NOT_ELIGIBLE
    anticoagulants_severity: Severity = Severity.NOT_ELIGIBLE
    pregnancy_postpone_months: int = 3
    surgery_postpone_months: int = 3
    minimum_age: int = 18
    clot_risk_factor_threshold: int = 2
    obesity_bmi: float = 30.0
    no_flying_days: int = 3

    def __post_init__(self) -> None:
        for name in ("clot_history_severity", "anticoagulants_severity"):
            value = _coerce_enum(name, Severity, getattr(self, name))
            # A clot history or a blood thinner must never clear a patient automatically.
            if value not in _HARD_OR_REVIEW:
                raise ValueError(f"{name} must be 'not_eligible' or 'review', not {value!r}")
            object.__setattr__(self, name, value)
        for name in ("pregnancy_postpone_months", "surgery_postpone_months", "no_flying_days"):
            _require_int(name, getattr(self, name), minimum=0)
        # Safety under 18 is not established (Asclera label §8.4): a clinic may raise this, not lower it.
        _require_int("minimum_age", self.minimum_age, minimum=18)
        _require_int("clot_risk_factor_threshold", self.clot_risk_factor_threshold, minimum=1)
        bmi = self.obesity_bmi
        if isinstance(bmi, bool) or not isinstance(bmi, int | float) or not 0 < bmi < 100:
            raise ValueError(f"obesity_bmi must be a number between 0 and 100, not {bmi!r}")

    def to_dict(self) -> dict[str, Any]:
        return _json_safe(asdict(self))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScreeningConfig:
        _reject_unknown_keys(cls, data)
        return cls(**data)


DEFAULT_CONFIG = ScreeningConfig()


# --- Answers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Many:
    """Kind of a multiple-choice answer: a tuple of one enum's members."""

    enum: type[Enum]


def _answer(kind: Any, *, required: bool = False) -> Any:
    return field(default=None, metadata={"kind": kind, "required": required})


class _Record:
    """Typed, validated, JSON round-tripping answers. Values are coerced on construction."""

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is not None:
                object.__setattr__(self, f.name, _coerce(f.name, f.metadata["kind"], value))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Any:
        """Build from JSON-like data (dates as ISO strings). Raises ValueError on a bad shape."""
        if not isinstance(data, Mapping):
            raise ValueError(f"{cls.__name__} data must be a mapping, not {type(data).__name__}")
        _reject_unknown_keys(cls, data)
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _json_safe(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True)
class Answers(_Record):
    """The intake questionnaire. None means "not answered", never "no"."""

    # About you
    date_of_birth: date | None = _answer(date, required=True)
    height_cm: float | None = _answer(float)
    weight_kg: float | None = _answer(float)  # also needed for the polidocanol dose ceiling

    # What you would like treated
    treatment_areas: tuple[Area, ...] | None = _answer(_Many(Area), required=True)
    treatment_area_other: str | None = _answer(str)  # needed when treatment_areas has "other"
    vein_types: tuple[VeinType, ...] | None = _answer(_Many(VeinType), required=True)

    # Pregnancy and breastfeeding (a form may answer "no" for patients who cannot be pregnant)
    pregnant: Reply | None = _answer(Reply, required=True)
    recently_pregnant: Reply | None = _answer(Reply, required=True)
    pregnancy_ended_on: date | None = _answer(date)  # needed when recently_pregnant is "yes"
    breastfeeding: Reply | None = _answer(Reply, required=True)
    wants_treatment_while_breastfeeding: Reply | None = _answer(Reply)

    # Blood clots and circulation
    clot_history: Reply | None = _answer(Reply, required=True)  # DVT, PE, "a blood clot"
    clot_history_year: int | None = _answer(int)
    clotting_disorder: Reply | None = _answer(Reply, required=True)
    clotting_disorder_details: str | None = _answer(str)
    thrombophlebitis_now: Reply | None = _answer(Reply, required=True)
    arterial_disease: ArterialDisease | None = _answer(ArterialDisease, required=True)
    heart_shunt: Reply | None = _answer(Reply, required=True)  # hole in the heart, PFO
    migraine_with_aura: Reply | None = _answer(Reply, required=True)

    # Medicines and allergies
    blood_thinners: Reply | None = _answer(Reply, required=True)
    medications: str | None = _answer(str, required=True)  # now, last 10 days, or planned
    hormone_therapy: Reply | None = _answer(Reply, required=True)  # the pill, HRT, other
    allergies: str | None = _answer(str, required=True)

    # Earlier sclerotherapy
    had_sclerotherapy_before: Reply | None = _answer(Reply, required=True)
    sclerotherapy_serious_reaction: Reply | None = _answer(Reply)  # needed if treated before
    sclerotherapy_neuro_cardiac_event: Reply | None = _answer(Reply)  # needed if treated before

    # General health
    diabetes: Diabetes | None = _answer(Diabetes, required=True)
    active_cancer: Reply | None = _answer(Reply, required=True)
    blood_disorder: Reply | None = _answer(Reply, required=True)
    serious_illness: Reply | None = _answer(Reply, required=True)
    serious_illness_details: str | None = _answer(str)
    mobility: Mobility | None = _answer(Mobility, required=True)
    recent_surgery_or_hospital_stay: Reply | None = _answer(Reply, required=True)
    surgery_or_hospital_stay_ended_on: date | None = _answer(date)  # needed when "yes"
    skin_infection_in_area: Reply | None = _answer(Reply, required=True)
    fever_or_acute_illness: Reply | None = _answer(Reply, required=True)

    # Your legs
    leg_ulcer: Reply | None = _answer(Reply, required=True)
    leg_pain_or_swelling: Reply | None = _answer(Reply, required=True)

    # Lifestyle and plans
    smoker: Reply | None = _answer(Reply, required=True)
    long_flight_planned: Reply | None = _answer(Reply, required=True)
    long_flight_on: date | None = _answer(date)

    @property
    def bmi(self) -> float | None:
        if self.height_cm is None or self.weight_kg is None:
            return None
        if not (
            _HEIGHT_RANGE[0] <= self.height_cm <= _HEIGHT_RANGE[1]
            and _WEIGHT_RANGE[0] <= self.weight_kg <= _WEIGHT_RANGE[1]
        ):
            return None  # implausible values are flagged, not used
        return round(self.weight_kg / (self.height_cm / 100) ** 2, 1)


@dataclass(frozen=True)
class Reconfirmation(_Record):
    """The "anything changed?" form shown in the 7 days before each session."""

    pregnant_now: Reply | None = _answer(Reply, required=True)
    new_clot: Reply | None = _answer(Reply, required=True)  # a DVT, PE or blood clot since
    unwell_now: Reply | None = _answer(Reply, required=True)  # fever, infection, infected skin
    new_medications: str | None = _answer(str, required=True)
    new_allergies: str | None = _answer(str, required=True)


# The answers of someone with nothing to report (all but the date of birth, which is the person's
# own): every rule stays silent. The demo data and the tests start from it.
NOTHING_TO_REPORT: dict[str, Any] = {
    "height_cm": 168.0, "weight_kg": 64.0, "treatment_areas": ["legs"], "vein_types": ["spider"],
    "pregnant": "no", "recently_pregnant": "no", "breastfeeding": "no", "clot_history": "no",
    "clotting_disorder": "no", "thrombophlebitis_now": "no", "arterial_disease": "no", "heart_shunt": "no",
    "migraine_with_aura": "no", "blood_thinners": "no", "medications": "none", "hormone_therapy": "no",
    "allergies": "none", "had_sclerotherapy_before": "no", "diabetes": "no", "active_cancer": "no",
    "blood_disorder": "no", "serious_illness": "no", "mobility": "walks_normally",
    "recent_surgery_or_hospital_stay": "no", "skin_infection_in_area": "no", "fever_or_acute_illness": "no",
    "leg_ulcer": "no", "leg_pain_or_swelling": "no", "smoker": "no", "long_flight_planned": "no",
}

# --- Dates --------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """Calendar months later, clamped to the month's last day (30 Nov + 3 months = 28 Feb)."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _birthday(born: date, year: int) -> date:
    # Someone born on 29 February has their birthday on 1 March in other years.
    if (born.month, born.day) == (2, 29) and not calendar.isleap(year):
        return date(year, 3, 1)
    return date(year, born.month, born.day)


def age_on(born: date, today: date) -> int:
    """Age in whole years; a birthday counts from the day itself."""
    age = today.year - born.year
    return age if today >= _birthday(born, today.year) else age - 1


def _long_date(day: date) -> str:
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


# --- Flags and results --------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    """One finding. Stored as written: a later change of the rules never rewrites it."""

    code: str
    severity: Severity
    patient_message: str
    staff_reason: str
    source: str
    triggers: dict[str, Any] = field(default_factory=dict)  # answer field -> value(s) behind it
    details: dict[str, Any] = field(default_factory=dict)  # e.g. {"sclerosant": "polidocanol"}
    until: date | None = None  # postpone only; None on a postpone means "until you tell us"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "patient_message": self.patient_message,
            "staff_reason": self.staff_reason,
            "source": self.source,
            "triggers": _json_safe(self.triggers),
            "details": _json_safe(self.details),
            "until": self.until.isoformat() if self.until else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Flag:
        _reject_unknown_keys(cls, data)
        try:
            return cls(
                code=_text_field("code", data["code"]),
                severity=_coerce_enum("severity", Severity, data["severity"]),
                patient_message=_text_field("patient_message", data["patient_message"]),
                staff_reason=_text_field("staff_reason", data["staff_reason"]),
                source=_text_field("source", data["source"]),
                triggers=dict(data.get("triggers") or {}),
                details=dict(data.get("details") or {}),
                until=_optional_date("until", data.get("until")),
            )
        except KeyError as missing:
            raise ValueError(f"Flag: missing field {missing}") from None


def _text_field(name: str, value: Any) -> str:
    return _coerce(name, str, value)


def _optional_date(name: str, value: Any) -> date | None:
    return None if value is None else _coerce_date(name, value)


@dataclass(frozen=True)
class ScreeningResult:
    outcome: Outcome
    flags: tuple[Flag, ...]
    # The latest date among postpone flags. None if nothing is postponed, or if a postponement is
    # open-ended (breastfeeding, an infection): then `postpone_open_ended` is True.
    postpone_until: date | None
    postpone_open_ended: bool
    ruleset_version: str
    screened_on: date
    config: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_flags(
        cls,
        flags: Iterable[Flag],
        *,
        screened_on: date,
        config: ScreeningConfig = DEFAULT_CONFIG,
        ruleset_version: str = RULESET_VERSION,
    ) -> ScreeningResult:
        ordered = tuple(sorted(flags, key=lambda f: _RANK[f.severity]))  # stable: rule order kept
        outcome = _OUTCOME_OF[ordered[0].severity] if ordered else Outcome.CLEARED
        postponed = [f for f in ordered if f.severity is Severity.POSTPONE]
        open_ended = any(f.until is None for f in postponed)
        until = None if open_ended or not postponed else max(f.until for f in postponed)
        return cls(
            outcome=outcome,
            flags=ordered,
            postpone_until=until,
            postpone_open_ended=open_ended,
            ruleset_version=ruleset_version,
            screened_on=screened_on,
            config=config.to_dict(),
        )

    @property
    def cleared(self) -> bool:
        return self.outcome is Outcome.CLEARED

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.flags)

    @property
    def advice(self) -> tuple[Flag, ...]:
        return tuple(f for f in self.flags if f.severity is Severity.ADVICE)

    def flag(self, code: str) -> Flag | None:
        return next((f for f in self.flags if f.code == code), None)

    def flags_added_since(self, earlier: ScreeningResult) -> tuple[Flag, ...]:
        """Flags whose code the earlier screening did not have (e.g. after a re-confirmation)."""
        known = set(earlier.codes)
        return tuple(f for f in self.flags if f.code not in known)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset_version": self.ruleset_version,
            "screened_on": self.screened_on.isoformat(),
            "outcome": self.outcome.value,
            "postpone_until": self.postpone_until.isoformat() if self.postpone_until else None,
            "postpone_open_ended": self.postpone_open_ended,
            "config": _json_safe(self.config),
            "flags": [f.to_dict() for f in self.flags],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScreeningResult:
        """Load a stored screening exactly as it was decided; nothing is re-run or re-derived."""
        _reject_unknown_keys(cls, data)
        try:
            return cls(
                outcome=_coerce_enum("outcome", Outcome, data["outcome"]),
                flags=tuple(Flag.from_dict(f) for f in data["flags"]),
                postpone_until=_optional_date("postpone_until", data.get("postpone_until")),
                postpone_open_ended=bool(data.get("postpone_open_ended", False)),
                ruleset_version=_text_field("ruleset_version", data["ruleset_version"]),
                screened_on=_coerce_date("screened_on", data["screened_on"]),
                config=dict(data.get("config") or {}),
            )
        except KeyError as missing:
            raise ValueError(f"ScreeningResult: missing field {missing}") from None


# --- Rule machinery -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """What a rule's check found: the answers behind it and anything the messages need."""

    triggers: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)
    until: date | None = None
    text: dict[str, Any] = field(default_factory=dict)  # values for the message placeholders


@dataclass(frozen=True)
class Context:
    """One screening's inputs, with free text read once for all the rules."""

    answers: Answers
    today: date
    config: ScreeningConfig
    changes: Reconfirmation | None = None

    @cached_property
    def medications(self) -> Reading:
        return read_text(self.answers.medications or "")

    @cached_property
    def allergies(self) -> Reading:
        return read_text(self.answers.allergies or "")

    @cached_property
    def age(self) -> int | None:
        born = self.answers.date_of_birth
        return age_on(born, self.today) if born and born <= self.today else None

    def text_args(self) -> dict[str, Any]:
        c = self.config
        return {
            "pregnancy_months": c.pregnancy_postpone_months,
            "surgery_months": c.surgery_postpone_months,
            "minimum_age": c.minimum_age,
            "no_flying_days": c.no_flying_days,
        }


Check = Callable[[Context], Hit | None]


@dataclass(frozen=True)
class Rule:
    """One screening rule: a stable key, when it fires, how severe, what to say, and why."""

    key: str
    severity: Severity
    check: Check
    patient: str | Mapping[Severity, str]  # per severity when a clinic setting can change it
    staff: str
    source: str
    severity_setting: str | None = None  # the ScreeningConfig field that may change the severity

    def severity_for(self, config: ScreeningConfig) -> Severity:
        if self.severity_setting is None:
            return self.severity
        return getattr(config, self.severity_setting)

    def evaluate(self, ctx: Context) -> Flag | None:
        hit = self.check(ctx)
        if hit is None:
            return None
        severity = self.severity_for(ctx.config)
        args = {
            **ctx.text_args(),
            "severity": severity.value,
            "until": _long_date(hit.until) if hit.until else "",
            **hit.text,
        }
        patient = self.patient if isinstance(self.patient, str) else self.patient[severity]
        return Flag(
            code=self.key,
            severity=severity,
            patient_message=patient.format(**args),
            staff_reason=self.staff.format(**args),
            source=self.source,
            triggers=_json_safe(hit.triggers),
            details=_json_safe(hit.details),
            until=hit.until,
        )


def _when(name: str, *values: Enum, note: str | None = None) -> Check:
    """Fires when answer `name` is one of `values`; `note` names a free-text field to carry along."""

    def check(ctx: Context) -> Hit | None:
        value = getattr(ctx.answers, name)
        if value not in values:
            return None
        details = {note: getattr(ctx.answers, note)} if note and getattr(ctx.answers, note) else {}
        return Hit(triggers={name: value}, details=details, text={"answer": value.value})

    return check


_YES_OR_UNSURE = (Reply.YES, Reply.UNSURE)


def _labels(matches: Iterable[Match]) -> str:
    return ", ".join(dict.fromkeys(m.label for m in matches))


def _text_hit(field_name: str, text: str | None, matches: Sequence[Match], **extra: Any) -> Hit:
    return Hit(
        triggers={field_name: text},
        details={"terms": [m.to_dict() for m in matches], **extra},
        text={"terms": _labels(matches)},
    )


# --- The checks ---------------------------------------------------------------------------------


def _missing_fields(answers: Answers) -> list[str]:
    missing = [
        f.name
        for f in fields(answers)
        if f.metadata["required"] and getattr(answers, f.name) in (None, ())
    ]
    a = answers
    needed_when = [
        ("pregnancy_ended_on", a.recently_pregnant is Reply.YES),
        ("surgery_or_hospital_stay_ended_on", a.recent_surgery_or_hospital_stay is Reply.YES),
        ("sclerotherapy_serious_reaction", a.had_sclerotherapy_before in _YES_OR_UNSURE),
        ("sclerotherapy_neuro_cardiac_event", a.had_sclerotherapy_before in _YES_OR_UNSURE),
        ("treatment_area_other", Area.OTHER in (a.treatment_areas or ())),
    ]
    for name, needed in needed_when:
        value = getattr(a, name)
        if needed and (value is None or (isinstance(value, str) and not value.strip())):
            missing.append(name)
    return missing


def _check_missing(ctx: Context) -> Hit | None:
    missing = _missing_fields(ctx.answers)
    if not missing:
        return None
    return Hit(
        triggers={name: None for name in missing},
        details={"missing": missing},
        text={"fields": ", ".join(missing)},
    )


def _check_implausible(ctx: Context) -> Hit | None:
    a, today = ctx.answers, ctx.today
    problems: dict[str, str] = {}
    if a.date_of_birth and a.date_of_birth > today:
        problems["date_of_birth"] = "in the future"
    elif a.date_of_birth and age_on(a.date_of_birth, today) > _OLDEST_PLAUSIBLE_AGE:
        problems["date_of_birth"] = f"age over {_OLDEST_PLAUSIBLE_AGE}"
    for name in ("pregnancy_ended_on", "surgery_or_hospital_stay_ended_on"):
        if (value := getattr(a, name)) and value > today:
            problems[name] = "in the future"
    if a.clot_history_year is not None and not 1900 <= a.clot_history_year <= today.year:
        problems["clot_history_year"] = "not a possible year"
    if a.height_cm is not None and not _HEIGHT_RANGE[0] <= a.height_cm <= _HEIGHT_RANGE[1]:
        problems["height_cm"] = f"outside {_HEIGHT_RANGE[0]:g}-{_HEIGHT_RANGE[1]:g} cm"
    if a.weight_kg is not None and not _WEIGHT_RANGE[0] <= a.weight_kg <= _WEIGHT_RANGE[1]:
        problems["weight_kg"] = f"outside {_WEIGHT_RANGE[0]:g}-{_WEIGHT_RANGE[1]:g} kg"
    if not problems:
        return None
    return Hit(
        triggers={name: getattr(a, name) for name in problems},
        details={"problems": problems},
        text={"problems": "; ".join(f"{k} {v}" for k, v in problems.items())},
    )


def _check_under_age(ctx: Context) -> Hit | None:
    born, age = ctx.answers.date_of_birth, ctx.age
    if born is None or age is None or age >= ctx.config.minimum_age:
        return None
    adult_on = _birthday(born, born.year + ctx.config.minimum_age)
    return Hit(
        triggers={"date_of_birth": born},
        details={"age": age, "reaches_minimum_age_on": adult_on},
        text={"age": age},
    )


def _postpone_after(ctx: Context, date_field: str, gate: str, months: int) -> Hit | None:
    """Postpone until `months` calendar months after the date; on that very day it is over."""
    ended = getattr(ctx.answers, date_field)
    if ended is None or ended > ctx.today:  # a future date is caught as implausible
        return None
    until = add_months(ended, months)
    if until <= ctx.today:
        return None
    return Hit(
        triggers={gate: getattr(ctx.answers, gate), date_field: ended},
        until=until,
        text={"ended_on": _long_date(ended)},
    )


def _check_recent_pregnancy(ctx: Context) -> Hit | None:
    return _postpone_after(
        ctx, "pregnancy_ended_on", "recently_pregnant", ctx.config.pregnancy_postpone_months
    )


def _check_recent_surgery(ctx: Context) -> Hit | None:
    return _postpone_after(
        ctx,
        "surgery_or_hospital_stay_ended_on",
        "recent_surgery_or_hospital_stay",
        ctx.config.surgery_postpone_months,
    )


def _check_breastfeeding_insists(ctx: Context) -> Hit | None:
    a = ctx.answers
    if a.breastfeeding is not Reply.YES or a.wants_treatment_while_breastfeeding is not Reply.YES:
        return None
    return Hit(
        triggers={"breastfeeding": a.breastfeeding,
                  "wants_treatment_while_breastfeeding": a.wants_treatment_while_breastfeeding}
    )


def _check_clot_history(ctx: Context) -> Hit | None:
    a = ctx.answers
    if a.clot_history is not Reply.YES:
        return None
    year = a.clot_history_year
    return Hit(
        triggers={"clot_history": a.clot_history, "clot_history_year": year},
        text={"year": year or "year not given"},
    )


# Medicines. A term the patient wrote with a "stopped / not / no longer" word is not taken as
# current use either way: it goes to review as unclear.

_CONCERN = (
    Category.ANTICOAGULANT, Category.BLOOD_THINNER, Category.ANTIPLATELET, Category.ASPIRIN,
    Category.CORTICOSTEROID, Category.HORMONE,
)
_NOT_MEDICINES = (
    Category.POLIDOCANOL, Category.SODIUM_TETRADECYL_SULFATE, Category.SCLEROSANT,
    Category.ALLERGEN,
)


def _current(ctx: Context, *categories: Category) -> list[Match]:
    return [m for m in ctx.medications.of(*categories) if Cue.STOPPED not in m.cues]


def _is_occasional_aspirin(m: Match) -> bool:
    # Aspirin counts as occasional only when the patient says so; daily or unstated is reviewed,
    # because daily aspirin is an antiplatelet that should not be stopped without the prescriber.
    return Cue.OCCASIONAL in m.cues and Cue.REGULAR not in m.cues


def _is_short_steroid_course(m: Match) -> bool:
    return Cue.SHORT_COURSE in m.cues and Cue.REGULAR not in m.cues


def _regular_antiplatelets(ctx: Context) -> list[Match]:
    aspirin = [m for m in _current(ctx, Category.ASPIRIN) if not _is_occasional_aspirin(m)]
    return _current(ctx, Category.ANTIPLATELET) + aspirin


def _medications_hit(ctx: Context, matches: Sequence[Match]) -> Hit | None:
    return _text_hit("medications", ctx.answers.medications, matches) if matches else None


def _check_anticoagulant(ctx: Context) -> Hit | None:
    return _medications_hit(ctx, _current(ctx, Category.ANTICOAGULANT))


def _check_antiplatelet(ctx: Context) -> Hit | None:
    return _medications_hit(ctx, _regular_antiplatelets(ctx))


def _check_blood_thinner_unspecified(ctx: Context) -> Hit | None:
    a = ctx.answers
    if _current(ctx, Category.ANTICOAGULANT) or _regular_antiplatelets(ctx):
        return None  # the medicine is named; its own rule speaks for it
    lay_words = _current(ctx, Category.BLOOD_THINNER)
    said_yes = a.blood_thinners in _YES_OR_UNSURE
    if not (lay_words or said_yes):
        return None
    triggers: dict[str, Any] = {}
    if said_yes:
        triggers["blood_thinners"] = a.blood_thinners
    if lay_words:
        triggers["medications"] = a.medications
    return Hit(triggers=triggers, details={"terms": [m.to_dict() for m in lay_words]})


def _check_pause_before_session(ctx: Context) -> Hit | None:
    steroids = [
        m for m in _current(ctx, Category.CORTICOSTEROID)
        if Cue.LOCAL not in m.cues and _is_short_steroid_course(m)
    ]
    aspirin = [m for m in _current(ctx, Category.ASPIRIN) if _is_occasional_aspirin(m)]
    pausable = ctx.medications.of(Category.NSAID, Category.ANTIBIOTIC) + tuple(aspirin + steroids)
    return _medications_hit(ctx, pausable)


def _check_regular_steroid(ctx: Context) -> Hit | None:
    # Long-term use can rarely be ruled out from a drug name alone, so a systemic steroid is
    # reviewed unless the patient says it is a short course. Creams and inhalers are not flagged.
    steroids = [
        m for m in _current(ctx, Category.CORTICOSTEROID)
        if Cue.LOCAL not in m.cues and not _is_short_steroid_course(m)
    ]
    return _medications_hit(ctx, steroids)


def _check_unclear_medications(ctx: Context) -> Hit | None:
    unclear = [m for m in ctx.medications.of(*_CONCERN) if Cue.STOPPED in m.cues]
    return _medications_hit(ctx, unclear)


def _check_unrecognised_medications(ctx: Context) -> Hit | None:
    reading = ctx.medications
    terms = list(reading.unrecognised) + [m.matched_text for m in reading.of(*_NOT_MEDICINES)]
    if ctx.answers.medications is None or not terms:
        return None
    return Hit(
        triggers={"medications": ctx.answers.medications},
        details={"unrecognised": terms},
        text={"terms": ", ".join(terms)},
    )


def _check_hormones(ctx: Context) -> Hit | None:
    a = ctx.answers
    named = _current(ctx, Category.HORMONE)
    if a.hormone_therapy not in _YES_OR_UNSURE and not named:
        return None
    triggers: dict[str, Any] = {}
    if a.hormone_therapy in _YES_OR_UNSURE:
        triggers["hormone_therapy"] = a.hormone_therapy
    if named:
        triggers["medications"] = a.medications
    return Hit(triggers=triggers, details={"terms": [m.to_dict() for m in named]})


def _check_clot_risk_factors(ctx: Context) -> Hit | None:
    a, c = ctx.answers, ctx.config
    factors: list[str] = []
    triggers: dict[str, Any] = {}
    if a.hormone_therapy is Reply.YES or _current(ctx, Category.HORMONE):
        factors.append("hormone medicine")
        triggers["hormone_therapy"] = a.hormone_therapy
    if a.smoker is Reply.YES:
        factors.append("smoking")
        triggers["smoker"] = a.smoker
    bmi = a.bmi
    if bmi is not None and bmi >= c.obesity_bmi:
        factors.append(f"BMI {bmi:g}")
        triggers.update(height_cm=a.height_cm, weight_kg=a.weight_kg)
    if a.mobility in (Mobility.LIMITED, Mobility.UNABLE_TO_WALK):
        factors.append("limited mobility")
        triggers["mobility"] = a.mobility
    if len(factors) < c.clot_risk_factor_threshold:
        return None
    return Hit(
        triggers=triggers,
        details={"factors": factors, "bmi": bmi},
        text={"factors": ", ".join(factors), "count": len(factors)},
    )


def _allergy_check(*categories: Category, sclerosant: str | None = None) -> Check:
    def check(ctx: Context) -> Hit | None:
        found = ctx.allergies.of(*categories)
        if not found:
            return None
        extra = {"sclerosant": sclerosant} if sclerosant else {}
        return _text_hit("allergies", ctx.answers.allergies, found, **extra)

    return check


_OTHER_ALLERGENS = tuple(
    c for c in Category
    if c not in (Category.POLIDOCANOL, Category.SODIUM_TETRADECYL_SULFATE, Category.SCLEROSANT)
)


def _check_unrecognised_allergies(ctx: Context) -> Hit | None:
    terms = ctx.allergies.unrecognised
    if ctx.answers.allergies is None or not terms:
        return None
    return Hit(
        triggers={"allergies": ctx.answers.allergies},
        details={"unrecognised": list(terms)},
        text={"terms": ", ".join(terms)},
    )


def _check_vein_type(*types: VeinType) -> Check:
    def check(ctx: Context) -> Hit | None:
        chosen = ctx.answers.vein_types or ()
        if not any(t in chosen for t in types):
            return None
        return Hit(triggers={"vein_types": list(chosen)})

    return check


def _check_area(area: Area) -> Check:
    def check(ctx: Context) -> Hit | None:
        areas = ctx.answers.treatment_areas or ()
        if area not in areas:
            return None
        details = {"other_area": ctx.answers.treatment_area_other} if area is Area.OTHER else {}
        return Hit(triggers={"treatment_areas": list(areas)}, details=details)

    return check


def _check_open_ended(name: str) -> Check:
    """Postpone with no date: it lasts until the patient updates their answers."""

    def check(ctx: Context) -> Hit | None:
        value = getattr(ctx.answers, name)
        return Hit(triggers={name: value}) if value is Reply.YES else None

    return check


def _check_any_unsure(*names: str) -> Check:
    def check(ctx: Context) -> Hit | None:
        unsure = {n: getattr(ctx.answers, n) for n in names if getattr(ctx.answers, n) is Reply.UNSURE}
        return Hit(triggers=unsure, text={"answer": "unsure"}) if unsure else None

    return check


def _check_flight(ctx: Context) -> Hit | None:
    a = ctx.answers
    if a.long_flight_planned not in _YES_OR_UNSURE:
        return None
    flight = a.long_flight_on
    if flight is not None and flight < ctx.today:
        return None  # that trip is over
    details: dict[str, Any] = {}
    if flight is not None:
        # A session on any of these days would be followed by the flight too soon.
        details = {
            "flight_on": flight,
            "avoid_sessions_from": flight - timedelta(days=ctx.config.no_flying_days),
            "avoid_sessions_until": flight,
        }
    return Hit(
        triggers={"long_flight_planned": a.long_flight_planned, "long_flight_on": flight},
        details=details,
    )


def _check_missing_reconfirmation(ctx: Context) -> Hit | None:
    if ctx.changes is None:
        return None
    missing = [f.name for f in fields(ctx.changes) if getattr(ctx.changes, f.name) is None]
    if not missing:
        return None
    return Hit(
        triggers={name: None for name in missing},
        details={"missing": missing},
        text={"fields": ", ".join(missing)},
    )


# --- The rules ----------------------------------------------------------------------------------

_CR = "CLINICAL_RULES.md"
_DOUBT = f"{_CR} rule of thumb: when in doubt, clinician review"
_SRC_PREGNANT = f"{_CR} 'currently pregnant'; seeds 000, 001-002, 003"
_SRC_RECENT_PREGNANCY = f"{_CR} 'pregnancy ended less than 3 months ago'; seed 002"
_SRC_BREASTFEEDING = f"{_CR} 'breastfeeding'; seeds 000, 002, 003"
_SRC_CLOTS = f"{_CR} 'history of DVT, pulmonary embolism, blood clots'; seeds 000, 001, 002"
_SRC_THROMBOPHILIA = f"{_CR} 'known clotting disorder / thrombophilia'; seed 003; guideline"
_SRC_ANTICOAGULANTS = f"{_CR} 'anticoagulants'; seed 003"
_SRC_ANTIPLATELETS = f"{_CR} 'antiplatelets, daily aspirin'; seed 003"
_SRC_PAUSE = f"{_CR} 'NSAIDs, aspirin, antibiotics, corticosteroids in the last 5-10 days'; seed 003"
_SRC_POLIDOCANOL = f"{_CR} 'allergy to polidocanol'; seeds 000, 001"
_SRC_STS = f"{_CR} 'allergy to sodium tetradecyl sulfate'; seed 000"
_SRC_REACTION = f"{_CR} 'earlier serious reaction to sclerotherapy'"
_SRC_VARICOSE = (
    f"{_CR} 'large, bulging, twisted varicose veins; leg ulcers; pain/swelling'; seeds 003, 001"
)
_SRC_AGE = f"{_CR} 'under 18'; Asclera label §8.4"
_SRC_INFECTION = (
    f"{_CR} 'acute local skin infection, fever / systemic infection, severe acute illness'; "
    "UIP 2023; Sotradecol, Fibrovein labels"
)
_SRC_IMMOBILE = f"{_CR} 'bedridden / unable to walk'; Sotradecol, Fibrovein, Aethoxysklerol labels"
_SRC_SURGERY = (
    f"{_CR} 'major surgery or long hospital stay in the last 3 months'; Asclera label §5.2; Fibrovein"
)
_SRC_THROMBOPHLEBITIS = f"{_CR} 'current superficial thrombophlebitis'; Sotradecol, Fibrovein labels"
_SRC_SHUNT = (
    f"{_CR} 'known right-to-left shunt / PFO, migraine with aura'; Fibrovein, Aethoxysklerol labels"
)
_SRC_ARTERIES = f"{_CR} 'severe peripheral arterial disease'; UIP 2023; Aethoxysklerol, Fibrovein"
_SRC_ILLNESS = (
    f"{_CR} 'poorly controlled diabetes, active cancer, blood disorders, other serious illness'; "
    "Sotradecol, Fibrovein; UIP 2023"
)
_SRC_NEURO = f"{_CR} 'serious neurological or cardiac event at an earlier session'; UIP 2023"
_SRC_HORMONES = (
    f"{_CR} 'hormone therapy / oral contraceptives, several clot risk factors'; "
    "Fibrovein, Aethoxysklerol labels; UIP 2023"
)
_SRC_FLIGHT = f"{_CR} 'planned long flight within 3 days after the session'; seed 002"
_SRC_SMOKING = f"{_CR} 'smoking'; seed 003"
_SRC_LEGS_ONLY = (
    "seed 004 (typical area: spider veins in the legs); clinic scope: cosmetic leg sclerotherapy"
)

_CLINICIAN_FIRST = "A clinician will look at this with you before any treatment session is booked."

_NE, _R, _PP, _AD = Severity.NOT_ELIGIBLE, Severity.REVIEW, Severity.POSTPONE, Severity.ADVICE

RULES: tuple[Rule, ...] = (
    # Answers as a whole
    Rule(
        key="answers.missing", severity=_R, check=_check_missing,
        patient="Some questions were left unanswered. " + _CLINICIAN_FIRST
        + " You can still book a consultation.",
        staff="Required answers missing: {fields}. Unanswered is never read as 'no'.",
        source=_DOUBT,
    ),
    Rule(
        key="answers.implausible", severity=_R, check=_check_implausible,
        patient="Some of your answers don't look quite right, for example a date in the future. "
        "A clinician will check them with you.",
        staff="Implausible answers: {problems}.",
        source=_DOUBT,
    ),
    # Age
    Rule(
        key="age.under_minimum", severity=_NE, check=_check_under_age,
        patient="This treatment is only for adults aged {minimum_age} and over, so we can't "
        "offer it to you yet. We're sorry about that.",
        staff="Age {age} at screening; clinic minimum {minimum_age} (safety under 18 not established).",
        source=_SRC_AGE,
    ),
    # Pregnancy and breastfeeding
    Rule(
        key="pregnancy.current", severity=_NE, check=_when("pregnant", Reply.YES),
        patient="We don't give this treatment during pregnancy. Once your pregnancy has ended, "
        "wait {pregnancy_months} months, then update your answers and we'll be glad to see you.",
        staff="Currently pregnant: contraindicated. Re-screen {pregnancy_months} months after the "
        "pregnancy ends.",
        source=_SRC_PREGNANT,
    ),
    Rule(
        key="pregnancy.unsure", severity=_R, check=_when("pregnant", Reply.UNSURE),
        patient="You weren't sure whether you might be pregnant. A clinician will talk this "
        "through with you before any treatment session is booked.",
        staff="Pregnancy status 'unsure': exclude pregnancy before treatment.",
        source=_SRC_PREGNANT,
    ),
    Rule(
        key="pregnancy.recent", severity=_PP, check=_check_recent_pregnancy,
        patient="Your body needs a few months to settle after a pregnancy. "
        "You can have treatment from {until}.",
        staff="Pregnancy ended {ended_on}: postponed {pregnancy_months} calendar months, until {until}.",
        source=_SRC_RECENT_PREGNANCY,
    ),
    Rule(
        key="pregnancy.recent_unsure", severity=_R, check=_when("recently_pregnant", Reply.UNSURE),
        patient="You weren't sure about a recent pregnancy. " + _CLINICIAN_FIRST,
        staff="Unsure whether pregnant in the last {pregnancy_months} months.",
        source=_SRC_RECENT_PREGNANCY,
    ),
    Rule(
        key="breastfeeding.current", severity=_PP, check=_check_open_ended("breastfeeding"),
        patient="We wait until you have stopped breastfeeding before giving this treatment. "
        "When you've stopped, update your answers and you can book.",
        staff="Breastfeeding: postponed while nursing, open-ended (no computable date) until the "
        "patient reports she has stopped.",
        source=_SRC_BREASTFEEDING,
    ),
    Rule(
        key="breastfeeding.wants_treatment", severity=_R, check=_check_breastfeeding_insists,
        patient="You'd like treatment while you're still breastfeeding. A clinician will talk "
        "this over with you before anything is booked.",
        staff="Patient asks to be treated while breastfeeding (default: wait). Clinician decision.",
        source=_SRC_BREASTFEEDING,
    ),
    Rule(
        key="breastfeeding.unsure", severity=_R, check=_when("breastfeeding", Reply.UNSURE),
        patient="You weren't sure how to answer the breastfeeding question. " + _CLINICIAN_FIRST,
        staff="Breastfeeding answered 'unsure'.",
        source=_SRC_BREASTFEEDING,
    ),
    # Clots
    Rule(
        key="clots.history", severity=_NE, severity_setting="clot_history_severity",
        check=_check_clot_history,
        patient={
            _NE: "Because you've had a blood clot in a vein or lung, this treatment isn't safe for "
            "you at our clinic. Your own doctor or a vein specialist can talk with you about "
            "other options.",
            _R: "You've had a blood clot in the past. " + _CLINICIAN_FIRST,
        },
        staff="History of DVT/PE/thromboembolism ({year}). Clinic setting: {severity}. Never "
        "cleared automatically.",
        source=_SRC_CLOTS,
    ),
    Rule(
        key="clots.history_unsure", severity=_R, check=_when("clot_history", Reply.UNSURE),
        patient="You weren't sure whether you've had a blood clot. " + _CLINICIAN_FIRST,
        staff="Unsure about past DVT/PE/blood clot.",
        source=_SRC_CLOTS,
    ),
    Rule(
        key="clotting_disorder.known", severity=_R,
        check=_when("clotting_disorder", *_YES_OR_UNSURE, note="clotting_disorder_details"),
        patient="You told us about a blood clotting condition, or weren't sure. " + _CLINICIAN_FIRST,
        staff="Known or possible thrombophilia / clotting disorder (answer: {answer}); see details.",
        source=_SRC_THROMBOPHILIA,
    ),
    Rule(
        key="thrombophlebitis.current", severity=_PP, check=_check_open_ended("thrombophlebitis_now"),
        patient="A sore, inflamed vein needs to settle before treatment. "
        "Please update your answers once it has gone.",
        staff="Current superficial thrombophlebitis: postponed until resolved (open-ended).",
        source=_SRC_THROMBOPHLEBITIS,
    ),
    Rule(
        key="thrombophlebitis.review", severity=_R,
        check=_when("thrombophlebitis_now", *_YES_OR_UNSURE),
        patient="A clinician also needs to check the inflamed vein you told us about before any "
        "treatment session is booked.",
        staff="Superficial thrombophlebitis now (answer: {answer}): assess, exclude an associated DVT.",
        source=_SRC_THROMBOPHLEBITIS,
    ),
    # Medicines
    Rule(
        key="medications.anticoagulant", severity=_NE, severity_setting="anticoagulants_severity",
        check=_check_anticoagulant,
        patient={
            _NE: "You told us you take {terms}, a blood thinner. Our clinic doesn't give this "
            "treatment to people on blood thinners. Please keep taking it, and ask your own doctor about "
            "your veins.",
            _R: "You told us you take {terms}, a blood thinner. " + _CLINICIAN_FIRST
            + " Please keep taking it as prescribed.",
        },
        staff="Anticoagulant: {terms}. Clinic setting: {severity}.",
        source=_SRC_ANTICOAGULANTS,
    ),
    Rule(
        key="medications.blood_thinner_unspecified", severity=_R,
        check=_check_blood_thinner_unspecified,
        patient="You mentioned a blood thinner. A clinician will check which medicine it is "
        "before any treatment session is booked. Please keep taking it as prescribed.",
        staff="Blood thinner reported (question or lay wording) but no anticoagulant or "
        "antiplatelet named: identify the agent.",
        source=_SRC_ANTICOAGULANTS,
    ),
    Rule(
        key="medications.antiplatelet", severity=_R, check=_check_antiplatelet,
        patient="You told us you take {terms}, which affects blood clotting. " + _CLINICIAN_FIRST
        + " Please don't stop it unless the doctor who prescribed it says so.",
        staff="Antiplatelet, or aspirin that is daily or of unstated frequency: {terms}.",
        source=_SRC_ANTIPLATELETS,
    ),
    Rule(
        key="medications.corticosteroid_regular", severity=_R, check=_check_regular_steroid,
        patient="You told us you take {terms}, a steroid medicine. " + _CLINICIAN_FIRST
        + " Please keep taking it as prescribed.",
        staff="Systemic corticosteroid not stated to be a short course, so treated as long-term: {terms}.",
        source=_SRC_PAUSE,
    ),
    Rule(
        key="medications.pause_before_session", severity=_AD, check=_check_pause_before_session,
        patient="Some medicines can make the treatment work less well: {terms}. Please ask the "
        "doctor who prescribed them, or a pharmacist, whether you can pause them for 5 to 10 days "
        "before each session. Don't stop anything without checking first.",
        staff="Pause 5-10 days before each session after checking with the prescriber: {terms}.",
        source=_SRC_PAUSE,
    ),
    Rule(
        key="medications.unclear", severity=_R, check=_check_unclear_medications,
        patient="We couldn't tell whether you still take {terms}. A clinician will check with you.",
        staff="Mentioned with a stop/negation word, current use unclear: {terms}.",
        source=_DOUBT,
    ),
    Rule(
        key="medications.unrecognised", severity=_R, check=_check_unrecognised_medications,
        patient="We couldn't match some of the medicines you listed: {terms}. A clinician will "
        "check them with you; this is routine.",
        staff="Medication text not recognised: {terms}.",
        source=_DOUBT,
    ),
    Rule(
        key="hormones.therapy", severity=_R, check=_check_hormones,
        patient="Hormone medicines, such as the pill or HRT, can make blood clots a little more "
        "likely. " + _CLINICIAN_FIRST,
        staff="Hormone therapy / oral contraceptive (question answer or named medicine).",
        source=_SRC_HORMONES,
    ),
    Rule(
        key="clot_risk.several", severity=_R, check=_check_clot_risk_factors,
        patient="A few things together can make a blood clot more likely for you: {factors}. "
        + _CLINICIAN_FIRST,
        staff="{count} clot risk factors together: {factors}.",
        source=_SRC_HORMONES,
    ),
    # Allergies
    Rule(
        key="allergies.polidocanol", severity=_R,
        check=_allergy_check(Category.POLIDOCANOL, sclerosant="polidocanol"),
        patient="You told us you're allergic to {terms}, one of the medicines used for this "
        "treatment. We won't use it for you, and a clinician will choose a safe option with you "
        "before any session is booked.",
        staff="Allergy to polidocanol: {terms}. Not eligible for polidocanol; choose another "
        "sclerosant.",
        source=_SRC_POLIDOCANOL,
    ),
    Rule(
        key="allergies.sodium_tetradecyl_sulfate", severity=_R,
        check=_allergy_check(
            Category.SODIUM_TETRADECYL_SULFATE, sclerosant="sodium_tetradecyl_sulfate"
        ),
        patient="You told us you're allergic to {terms}, one of the medicines used for this "
        "treatment. We won't use it for you, and a clinician will choose a safe "
        "option with you before any session is booked.",
        staff="Allergy to sodium tetradecyl sulfate: {terms}. Not eligible for STS; choose "
        "another sclerosant.",
        source=_SRC_STS,
    ),
    Rule(
        key="allergies.sclerosant_unspecified", severity=_R,
        check=_allergy_check(Category.SCLEROSANT),
        patient="You mentioned an allergy to a vein treatment: {terms}. A clinician will find "
        "out which medicine it was before any session is booked.",
        staff="Allergy to an unnamed sclerosant or to sclerotherapy: {terms}. Identify the agent.",
        source=f"{_SRC_STS}; {_SRC_POLIDOCANOL}",
    ),
    Rule(
        key="allergies.other", severity=_AD, check=_allergy_check(*_OTHER_ALLERGENS),
        patient="Thank you for telling us about your allergies: {terms}. Please remind the "
        "clinician on the day.",
        staff="Other allergies, not to a sclerosant: {terms}. Check gloves, skin preparation and "
        "dressings.",
        source="intake issue (other allergies: advice); " + _DOUBT + " for text not understood",
    ),
    Rule(
        key="allergies.unrecognised", severity=_R, check=_check_unrecognised_allergies,
        patient="We couldn't match part of your allergy answer: {terms}. A clinician will check "
        "it with you.",
        staff="Allergy text not recognised: {terms}. Could be a sclerosant.",
        source=_DOUBT,
    ),
    # Earlier sclerotherapy
    Rule(
        key="sclerotherapy.serious_reaction", severity=_R,
        check=_when("sclerotherapy_serious_reaction", *_YES_OR_UNSURE),
        patient="You told us about a possible serious reaction to vein treatment in the past. "
        + _CLINICIAN_FIRST,
        staff="Earlier serious reaction to sclerotherapy (answer: {answer}).",
        source=_SRC_REACTION,
    ),
    Rule(
        key="sclerotherapy.neuro_cardiac_event", severity=_NE,
        check=_when("sclerotherapy_neuro_cardiac_event", Reply.YES),
        patient="Because you had a serious problem with your brain, sight or heart during or "
        "after an earlier vein treatment, we can't safely treat you here. A vein specialist can "
        "advise you.",
        staff="Serious neurological or cardiac event at an earlier session: contraindicated.",
        source=_SRC_NEURO,
    ),
    Rule(
        key="sclerotherapy.neuro_cardiac_event_unsure", severity=_R,
        check=_when("sclerotherapy_neuro_cardiac_event", Reply.UNSURE),
        patient="You weren't sure whether you had a serious reaction at an earlier vein "
        "treatment. " + _CLINICIAN_FIRST,
        staff="Unsure about a neurological or cardiac event at an earlier session (lesser "
        "reactions: review).",
        source=_SRC_NEURO,
    ),
    # Heart and circulation
    Rule(
        key="heart.shunt", severity=_R, check=_when("heart_shunt", *_YES_OR_UNSURE),
        patient="You mentioned a hole in the heart, or weren't sure. " + _CLINICIAN_FIRST,
        staff="Known or possible right-to-left shunt / PFO (answer: {answer}); a hard stop if "
        "foam is planned and the shunt causes symptoms.",
        source=_SRC_SHUNT,
    ),
    Rule(
        key="migraine.aura", severity=_R, check=_when("migraine_with_aura", *_YES_OR_UNSURE),
        patient="You get migraines with aura (warning signs such as flashing lights), or weren't "
        "sure. " + _CLINICIAN_FIRST,
        staff="Migraine with aura (answer: {answer}): possible right-to-left shunt; relevant "
        "to foam.",
        source=_SRC_SHUNT,
    ),
    Rule(
        key="arteries.severe", severity=_NE,
        check=_when("arterial_disease", ArterialDisease.SEVERE),
        patient="Serious circulation problems in the leg arteries make this treatment unsafe. "
        "Please talk to a vascular specialist about your legs.",
        staff="Severe peripheral arterial disease / critical limb ischaemia: contraindicated.",
        source=_SRC_ARTERIES,
    ),
    Rule(
        key="arteries.disease", severity=_R,
        check=_when("arterial_disease", ArterialDisease.MILD, ArterialDisease.UNSURE),
        patient="You mentioned poor circulation in your legs, or weren't sure. " + _CLINICIAN_FIRST,
        staff="Peripheral arterial disease, mild or uncertain (answer: {answer}).",
        source=_SRC_ARTERIES,
    ),
    # General health
    Rule(
        key="diabetes.poorly_controlled", severity=_R,
        check=_when("diabetes", Diabetes.POORLY_CONTROLLED, Diabetes.UNSURE),
        patient="Diabetes that isn't well controlled can slow healing. " + _CLINICIAN_FIRST,
        staff="Diabetes poorly controlled or control unknown (answer: {answer}).",
        source=_SRC_ILLNESS,
    ),
    Rule(
        key="diabetes.controlled", severity=_AD,
        check=_when("diabetes", Diabetes.WELL_CONTROLLED),
        patient="Keep taking your diabetes medicines as usual, and let us know if your blood "
        "sugar control changes before a session.",
        staff="Diabetes, well controlled (patient's report): no hold; noted for healing and "
        "follow-up.",
        source=_SRC_ILLNESS,
    ),
    Rule(
        key="cancer.active", severity=_R, check=_when("active_cancer", *_YES_OR_UNSURE),
        patient="You told us about cancer that is active or being treated, or weren't sure. "
        + _CLINICIAN_FIRST,
        staff="Active cancer (answer: {answer}): raised clot risk.",
        source=_SRC_ILLNESS,
    ),
    Rule(
        key="blood.disorder", severity=_R, check=_when("blood_disorder", *_YES_OR_UNSURE),
        patient="You told us about a blood condition, or weren't sure. " + _CLINICIAN_FIRST,
        staff="Blood disorder (answer: {answer}).",
        source=_SRC_ILLNESS,
    ),
    Rule(
        key="illness.serious", severity=_R,
        check=_when("serious_illness", *_YES_OR_UNSURE, note="serious_illness_details"),
        patient="You told us about another serious health condition, or weren't sure. "
        + _CLINICIAN_FIRST,
        staff="Other serious illness (answer: {answer}); see details.",
        source=_SRC_ILLNESS,
    ),
    Rule(
        key="mobility.unable_to_walk", severity=_NE,
        check=_when("mobility", Mobility.UNABLE_TO_WALK),
        patient="Walking straight after each session keeps the blood moving and is part of the "
        "treatment, so we can't offer it if you're unable to walk. Your doctor can talk with you "
        "about other options.",
        staff="Bedridden / unable to walk: contraindicated in the STS and polidocanol labels.",
        source=_SRC_IMMOBILE,
    ),
    Rule(
        key="mobility.limited", severity=_R, check=_when("mobility", Mobility.LIMITED),
        patient="Walking straight after each session is part of the treatment. A clinician will "
        "talk with you about getting around before any session is booked.",
        staff="Limited mobility: check the patient can walk 15-30 minutes after a session; a "
        "clot risk factor.",
        source=_SRC_IMMOBILE,
    ),
    Rule(
        key="surgery.recent", severity=_PP, check=_check_recent_surgery,
        patient="Blood clots are a little more likely for a while after an operation or a "
        "hospital stay. You can have treatment from {until}.",
        staff="Major surgery or long hospital stay ending {ended_on}: postponed "
        "{surgery_months} calendar months, until {until}.",
        source=_SRC_SURGERY,
    ),
    Rule(
        key="surgery.recent_unsure", severity=_R,
        check=_when("recent_surgery_or_hospital_stay", Reply.UNSURE),
        patient="You weren't sure about a recent operation or hospital stay. " + _CLINICIAN_FIRST,
        staff="Unsure about major surgery / long hospital stay in the last {surgery_months} months.",
        source=_SRC_SURGERY,
    ),
    Rule(
        key="infection.skin_local", severity=_PP, check=_check_open_ended("skin_infection_in_area"),
        patient="Infected skin needs to heal before we can treat near it. Please update your "
        "answers once it has cleared.",
        staff="Local skin infection in the treatment area: postponed until resolved (open-ended).",
        source=_SRC_INFECTION,
    ),
    Rule(
        key="infection.systemic", severity=_PP, check=_check_open_ended("fever_or_acute_illness"),
        patient="We'll wait until you're feeling well again. Please update your answers once the "
        "fever or illness has passed.",
        staff="Fever / systemic infection / severe acute illness: postponed until resolved "
        "(open-ended).",
        source=_SRC_INFECTION,
    ),
    Rule(
        key="infection.unsure", severity=_R,
        check=_check_any_unsure("skin_infection_in_area", "fever_or_acute_illness"),
        patient="You weren't sure whether you have an infection or are unwell at the moment. "
        + _CLINICIAN_FIRST,
        staff="Unsure about a current infection or acute illness.",
        source=_SRC_INFECTION,
    ),
    # Legs and veins
    Rule(
        key="veins.varicose", severity=_NE, check=_check_vein_type(VeinType.BULGING),
        patient="Large, bulging veins need a different kind of care from the cosmetic treatment "
        "we offer. A vascular (vein) specialist can check them and advise you.",
        staff="Large bulging / twisted varicose veins: not for cosmetic sclerotherapy; refer to "
        "a vascular physician.",
        source=_SRC_VARICOSE,
    ),
    Rule(
        key="veins.leg_ulcer", severity=_NE, check=_when("leg_ulcer", Reply.YES),
        patient="A leg ulcer needs a vein specialist's care first, so our cosmetic treatment isn't "
        "right for you now. Your doctor can refer you to a vascular specialist.",
        staff="Leg ulcer: not for cosmetic sclerotherapy; refer to a vascular physician.",
        source=_SRC_VARICOSE,
    ),
    Rule(
        key="veins.leg_symptoms", severity=_NE, check=_when("leg_pain_or_swelling", Reply.YES),
        patient="Ongoing pain or swelling in your legs should be checked by a vein specialist "
        "before any cosmetic treatment. Your doctor can refer you.",
        staff="Leg pain / swelling: not for cosmetic sclerotherapy; refer to a vascular physician.",
        source=_SRC_VARICOSE,
    ),
    Rule(
        key="veins.unsure", severity=_R, check=_check_any_unsure("leg_ulcer", "leg_pain_or_swelling"),
        patient="You weren't sure about a leg ulcer or leg pain and swelling. " + _CLINICIAN_FIRST,
        staff="Unsure about leg ulcer or leg pain/swelling: assess for venous disease.",
        source=_SRC_VARICOSE,
    ),
    # What the patient wants treated
    Rule(
        key="treatment.face", severity=_R, check=_check_area(Area.FACE),
        patient="Our treatment is for veins on the legs. A clinician will talk with you about "
        "the veins on your face.",
        staff="Face requested: outside cosmetic leg sclerotherapy.",
        source=_SRC_LEGS_ONLY,
    ),
    Rule(
        key="treatment.other_area", severity=_R, check=_check_area(Area.OTHER),
        patient="Our treatment is for veins on the legs. A clinician will talk with you about the "
        "other area you mentioned.",
        staff="Other area requested (see details): outside cosmetic leg sclerotherapy.",
        source=_SRC_LEGS_ONLY,
    ),
    Rule(
        key="treatment.vein_type_unsure", severity=_R, check=_check_vein_type(VeinType.UNSURE),
        patient="You weren't sure what kind of veins you have. That's fine: a clinician will look "
        "at them with you before any treatment session is booked.",
        staff="Vein type unknown: rule out varicose veins at consultation.",
        source=_SRC_VARICOSE,
    ),
    # Lifestyle and plans
    Rule(
        key="travel.long_flight", severity=_AD, check=_check_flight,
        patient="Please don't take a long flight in the {no_flying_days} days after a session. "
        "If you have a trip coming up, choose a session date that leaves enough time before you fly.",
        staff="Long flight planned (see details for dates to avoid): no flying for "
        "{no_flying_days} days after a session.",
        source=_SRC_FLIGHT,
    ),
    Rule(
        key="smoking.current", severity=_AD, check=_when("smoker", *_YES_OR_UNSURE),
        patient="Smoking makes blood clots more likely. This is a good time to cut down or stop, "
        "and we're happy to point you to support.",
        staff="Smoker: advised to stop; counts towards clot risk factors.",
        source=_SRC_SMOKING,
    ),
)

RECONFIRMATION_RULES: tuple[Rule, ...] = (
    Rule(
        key="reconfirmation.missing", severity=_R, check=_check_missing_reconfirmation,
        patient="Some of the 'anything changed?' questions were left unanswered. A clinician will "
        "check with you before your session.",
        staff="Re-confirmation questions unanswered: {fields}.",
        source=f"{_CR} 'before the session: 7 days before'; {_DOUBT}",
    ),
)


# --- Screening ----------------------------------------------------------------------------------


def screen(
    answers: Answers,
    *,
    today: date,
    config: ScreeningConfig = DEFAULT_CONFIG,
    rules: Sequence[Rule] | None = None,
) -> ScreeningResult:
    """Run every rule on the answers and return all findings with the most severe outcome."""
    return _run(Context(answers, today, config), RULES if rules is None else rules)


def _run(ctx: Context, rules: Iterable[Rule]) -> ScreeningResult:
    flags = [flag for rule in rules if (flag := rule.evaluate(ctx)) is not None]
    return ScreeningResult.from_flags(flags, screened_on=ctx.today, config=ctx.config)


# --- Re-confirmation before each session --------------------------------------------------------


def _append_text(previous: str | None, new: str | None) -> str | None:
    if new is None or read_text(new).says_none:
        return previous
    if previous is None or read_text(previous).says_none:
        return new
    return f"{previous}; {new}"


def apply_changes(previous: Answers, changes: Reconfirmation) -> Answers:
    """The answers as they stand after the "anything changed?" form.

    A new clot never erases an old one; "unwell now: no" clears both infection answers, "yes"
    sets the general one (either way the patient waits until they tell us they're well).
    """
    updates: dict[str, Any] = {}
    if changes.pregnant_now is not None:
        updates["pregnant"] = changes.pregnant_now
    if changes.new_clot in _YES_OR_UNSURE and previous.clot_history is not Reply.YES:
        updates["clot_history"] = changes.new_clot
    if changes.unwell_now is Reply.NO:
        updates.update(skin_infection_in_area=Reply.NO, fever_or_acute_illness=Reply.NO)
    elif changes.unwell_now is not None:
        updates["fever_or_acute_illness"] = changes.unwell_now
    updates["medications"] = _append_text(previous.medications, changes.new_medications)
    updates["allergies"] = _append_text(previous.allergies, changes.new_allergies)
    return replace(previous, **updates)


def reconfirm(
    changes: Reconfirmation,
    previous: Answers,
    *,
    today: date,
    config: ScreeningConfig = DEFAULT_CONFIG,
) -> ScreeningResult | None:
    """Re-screen after the "anything changed?" form.

    Returns None when nothing changed, so the standing decision (perhaps a clinician's) holds.
    Otherwise the merged answers are screened again; an unanswered question adds a review flag.
    """
    merged = apply_changes(previous, changes)
    ctx = Context(merged, today, config, changes=changes)
    unanswered = _check_missing_reconfirmation(ctx) is not None
    if merged == previous and not unanswered:
        return None
    return _run(ctx, RULES + RECONFIRMATION_RULES)


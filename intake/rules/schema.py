"""The answer schema and its coercion: what a questionnaire, a re-confirmation and a clinic's
settings may hold, checked and turned into typed values on construction.

Pure Python. Everything here is vocabulary and shape; nothing decides anything.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from enum import Enum, StrEnum
from typing import Any

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


YES_OR_UNSURE = (Reply.YES, Reply.UNSURE)

HEIGHT_RANGE = (90.0, 250.0)
WEIGHT_RANGE = (25.0, 350.0)

# --- Coercion -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Many:
    """Kind of a multiple-choice answer: a tuple of one enum's members."""

    enum: type[Enum]


def coerce(name: str, kind: Any, value: Any) -> Any:
    if isinstance(kind, Many):
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ValueError(f"{name}: expected a list of choices, got {value!r}")
        return tuple(dict.fromkeys(coerce_enum(name, kind.enum, v) for v in value))
    if isinstance(kind, type) and issubclass(kind, Enum):
        return coerce_enum(name, kind, value)
    if kind is date:
        return coerce_date(name, value)
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


def coerce_enum(name: str, enum: type[Enum], value: Any) -> Any:
    if isinstance(value, enum):
        return value
    allowed = [member.value for member in enum]
    if isinstance(value, str) and value in allowed:
        return enum(value)
    raise ValueError(f"{name}: expected one of {allowed}, got {value!r}")


def coerce_date(name: str, value: Any) -> date:
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


def optional_date(name: str, value: Any) -> date | None:
    return None if value is None else coerce_date(name, value)


def require_int(name: str, value: Any, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be a whole number of at least {minimum}, not {value!r}")


def reject_unknown_keys(cls: type, data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - {f.name for f in fields(cls)})
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown fields {unknown}")


def json_safe(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(json_safe(v) for v in value)
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
            value = coerce_enum(name, Severity, getattr(self, name))
            # A clot history or a blood thinner must never clear a patient automatically.
            if value not in _HARD_OR_REVIEW:
                raise ValueError(f"{name} must be 'not_eligible' or 'review', not {value!r}")
            object.__setattr__(self, name, value)
        for name in ("pregnancy_postpone_months", "surgery_postpone_months", "no_flying_days"):
            require_int(name, getattr(self, name), minimum=0)
        # Safety under 18 is not established (Asclera label §8.4): a clinic may raise this, not lower it.
        require_int("minimum_age", self.minimum_age, minimum=18)
        require_int("clot_risk_factor_threshold", self.clot_risk_factor_threshold, minimum=1)
        bmi = self.obesity_bmi
        if isinstance(bmi, bool) or not isinstance(bmi, int | float) or not 0 < bmi < 100:
            raise ValueError(f"obesity_bmi must be a number between 0 and 100, not {bmi!r}")

    def to_dict(self) -> dict[str, Any]:
        return json_safe(asdict(self))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScreeningConfig:
        reject_unknown_keys(cls, data)
        return cls(**data)


DEFAULT_CONFIG = ScreeningConfig()


# --- Answers ------------------------------------------------------------------------------------


def _answer(kind: Any, *, required: bool = False) -> Any:
    return field(default=None, metadata={"kind": kind, "required": required})


class _Record:
    """Typed, validated, JSON round-tripping answers. Values are coerced on construction."""

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is not None:
                object.__setattr__(self, f.name, coerce(f.name, f.metadata["kind"], value))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Any:
        """Build from JSON-like data (dates as ISO strings). Raises ValueError on a bad shape."""
        if not isinstance(data, Mapping):
            raise ValueError(f"{cls.__name__} data must be a mapping, not {type(data).__name__}")
        reject_unknown_keys(cls, data)
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: json_safe(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True)
class Answers(_Record):
    """The intake questionnaire. None means "not answered", never "no"."""

    # About you
    date_of_birth: date | None = _answer(date, required=True)
    height_cm: float | None = _answer(float)
    weight_kg: float | None = _answer(float)  # also needed for the polidocanol dose ceiling

    # What you would like treated
    treatment_areas: tuple[Area, ...] | None = _answer(Many(Area), required=True)
    treatment_area_other: str | None = _answer(str)  # needed when treatment_areas has "other"
    vein_types: tuple[VeinType, ...] | None = _answer(Many(VeinType), required=True)

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
    sclerotherapy_reaction_details: str | None = _answer(str)  # how it went, any reaction

    # General health
    diabetes: Diabetes | None = _answer(Diabetes, required=True)
    active_cancer: Reply | None = _answer(Reply, required=True)
    blood_disorder: Reply | None = _answer(Reply, required=True)
    serious_illness: Reply | None = _answer(Reply, required=True)
    serious_illness_details: str | None = _answer(str)
    mobility: Mobility | None = _answer(Mobility, required=True)
    recent_surgery_or_hospital_stay: Reply | None = _answer(Reply, required=True)
    surgery_or_hospital_stay_ended_on: date | None = _answer(date)  # needed when "yes"
    surgery_details: str | None = _answer(str)  # what the operation or stay was
    skin_infection_in_area: Reply | None = _answer(Reply, required=True)
    fever_or_acute_illness: Reply | None = _answer(Reply, required=True)

    # Your legs
    leg_ulcer: Reply | None = _answer(Reply, required=True)
    leg_pain_or_swelling: Reply | None = _answer(Reply, required=True)

    # Lifestyle and plans
    smoker: Reply | None = _answer(Reply, required=True)
    long_flight_planned: Reply | None = _answer(Reply, required=True)
    long_flight_on: date | None = _answer(date)

    # The last box of the questionnaire
    anything_else: str | None = _answer(str)

    @property
    def bmi(self) -> float | None:
        if self.height_cm is None or self.weight_kg is None:
            return None
        if not (
            HEIGHT_RANGE[0] <= self.height_cm <= HEIGHT_RANGE[1]
            and WEIGHT_RANGE[0] <= self.weight_kg <= WEIGHT_RANGE[1]
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
    other_changes: str | None = _answer(str)  # anything else that changed


# Every box a patient types into, and what it is about in plain words ("in your answer about ...").
# The "anything changed?" boxes are merged into these (apply_changes), so they are read here too.
TEXT_FIELDS: dict[str, str] = {
    "medications": "medicines",
    "allergies": "allergies",
    "clotting_disorder_details": "a clotting condition",
    "serious_illness_details": "other health conditions",
    "surgery_details": "an operation or hospital stay",
    "sclerotherapy_reaction_details": "earlier vein treatment",
    "treatment_area_other": "other areas to treat",
    "anything_else": "anything else we should know",
}

# The questions that text can also answer, in plain words for staff and for the patient.
QUESTION_TOPICS: dict[str, tuple[str, str]] = {
    # field: (staff words, "you answered No to ...")
    "blood_thinners": ("blood thinner", "taking a blood thinner"),
    "hormone_therapy": ("hormones", "using hormones"),
    "had_sclerotherapy_before": ("vein injections before", "having had vein injections before"),
    "clot_history": ("past blood clot", "having had a blood clot"),
    "clotting_disorder": ("clotting disorder", "a blood clotting condition"),
    "blood_disorder": ("blood condition", "a blood condition"),
    "thrombophlebitis_now": ("inflamed vein now", "a sore, inflamed vein now"),
    "pregnant": ("pregnant now", "being pregnant"),
    "recently_pregnant": ("pregnant in the last 3 months", "a pregnancy in the last 3 months"),
    "breastfeeding": ("breastfeeding", "breastfeeding"),
    "heart_shunt": ("hole in the heart", "a hole in the heart"),
    "migraine_with_aura": ("migraine with aura", "migraines with warning signs"),
    "active_cancer": ("cancer", "cancer"),
    "arterial_disease": ("narrowed leg arteries", "narrowed leg arteries"),
    "diabetes": ("diabetes", "diabetes"),
    "recent_surgery_or_hospital_stay": ("operation/hospital stay in the last 3 months",
                                        "an operation or hospital stay in the last 3 months"),
    "fever_or_acute_illness": ("fever or infection now", "a fever or infection now"),
    "skin_infection_in_area": ("infected skin where treated", "infected skin where you'd be treated"),
}


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

"""The checks: small functions ``(Context) -> Hit | None``, one question each, no wording.

Every check reads the tick boxes *and* the patient's words (``Context.words``, see ``text.py``):
an answer in force is the tick box's, plus whatever the words add. A check that fires returns a
``Hit`` with the answers behind it (``triggers``), anything the clinic needs (``details``,
including ``spans``: the patient's words behind it, where they stand) and the values its messages
need (``text``). The rule catalogue (``catalogue.py``) gives each check its code, severity and words.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from enum import Enum
from functools import cached_property
from typing import Any

from intake.matching import Category, Cue, Reading

from .dates import add_months, age_on, birthday, long_date
from .schema import (
    HEIGHT_RANGE,
    QUESTION_TOPICS,
    TEXT_FIELDS,
    WEIGHT_RANGE,
    YES_OR_UNSURE,
    Answers,
    Area,
    Mobility,
    Reconfirmation,
    Reply,
    ScreeningConfig,
    VeinType,
)
from .text import (
    ALLERGY_FIELD,
    BLOOD_THINNING,
    CONCERN,
    OTHER_MEDICINES,
    REACTION_FIELD,
    Found,
    Words,
    labels,
    spans,
    where,
    written_as_taken,
)

C = Category
_OLDEST_PLAUSIBLE_AGE = 120


@dataclass(frozen=True)
class Hit:
    """What a rule's check found: the answers behind it and anything the messages need."""

    triggers: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)
    until: date | None = None
    text: dict[str, Any] = field(default_factory=dict)  # values for the message placeholders
    written: Sequence[Found] = ()  # the patient's words that made a tick-box rule fire


@dataclass(frozen=True)
class Context:
    """One screening's inputs, with free text read once for all the rules."""

    answers: Answers
    today: date
    config: ScreeningConfig
    changes: Reconfirmation | None = None

    @cached_property
    def words(self) -> Words:
        return Words(self.answers)

    @property
    def medications(self) -> Reading:
        return self.words.reading("medications")

    @property
    def allergies(self) -> Reading:
        return self.words.reading(ALLERGY_FIELD)

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


def _text_triggers(ctx: Context, found: Sequence[Found]) -> dict[str, Any]:
    return {f.field: getattr(ctx.answers, f.field) for f in found}


def when(name: str, *values: Enum, note: str | None = None) -> Check:
    """Fires when the answer to `name` is one of `values`, ticked or written in any box.

    `note` names a free-text field to carry along for the clinician.
    """

    def check(ctx: Context) -> Hit | None:
        tick = getattr(ctx.answers, name)
        written = ctx.words.text_behind(name, *values)
        if tick not in values and not written:
            return None
        details = {note: getattr(ctx.answers, note)} if note and getattr(ctx.answers, note) else {}
        answer = tick.value if tick is not None else "not answered"
        return Hit(
            triggers={name: tick, **_text_triggers(ctx, written)},
            details=details,
            text={"answer": answer},
            written=written,
        )

    return check


def _text_hit(ctx: Context, found: Sequence[Found], **extra: Any) -> Hit:
    """A hit on words: the boxes they are in, the terms, and where they stand."""
    return Hit(
        triggers=_text_triggers(ctx, found),
        details={"terms": [{"field": f.field, **f.match.to_dict()} for f in found], **extra,
                 "spans": spans(found)},
        text={"terms": labels(found), "where": where(found)},
    )


def _hit_on(ctx: Context, found: Sequence[Found], **extra: Any) -> Hit | None:
    return _text_hit(ctx, found, **extra) if found else None


# --- Answers as a whole --------------------------------------------------------------------------


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
        ("sclerotherapy_serious_reaction", a.had_sclerotherapy_before in YES_OR_UNSURE),
        ("sclerotherapy_neuro_cardiac_event", a.had_sclerotherapy_before in YES_OR_UNSURE),
        ("treatment_area_other", Area.OTHER in (a.treatment_areas or ())),
    ]
    for name, needed in needed_when:
        value = getattr(a, name)
        if needed and (value is None or (isinstance(value, str) and not value.strip())):
            missing.append(name)
    return missing


def _missing_hit(names: list[str]) -> Hit | None:
    if not names:
        return None
    return Hit(triggers={name: None for name in names}, details={"missing": names}, text={"fields": ", ".join(names)})


def missing(ctx: Context) -> Hit | None:
    return _missing_hit(_missing_fields(ctx.answers))


def implausible(ctx: Context) -> Hit | None:
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
    if a.height_cm is not None and not HEIGHT_RANGE[0] <= a.height_cm <= HEIGHT_RANGE[1]:
        problems["height_cm"] = f"outside {HEIGHT_RANGE[0]:g}-{HEIGHT_RANGE[1]:g} cm"
    if a.weight_kg is not None and not WEIGHT_RANGE[0] <= a.weight_kg <= WEIGHT_RANGE[1]:
        problems["weight_kg"] = f"outside {WEIGHT_RANGE[0]:g}-{WEIGHT_RANGE[1]:g} kg"
    if not problems:
        return None
    return Hit(
        triggers={name: getattr(a, name) for name in problems},
        details={"problems": problems},
        text={"problems": "; ".join(f"{k} {v}" for k, v in problems.items())},
    )


def contradiction(ctx: Context) -> Hit | None:
    """Tick boxes answered "no" that the patient's own words contradict."""
    grouped: dict[tuple[str, str], list[Found]] = defaultdict(list)
    for question, found in ctx.words.conflicts():
        grouped[(question, found.field)].append(found)
    if not grouped:
        return None
    items, staff, patient = [], [], []
    for (question, box), found in grouped.items():
        staff_topic, patient_topic = QUESTION_TOPICS[question]
        words = ", ".join(f"“{w}”" for w in dict.fromkeys(f.match.matched_text for f in found))
        read_as = ", ".join(dict.fromkeys(f"{f.match.canonical} ({f.match.category.value.replace('_', ' ')})"
                                          for f in found))
        items.append({"question": question, "answer": "no", "field": box,
                      "words": [f.match.matched_text for f in found], "read_as": read_as})
        staff.append(f"'{staff_topic}' answered no, but {TEXT_FIELDS[box]} says {words} (read as {read_as})")
        patient.append(f"you answered No about {patient_topic}, but wrote {words} in your answer "
                       f"about {TEXT_FIELDS[box]}")
    all_found = [f for found in grouped.values() for f in found]
    questions = {q: getattr(ctx.answers, q) for q, _box in grouped}
    return Hit(
        triggers={**questions, **_text_triggers(ctx, all_found)},
        details={"contradictions": items, "spans": spans(all_found)},
        text={"conflicts": "; ".join(staff), "conflicts_patient": "; ".join(patient)},
    )


def unrecognised_in(*boxes: str) -> Check:
    """Words in these boxes that could not be placed (all boxes but these two when none given)."""
    chosen = boxes or tuple(name for name in TEXT_FIELDS if name not in ("medications", ALLERGY_FIELD))

    def check(ctx: Context) -> Hit | None:
        found = [span for name in chosen for span in ctx.words.unplaced(name)]
        if not found:
            return None
        terms = list(dict.fromkeys(span["text"] for span in found))
        by_box = "; ".join(
            f"{TEXT_FIELDS[name]}: " + ", ".join(dict.fromkeys(s["text"] for s in found if s["field"] == name))
            for name in dict.fromkeys(s["field"] for s in found)
        )
        return Hit(
            triggers={name: getattr(ctx.answers, name) for name in dict.fromkeys(s["field"] for s in found)},
            details={"unrecognised": terms, "spans": found},
            text={"terms": ", ".join(terms), "by_box": by_box},
        )

    return check


# --- Age, pregnancy, clots ------------------------------------------------------------------------


def under_age(ctx: Context) -> Hit | None:
    born, age = ctx.answers.date_of_birth, ctx.age
    if born is None or age is None or age >= ctx.config.minimum_age:
        return None
    adult_on = birthday(born, born.year + ctx.config.minimum_age)
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
        text={"ended_on": long_date(ended)},
    )


def recent_pregnancy(ctx: Context) -> Hit | None:
    return _postpone_after(
        ctx, "pregnancy_ended_on", "recently_pregnant", ctx.config.pregnancy_postpone_months
    )


def recent_surgery(ctx: Context) -> Hit | None:
    return _postpone_after(
        ctx,
        "surgery_or_hospital_stay_ended_on",
        "recent_surgery_or_hospital_stay",
        ctx.config.surgery_postpone_months,
    )


def breastfeeding_insists(ctx: Context) -> Hit | None:
    a = ctx.answers
    if Reply.YES not in ctx.words.values("breastfeeding") or a.wants_treatment_while_breastfeeding is not Reply.YES:
        return None
    return Hit(
        triggers={"breastfeeding": a.breastfeeding,
                  "wants_treatment_while_breastfeeding": a.wants_treatment_while_breastfeeding}
    )


def clot_history(ctx: Context) -> Hit | None:
    hit = when("clot_history", Reply.YES)(ctx)
    if hit is None:
        return None
    year = ctx.answers.clot_history_year
    return Hit(
        triggers={**hit.triggers, "clot_history_year": year},
        details=hit.details,
        text={"year": year or "year not given"},
        written=hit.written,
    )


def open_ended(name: str) -> Check:
    """Postpone with no date: it lasts until the patient updates their answers."""
    return when(name, Reply.YES)


def any_unsure(*names: str) -> Check:
    def check(ctx: Context) -> Hit | None:
        hits = [hit for name in names if (hit := when(name, Reply.UNSURE)(ctx)) is not None]
        if not hits:
            return None
        return Hit(
            triggers={k: v for hit in hits for k, v in hit.triggers.items()},
            text={"answer": "unsure"},
            written=[f for hit in hits for f in hit.written],
        )

    return check


# --- Medicines -------------------------------------------------------------------------------------
# A medicine named in any box but the allergy box is read as a medicine taken; in the allergy box,
# only one written with its dose or how often (see text.Words.taken). One written with
# "stopped / no longer / maybe", or a named one denied ("not on warfarin"), is not taken as current
# use either way: it goes to review as unclear.


def _medicines(ctx: Context, *categories: Category) -> list[Found]:
    return ctx.words.taken(*categories)


def _is_occasional_aspirin(f: Found) -> bool:
    # Aspirin counts as occasional only when the patient says so; daily or unstated is reviewed,
    # because daily aspirin is an antiplatelet that should not be stopped without the prescriber.
    return Cue.OCCASIONAL in f.match.cues and Cue.REGULAR not in f.match.cues


def _is_short_steroid_course(f: Found) -> bool:
    return Cue.SHORT_COURSE in f.match.cues and Cue.REGULAR not in f.match.cues


def _regular_antiplatelets(ctx: Context) -> list[Found]:
    aspirin = [f for f in _medicines(ctx, C.ASPIRIN) if not _is_occasional_aspirin(f)]
    return _medicines(ctx, C.ANTIPLATELET) + aspirin


def anticoagulant(ctx: Context) -> Hit | None:
    return _hit_on(ctx, _medicines(ctx, C.ANTICOAGULANT))


def antiplatelet(ctx: Context) -> Hit | None:
    return _hit_on(ctx, _regular_antiplatelets(ctx))


def blood_thinner_unspecified(ctx: Context) -> Hit | None:
    a = ctx.answers
    if _medicines(ctx, C.ANTICOAGULANT) or _regular_antiplatelets(ctx):
        return None  # the medicine is named; its own rule speaks for it
    lay_words = _medicines(ctx, C.BLOOD_THINNER)
    said_yes = a.blood_thinners in YES_OR_UNSURE
    if not (lay_words or said_yes):
        return None
    triggers: dict[str, Any] = {"blood_thinners": a.blood_thinners} if said_yes else {}
    return Hit(
        triggers={**triggers, **_text_triggers(ctx, lay_words)},
        details={"terms": [{"field": f.field, **f.match.to_dict()} for f in lay_words], "spans": spans(lay_words)},
    )


def pause_before_session(ctx: Context) -> Hit | None:
    steroids = [
        f for f in _medicines(ctx, C.CORTICOSTEROID)
        if Cue.LOCAL not in f.match.cues and _is_short_steroid_course(f)
    ]
    aspirin = [f for f in _medicines(ctx, C.ASPIRIN) if _is_occasional_aspirin(f)]
    pausable = [
        f for f in ctx.words.found(C.NSAID, C.ANTIBIOTIC) if f.field != ALLERGY_FIELD or written_as_taken(f)
    ]
    return _hit_on(ctx, pausable + aspirin + steroids)


def regular_steroid(ctx: Context) -> Hit | None:
    # Long-term use can rarely be ruled out from a drug name alone, so a systemic steroid is
    # reviewed unless the patient says it is a short course. Creams and inhalers are not flagged.
    steroids = [
        f for f in _medicines(ctx, C.CORTICOSTEROID)
        if Cue.LOCAL not in f.match.cues and not _is_short_steroid_course(f)
    ]
    return _hit_on(ctx, steroids)


def unclear_medicines(ctx: Context) -> Hit | None:
    unclear = [
        f for f in ctx.words.all(*CONCERN, exclude=[ALLERGY_FIELD])
        if f.match.cues & {Cue.STOPPED, Cue.HEDGED} or (f.match.negated and not f.match.is_class)
    ]
    return _hit_on(ctx, unclear)


def hormones(ctx: Context) -> Hit | None:
    a = ctx.answers
    named = _medicines(ctx, C.HORMONE)
    if a.hormone_therapy not in YES_OR_UNSURE and not named:
        return None
    triggers: dict[str, Any] = {"hormone_therapy": a.hormone_therapy} if a.hormone_therapy in YES_OR_UNSURE else {}
    return Hit(
        triggers={**triggers, **_text_triggers(ctx, named)},
        details={"terms": [{"field": f.field, **f.match.to_dict()} for f in named], "spans": spans(named)},
    )


def clot_risk_factors(ctx: Context) -> Hit | None:
    a, c = ctx.answers, ctx.config
    factors: list[str] = []
    triggers: dict[str, Any] = {}
    if a.hormone_therapy is Reply.YES or _medicines(ctx, C.HORMONE):
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


# --- Allergies -------------------------------------------------------------------------------------


def sclerosant_allergy(category: Category, *, sclerosant: str) -> Check:
    """A named sclerosant anywhere counts as an allergy to it: the cautious reading."""

    def check(ctx: Context) -> Hit | None:
        return _hit_on(ctx, ctx.words.found(category), sclerosant=sclerosant)

    return check


def sclerosant_unspecified(ctx: Context) -> Hit | None:
    # "Sclerotherapy" in the allergy or reaction box is an allergy to an unnamed agent; elsewhere it
    # is a mention of earlier treatment (checked against the tick box as a contradiction).
    return _hit_on(ctx, ctx.words.found(C.SCLEROSANT, fields=[ALLERGY_FIELD, REACTION_FIELD]))


def other_allergies(ctx: Context) -> Hit | None:
    found = ctx.words.found(C.ALLERGEN) + ctx.words.found(*OTHER_MEDICINES, fields=[ALLERGY_FIELD])
    return _hit_on(ctx, sorted(found, key=lambda f: (list(TEXT_FIELDS).index(f.field), f.match.start)))


def medicine_in_allergies(ctx: Context) -> Hit | None:
    """A medicine that would hold treatment, named in the allergy box: allergy, or taken?"""
    found = ctx.words.found(*CONCERN, fields=[ALLERGY_FIELD])
    blood_thinning = [f.match.label for f in found if f.match.category in BLOOD_THINNING]
    return _hit_on(ctx, found, blood_thinning=blood_thinning)


# --- Veins, areas, plans ---------------------------------------------------------------------------


def vein_type(*types: VeinType) -> Check:
    def check(ctx: Context) -> Hit | None:
        chosen = ctx.answers.vein_types or ()
        if not any(t in chosen for t in types):
            return None
        return Hit(triggers={"vein_types": list(chosen)})

    return check


def area(chosen_area: Area) -> Check:
    def check(ctx: Context) -> Hit | None:
        areas = ctx.answers.treatment_areas or ()
        if chosen_area not in areas:
            return None
        details = {"other_area": ctx.answers.treatment_area_other} if chosen_area is Area.OTHER else {}
        return Hit(triggers={"treatment_areas": list(areas)}, details=details)

    return check


def flight(ctx: Context) -> Hit | None:
    a = ctx.answers
    if a.long_flight_planned not in YES_OR_UNSURE:
        return None
    flight_on = a.long_flight_on
    if flight_on is not None and flight_on < ctx.today:
        return None  # that trip is over
    details: dict[str, Any] = {}
    plan = " If you have a trip coming up, choose a session date that leaves enough time before you fly."
    if flight_on is not None:
        # A session on any of these days would be followed by the flight too soon. Booking reads
        # these dates from the stored flag (intake.eligibility.flight_notice).
        details = {
            "flight_on": flight_on,
            "avoid_sessions_from": flight_on - timedelta(days=ctx.config.no_flying_days),
            "avoid_sessions_until": flight_on,
        }
        first_too_close = details["avoid_sessions_from"]
        plan = (f" You told us you fly on {long_date(flight_on)}, so please choose a session before "
                f"{long_date(first_too_close)}, or after your trip; we'll point it out if a day you pick "
                "is too close.")
    return Hit(
        triggers={"long_flight_planned": a.long_flight_planned, "long_flight_on": flight_on},
        details=details,
        text={"flight_plan": plan},
    )


def missing_reconfirmation(ctx: Context) -> Hit | None:
    if ctx.changes is None:
        return None
    return _missing_hit([
        f.name for f in fields(ctx.changes)
        if f.metadata["required"] and getattr(ctx.changes, f.name) is None
    ])

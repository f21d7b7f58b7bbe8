"""The rule catalogue: every screening rule as data, with its code, severity, words and source.

``RULES`` runs in this order on every screening (``engine.screen``); each rule produces at most one
flag, whose ``code`` is the rule's key. Keys are stable forever: they are stored in flags, and other
apps read them (booking reads ``travel.long_flight``; treatment reads the sclerosant allergies,
``allergies.polidocanol`` and ``allergies.sodium_tetradecyl_sulfate``, with ``details.sclerosant``).
Add new keys freely; never rename or reuse one. docs/screening.md lists them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from intake.matching import Category

from . import checks
from .checks import Check, Context
from .dates import long_date
from .results import Flag
from .schema import (
    YES_OR_UNSURE,
    Area,
    ArterialDisease,
    Diabetes,
    Mobility,
    Reply,
    ScreeningConfig,
    Severity,
    VeinType,
    json_safe,
)
from .text import where

# Bump on any change to a rule, its wording, the lexicon or a default. Stored with each screening.
RULESET_VERSION = "2026.12.1"


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
            "until": long_date(hit.until) if hit.until else "",
            **hit.text,
        }
        patient = self.patient if isinstance(self.patient, str) else self.patient[severity]
        staff = self.staff.format(**args)
        details: dict[str, Any] = dict(hit.details)
        if hit.written:
            # A tick-box rule that the patient's words made fire: say which words, and where.
            words = ", ".join(dict.fromkeys(f"“{f.match.matched_text}”" for f in hit.written))
            staff += f" From the patient's words: {words} ({where(hit.written)})."
            details["spans"] = details.get("spans", []) + [f.span() for f in hit.written]
        return Flag(
            code=self.key,
            severity=severity,
            patient_message=patient.format(**args),
            staff_reason=staff,
            source=self.source,
            triggers=json_safe(hit.triggers),
            details=json_safe(details),
            until=hit.until,
        )


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
        key="answers.missing", severity=_R, check=checks.missing,
        patient="Some questions were left unanswered. " + _CLINICIAN_FIRST
        + " You can still book a consultation.",
        staff="Required answers missing: {fields}. Unanswered is never read as 'no'.",
        source=_DOUBT,
    ),
    Rule(
        key="answers.implausible", severity=_R, check=checks.implausible,
        patient="Some of your answers don't look quite right, for example a date in the future. "
        "A clinician will check them with you.",
        staff="Implausible answers: {problems}.",
        source=_DOUBT,
    ),
    # Age
    Rule(
        key="age.under_minimum", severity=_NE, check=checks.under_age,
        patient="This treatment is only for adults aged {minimum_age} and over, so we can't "
        "offer it to you yet. We're sorry about that.",
        staff="Age {age} at screening; clinic minimum {minimum_age} (safety under 18 not established).",
        source=_SRC_AGE,
    ),
    # Pregnancy and breastfeeding
    Rule(
        key="pregnancy.current", severity=_NE, check=checks.when("pregnant", Reply.YES),
        patient="We don't give this treatment during pregnancy. Once your pregnancy has ended, "
        "wait {pregnancy_months} months, then update your answers and we'll be glad to see you.",
        staff="Currently pregnant: contraindicated. Re-screen {pregnancy_months} months after the "
        "pregnancy ends.",
        source=_SRC_PREGNANT,
    ),
    Rule(
        key="pregnancy.unsure", severity=_R, check=checks.when("pregnant", Reply.UNSURE),
        patient="You mentioned a pregnancy, or weren't sure whether you might be pregnant. A "
        "clinician will talk this through with you before any treatment session is booked.",
        staff="Pregnancy status 'unsure': exclude pregnancy before treatment.",
        source=_SRC_PREGNANT,
    ),
    Rule(
        key="pregnancy.recent", severity=_PP, check=checks.recent_pregnancy,
        patient="Your body needs a few months to settle after a pregnancy. "
        "You can have treatment from {until}.",
        staff="Pregnancy ended {ended_on}: postponed {pregnancy_months} calendar months, until {until}.",
        source=_SRC_RECENT_PREGNANCY,
    ),
    Rule(
        key="pregnancy.recent_unsure", severity=_R, check=checks.when("recently_pregnant", Reply.UNSURE),
        patient="You mentioned a pregnancy that may have ended recently, or weren't sure. "
        + _CLINICIAN_FIRST,
        staff="Unsure whether pregnant in the last {pregnancy_months} months.",
        source=_SRC_RECENT_PREGNANCY,
    ),
    Rule(
        key="breastfeeding.current", severity=_PP, check=checks.open_ended("breastfeeding"),
        patient="We wait until you have stopped breastfeeding before giving this treatment. "
        "When you've stopped, update your answers and you can book.",
        staff="Breastfeeding: postponed while nursing, open-ended (no computable date) until the "
        "patient reports she has stopped.",
        source=_SRC_BREASTFEEDING,
    ),
    Rule(
        key="breastfeeding.wants_treatment", severity=_R, check=checks.breastfeeding_insists,
        patient="You'd like treatment while you're still breastfeeding. A clinician will talk "
        "this over with you before anything is booked.",
        staff="Patient asks to be treated while breastfeeding (default: wait). Clinician decision.",
        source=_SRC_BREASTFEEDING,
    ),
    Rule(
        key="breastfeeding.unsure", severity=_R, check=checks.when("breastfeeding", Reply.UNSURE),
        patient="You mentioned breastfeeding, or weren't sure how to answer that question. "
        + _CLINICIAN_FIRST,
        staff="Breastfeeding answered 'unsure'.",
        source=_SRC_BREASTFEEDING,
    ),
    # Clots
    Rule(
        key="clots.history", severity=_NE, severity_setting="clot_history_severity",
        check=checks.clot_history,
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
        key="clots.history_unsure", severity=_R, check=checks.when("clot_history", Reply.UNSURE),
        patient="You mentioned a possible blood clot, or weren't sure whether you've had one. "
        + _CLINICIAN_FIRST,
        staff="Unsure about past DVT/PE/blood clot.",
        source=_SRC_CLOTS,
    ),
    Rule(
        key="clotting_disorder.known", severity=_R,
        check=checks.when("clotting_disorder", *YES_OR_UNSURE, note="clotting_disorder_details"),
        patient="You told us about a blood clotting condition, or weren't sure. " + _CLINICIAN_FIRST,
        staff="Known or possible thrombophilia / clotting disorder (answer: {answer}); see details.",
        source=_SRC_THROMBOPHILIA,
    ),
    Rule(
        key="thrombophlebitis.current", severity=_PP, check=checks.open_ended("thrombophlebitis_now"),
        patient="A sore, inflamed vein needs to settle before treatment. "
        "Please update your answers once it has gone.",
        staff="Current superficial thrombophlebitis: postponed until resolved (open-ended).",
        source=_SRC_THROMBOPHLEBITIS,
    ),
    Rule(
        key="thrombophlebitis.review", severity=_R,
        check=checks.when("thrombophlebitis_now", *YES_OR_UNSURE),
        patient="A clinician also needs to check the inflamed vein you told us about before any "
        "treatment session is booked.",
        staff="Superficial thrombophlebitis now (answer: {answer}): assess, exclude an associated DVT.",
        source=_SRC_THROMBOPHLEBITIS,
    ),
    # Medicines
    Rule(
        key="medications.anticoagulant", severity=_NE, severity_setting="anticoagulants_severity",
        check=checks.anticoagulant,
        patient={
            _NE: "You told us about {terms}, a blood thinner (in your answer about {where}). Our "
            "clinic doesn't give this treatment to people on blood thinners. Please keep taking it, "
            "and ask your own doctor about your veins.",
            _R: "You told us about {terms}, a blood thinner (in your answer about {where}). "
            + _CLINICIAN_FIRST + " Please keep taking it as prescribed.",
        },
        staff="Anticoagulant: {terms} ({where}). Clinic setting: {severity}.",
        source=_SRC_ANTICOAGULANTS,
    ),
    Rule(
        key="medications.blood_thinner_unspecified", severity=_R,
        check=checks.blood_thinner_unspecified,
        patient="You mentioned a blood thinner. A clinician will check which medicine it is "
        "before any treatment session is booked. Please keep taking it as prescribed.",
        staff="Blood thinner reported (question or lay wording) but no anticoagulant or "
        "antiplatelet named: identify the agent.",
        source=_SRC_ANTICOAGULANTS,
    ),
    Rule(
        key="medications.antiplatelet", severity=_R, check=checks.antiplatelet,
        patient="You told us about {terms} (in your answer about {where}), which affects blood "
        "clotting. " + _CLINICIAN_FIRST
        + " Please don't stop it unless the doctor who prescribed it says so.",
        staff="Antiplatelet, or aspirin that is daily or of unstated frequency: {terms} ({where}).",
        source=_SRC_ANTIPLATELETS,
    ),
    Rule(
        key="medications.corticosteroid_regular", severity=_R, check=checks.regular_steroid,
        patient="You told us about {terms} (in your answer about {where}), a steroid medicine. "
        + _CLINICIAN_FIRST
        + " Please keep taking it as prescribed.",
        staff="Systemic corticosteroid not stated to be a short course, so treated as long-term: {terms}.",
        source=_SRC_PAUSE,
    ),
    Rule(
        key="medications.pause_before_session", severity=_AD, check=checks.pause_before_session,
        patient="Some medicines can make the treatment work less well: {terms}. Please ask the "
        "doctor who prescribed them, or a pharmacist, whether you can pause them for 5 to 10 days "
        "before each session. Don't stop anything without checking first.",
        staff="Pause 5-10 days before each session after checking with the prescriber: {terms}.",
        source=_SRC_PAUSE,
    ),
    Rule(
        key="medications.unclear", severity=_R, check=checks.unclear_medicines,
        patient="We couldn't tell whether you still take {terms}. A clinician will check with you.",
        staff="Mentioned with a stop, negation or doubt word, current use unclear: {terms} ({where}).",
        source=_DOUBT,
    ),
    Rule(
        key="medications.unrecognised", severity=_R, check=checks.unrecognised_in("medications"),
        patient="We couldn't match some of the medicines you listed: {terms}. A clinician will "
        "check them with you; this is routine.",
        staff="Medication text not recognised: {terms}.",
        source=_DOUBT,
    ),
    Rule(
        key="hormones.therapy", severity=_R, check=checks.hormones,
        patient="Hormone medicines, such as the pill or HRT, can make blood clots a little more "
        "likely. " + _CLINICIAN_FIRST,
        staff="Hormone therapy / oral contraceptive (question answer or named medicine).",
        source=_SRC_HORMONES,
    ),
    Rule(
        key="clot_risk.several", severity=_R, check=checks.clot_risk_factors,
        patient="A few things together can make a blood clot more likely for you: {factors}. "
        + _CLINICIAN_FIRST,
        staff="{count} clot risk factors together: {factors}.",
        source=_SRC_HORMONES,
    ),
    # Allergies
    Rule(
        key="allergies.polidocanol", severity=_R,
        check=checks.sclerosant_allergy(Category.POLIDOCANOL, sclerosant="polidocanol"),
        patient="You wrote {terms} in your answer about {where}. It's one of the medicines used "
        "for this treatment, so we won't use it for you, and a clinician will choose a safe option "
        "with you before any session is booked.",
        staff="Allergy to polidocanol (read as one wherever it is written): {terms} ({where}). "
        "Not eligible for polidocanol; choose another sclerosant.",
        source=_SRC_POLIDOCANOL,
    ),
    Rule(
        key="allergies.sodium_tetradecyl_sulfate", severity=_R,
        check=checks.sclerosant_allergy(
            Category.SODIUM_TETRADECYL_SULFATE, sclerosant="sodium_tetradecyl_sulfate"
        ),
        patient="You wrote {terms} in your answer about {where}. It's one of the medicines used "
        "for this treatment, so we won't use it for you, and a clinician will choose a safe option "
        "with you before any session is booked.",
        staff="Allergy to sodium tetradecyl sulfate (read as one wherever it is written): {terms} "
        "({where}). Not eligible for STS; choose another sclerosant.",
        source=_SRC_STS,
    ),
    Rule(
        key="allergies.sclerosant_unspecified", severity=_R,
        check=checks.sclerosant_unspecified,
        patient="You mentioned an allergy to a vein treatment: {terms}. A clinician will find "
        "out which medicine it was before any session is booked.",
        staff="Allergy to an unnamed sclerosant or to sclerotherapy: {terms}. Identify the agent.",
        source=f"{_SRC_STS}; {_SRC_POLIDOCANOL}",
    ),
    Rule(
        key="allergies.other", severity=_AD, check=checks.other_allergies,
        patient="Thank you for telling us about your allergies: {terms}. Please remind the "
        "clinician on the day.",
        staff="Other allergies, not to a sclerosant: {terms}. Check gloves, skin preparation and "
        "dressings.",
        source="intake issue (other allergies: advice); " + _DOUBT + " for text not understood",
    ),
    Rule(
        key="allergies.medicine_unclear", severity=_R, check=checks.medicine_in_allergies,
        patient="You wrote {terms} in your answer about allergies. We couldn't tell whether you're "
        "allergic to it or take it, so a clinician will check with you before any session is "
        "booked. If you take it, please keep taking it as prescribed.",
        staff="The allergy answer names {terms}, a medicine that holds treatment when taken: an "
        "allergy to it, or a medicine written in the wrong box? Ask; if taken, the medicine rules apply.",
        source=_DOUBT + "; " + _SRC_ANTICOAGULANTS + "; " + _SRC_ANTIPLATELETS,
    ),
    Rule(
        key="allergies.unrecognised", severity=_R, check=checks.unrecognised_in("allergies"),
        patient="We couldn't match part of your allergy answer: {terms}. A clinician will check "
        "it with you.",
        staff="Allergy text not recognised: {terms}. Could be a sclerosant.",
        source=_DOUBT,
    ),
    # Earlier sclerotherapy
    Rule(
        key="sclerotherapy.serious_reaction", severity=_R,
        check=checks.when("sclerotherapy_serious_reaction", *YES_OR_UNSURE),
        patient="You told us about a possible serious reaction to vein treatment in the past. "
        + _CLINICIAN_FIRST,
        staff="Earlier serious reaction to sclerotherapy (answer: {answer}).",
        source=_SRC_REACTION,
    ),
    Rule(
        key="sclerotherapy.neuro_cardiac_event", severity=_NE,
        check=checks.when("sclerotherapy_neuro_cardiac_event", Reply.YES),
        patient="Because you had a serious problem with your brain, sight or heart during or "
        "after an earlier vein treatment, we can't safely treat you here. A vein specialist can "
        "advise you.",
        staff="Serious neurological or cardiac event at an earlier session: contraindicated.",
        source=_SRC_NEURO,
    ),
    Rule(
        key="sclerotherapy.neuro_cardiac_event_unsure", severity=_R,
        check=checks.when("sclerotherapy_neuro_cardiac_event", Reply.UNSURE),
        patient="You weren't sure whether you had a serious reaction at an earlier vein "
        "treatment. " + _CLINICIAN_FIRST,
        staff="Unsure about a neurological or cardiac event at an earlier session (lesser "
        "reactions: review).",
        source=_SRC_NEURO,
    ),
    # Heart and circulation
    Rule(
        key="heart.shunt", severity=_R, check=checks.when("heart_shunt", *YES_OR_UNSURE),
        patient="You mentioned a hole in the heart, or weren't sure. " + _CLINICIAN_FIRST,
        staff="Known or possible right-to-left shunt / PFO (answer: {answer}); a hard stop if "
        "foam is planned and the shunt causes symptoms.",
        source=_SRC_SHUNT,
    ),
    Rule(
        key="migraine.aura", severity=_R, check=checks.when("migraine_with_aura", *YES_OR_UNSURE),
        patient="You get migraines with aura (warning signs such as flashing lights), or weren't "
        "sure. " + _CLINICIAN_FIRST,
        staff="Migraine with aura (answer: {answer}): possible right-to-left shunt; relevant "
        "to foam.",
        source=_SRC_SHUNT,
    ),
    Rule(
        key="arteries.severe", severity=_NE,
        check=checks.when("arterial_disease", ArterialDisease.SEVERE),
        patient="Serious circulation problems in the leg arteries make this treatment unsafe. "
        "Please talk to a vascular specialist about your legs.",
        staff="Severe peripheral arterial disease / critical limb ischaemia: contraindicated.",
        source=_SRC_ARTERIES,
    ),
    Rule(
        key="arteries.disease", severity=_R,
        check=checks.when("arterial_disease", ArterialDisease.MILD, ArterialDisease.UNSURE),
        patient="You mentioned poor circulation in your legs, or weren't sure. " + _CLINICIAN_FIRST,
        staff="Peripheral arterial disease, mild or uncertain (answer: {answer}).",
        source=_SRC_ARTERIES,
    ),
    # General health
    Rule(
        key="diabetes.poorly_controlled", severity=_R,
        check=checks.when("diabetes", Diabetes.POORLY_CONTROLLED, Diabetes.UNSURE),
        patient="Diabetes that isn't well controlled can slow healing. " + _CLINICIAN_FIRST,
        staff="Diabetes poorly controlled or control unknown (answer: {answer}).",
        source=_SRC_ILLNESS,
    ),
    Rule(
        key="diabetes.controlled", severity=_AD,
        check=checks.when("diabetes", Diabetes.WELL_CONTROLLED),
        patient="Keep taking your diabetes medicines as usual, and let us know if your blood "
        "sugar control changes before a session.",
        staff="Diabetes, well controlled (patient's report): no hold; noted for healing and "
        "follow-up.",
        source=_SRC_ILLNESS,
    ),
    Rule(
        key="cancer.active", severity=_R, check=checks.when("active_cancer", *YES_OR_UNSURE),
        patient="You told us about cancer that is active or being treated, or weren't sure. "
        + _CLINICIAN_FIRST,
        staff="Active cancer (answer: {answer}): raised clot risk.",
        source=_SRC_ILLNESS,
    ),
    Rule(
        key="blood.disorder", severity=_R, check=checks.when("blood_disorder", *YES_OR_UNSURE),
        patient="You told us about a blood condition, or weren't sure. " + _CLINICIAN_FIRST,
        staff="Blood disorder (answer: {answer}).",
        source=_SRC_ILLNESS,
    ),
    Rule(
        key="illness.serious", severity=_R,
        check=checks.when("serious_illness", *YES_OR_UNSURE, note="serious_illness_details"),
        patient="You told us about another serious health condition, or weren't sure. "
        + _CLINICIAN_FIRST,
        staff="Other serious illness (answer: {answer}); see details.",
        source=_SRC_ILLNESS,
    ),
    Rule(
        key="mobility.unable_to_walk", severity=_NE,
        check=checks.when("mobility", Mobility.UNABLE_TO_WALK),
        patient="Walking straight after each session keeps the blood moving and is part of the "
        "treatment, so we can't offer it if you're unable to walk. Your doctor can talk with you "
        "about other options.",
        staff="Bedridden / unable to walk: contraindicated in the STS and polidocanol labels.",
        source=_SRC_IMMOBILE,
    ),
    Rule(
        key="mobility.limited", severity=_R, check=checks.when("mobility", Mobility.LIMITED),
        patient="Walking straight after each session is part of the treatment. A clinician will "
        "talk with you about getting around before any session is booked.",
        staff="Limited mobility: check the patient can walk 15-30 minutes after a session; a "
        "clot risk factor.",
        source=_SRC_IMMOBILE,
    ),
    Rule(
        key="surgery.recent", severity=_PP, check=checks.recent_surgery,
        patient="Blood clots are a little more likely for a while after an operation or a "
        "hospital stay. You can have treatment from {until}.",
        staff="Major surgery or long hospital stay ending {ended_on}: postponed "
        "{surgery_months} calendar months, until {until}.",
        source=_SRC_SURGERY,
    ),
    Rule(
        key="surgery.recent_unsure", severity=_R,
        check=checks.when("recent_surgery_or_hospital_stay", Reply.UNSURE),
        patient="You told us about an operation or a hospital stay without a date, or weren't "
        "sure when it was. " + _CLINICIAN_FIRST,
        staff="Unsure about major surgery / long hospital stay in the last {surgery_months} months.",
        source=_SRC_SURGERY,
    ),
    Rule(
        key="infection.skin_local", severity=_PP, check=checks.open_ended("skin_infection_in_area"),
        patient="Infected skin needs to heal before we can treat near it. Please update your "
        "answers once it has cleared.",
        staff="Local skin infection in the treatment area: postponed until resolved (open-ended).",
        source=_SRC_INFECTION,
    ),
    Rule(
        key="infection.systemic", severity=_PP, check=checks.open_ended("fever_or_acute_illness"),
        patient="We'll wait until you're feeling well again. Please update your answers once the "
        "fever or illness has passed.",
        staff="Fever / systemic infection / severe acute illness: postponed until resolved "
        "(open-ended).",
        source=_SRC_INFECTION,
    ),
    Rule(
        key="infection.unsure", severity=_R,
        check=checks.any_unsure("skin_infection_in_area", "fever_or_acute_illness"),
        patient="You mentioned an infection or an illness, or weren't sure whether you're unwell "
        "at the moment. " + _CLINICIAN_FIRST,
        staff="Unsure about a current infection or acute illness.",
        source=_SRC_INFECTION,
    ),
    # Legs and veins
    Rule(
        key="veins.varicose", severity=_NE, check=checks.vein_type(VeinType.BULGING),
        patient="Large, bulging veins need a different kind of care from the cosmetic treatment "
        "we offer. A vascular (vein) specialist can check them and advise you.",
        staff="Large bulging / twisted varicose veins: not for cosmetic sclerotherapy; refer to "
        "a vascular physician.",
        source=_SRC_VARICOSE,
    ),
    Rule(
        key="veins.leg_ulcer", severity=_NE, check=checks.when("leg_ulcer", Reply.YES),
        patient="A leg ulcer needs a vein specialist's care first, so our cosmetic treatment isn't "
        "right for you now. Your doctor can refer you to a vascular specialist.",
        staff="Leg ulcer: not for cosmetic sclerotherapy; refer to a vascular physician.",
        source=_SRC_VARICOSE,
    ),
    Rule(
        key="veins.leg_symptoms", severity=_NE, check=checks.when("leg_pain_or_swelling", Reply.YES),
        patient="Ongoing pain or swelling in your legs should be checked by a vein specialist "
        "before any cosmetic treatment. Your doctor can refer you.",
        staff="Leg pain / swelling: not for cosmetic sclerotherapy; refer to a vascular physician.",
        source=_SRC_VARICOSE,
    ),
    Rule(
        key="veins.unsure", severity=_R, check=checks.any_unsure("leg_ulcer", "leg_pain_or_swelling"),
        patient="You weren't sure about a leg ulcer or leg pain and swelling. " + _CLINICIAN_FIRST,
        staff="Unsure about leg ulcer or leg pain/swelling: assess for venous disease.",
        source=_SRC_VARICOSE,
    ),
    # What the patient wants treated
    Rule(
        key="treatment.face", severity=_R, check=checks.area(Area.FACE),
        patient="Our treatment is for veins on the legs. A clinician will talk with you about "
        "the veins on your face.",
        staff="Face requested: outside cosmetic leg sclerotherapy.",
        source=_SRC_LEGS_ONLY,
    ),
    Rule(
        key="treatment.other_area", severity=_R, check=checks.area(Area.OTHER),
        patient="Our treatment is for veins on the legs. A clinician will talk with you about the "
        "other area you mentioned.",
        staff="Other area requested (see details): outside cosmetic leg sclerotherapy.",
        source=_SRC_LEGS_ONLY,
    ),
    Rule(
        key="treatment.vein_type_unsure", severity=_R, check=checks.vein_type(VeinType.UNSURE),
        patient="You weren't sure what kind of veins you have. That's fine: a clinician will look "
        "at them with you before any treatment session is booked.",
        staff="Vein type unknown: rule out varicose veins at consultation.",
        source=_SRC_VARICOSE,
    ),
    # Lifestyle and plans
    Rule(
        key="travel.long_flight", severity=_AD, check=checks.flight,
        patient="Please don't take a long flight in the {no_flying_days} days after a session.{flight_plan}",
        staff="Long flight planned (see details for dates to avoid): no flying for "
        "{no_flying_days} days after a session.",
        source=_SRC_FLIGHT,
    ),
    Rule(
        key="smoking.current", severity=_AD, check=checks.when("smoker", *YES_OR_UNSURE),
        patient="Smoking makes blood clots more likely. This is a good time to cut down or stop, "
        "and we're happy to point you to support.",
        staff="Smoker: advised to stop; counts towards clot risk factors.",
        source=_SRC_SMOKING,
    ),
    # The patient's words against the tick boxes, and words not understood
    Rule(
        key="answers.contradiction", severity=_R, check=checks.contradiction,
        patient="Some of your answers seem to disagree: {conflicts_patient}. To be safe we go by the "
        "more careful reading, and a clinician will check this with you before any treatment "
        "session is booked.",
        staff="Answers disagree, the more cautious reading is used: {conflicts}.",
        source=_DOUBT + "; a tick box and the patient's own words disagree",
    ),
    Rule(
        key="text.unrecognised", severity=_R, check=checks.unrecognised_in(),
        patient="We couldn't match some of what you wrote: {terms}. A clinician will read it and "
        "check with you; this is routine.",
        staff="Free text not recognised ({by_box}). Read it: it may name a medicine or a condition.",
        source=_DOUBT,
    ),
)

RECONFIRMATION_RULES: tuple[Rule, ...] = (
    Rule(
        key="reconfirmation.missing", severity=_R, check=checks.missing_reconfirmation,
        patient="Some of the 'anything changed?' questions were left unanswered. A clinician will "
        "check with you before your session.",
        staff="Re-confirmation questions unanswered: {fields}.",
        source=f"{_CR} 'before the session: 7 days before'; {_DOUBT}",
    ),
)

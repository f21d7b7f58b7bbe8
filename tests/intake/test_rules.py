"""The screening engine (intake.rules) and the free-text matcher (intake.matching). Pure: no DB."""

import json
from dataclasses import fields, replace
from datetime import date, datetime
from pathlib import Path

import pytest

from intake import rules
from intake.matching import Category, match_terms, read_text
from intake.rules import (
    DEFAULT_CONFIG,
    RULES,
    RULESET_VERSION,
    Answers,
    Outcome,
    Reconfirmation,
    Rule,
    ScreeningConfig,
    ScreeningResult,
    Severity,
    add_months,
    age_on,
    apply_changes,
    reconfirm,
    screen,
)

TODAY = date(2026, 11, 21)

# A complete questionnaire with nothing to report: every rule should stay silent.
NOTHING_TO_REPORT = {
    **rules.NOTHING_TO_REPORT,
    "date_of_birth": "1990-05-01",
    "height_cm": 168,
    "weight_kg": 64,
    "treatment_areas": ["legs", "thighs"],
    "vein_types": ["spider", "feeder"],
}

REQUIRED = [f.name for f in fields(Answers) if f.metadata["required"]]


def answers(**changes) -> Answers:
    return Answers.from_dict({**NOTHING_TO_REPORT, **changes})


def run(today: date = TODAY, config: ScreeningConfig = DEFAULT_CONFIG, **changes) -> ScreeningResult:
    return screen(answers(**changes), today=today, config=config)


def only_flag(result: ScreeningResult):
    assert len(result.flags) == 1, result.codes
    return result.flags[0]


# --- The baseline ------------------------------------------------------------------------------


def test_a_complete_questionnaire_with_nothing_to_report_is_cleared():
    result = run()

    assert result.outcome is Outcome.CLEARED
    assert result.flags == ()
    assert result.postpone_until is None


def test_empty_answers_go_to_review_and_are_never_cleared():
    result = screen(Answers(), today=TODAY)

    assert result.outcome is Outcome.REVIEW
    assert result.codes == ("answers.missing",)
    assert result.flag("answers.missing").details["missing"] == REQUIRED


@pytest.mark.parametrize("name", REQUIRED)
def test_each_unanswered_required_question_sends_the_screening_to_review(name):
    result = run(**{name: None})

    flag = result.flag("answers.missing")
    assert result.outcome is Outcome.REVIEW
    assert flag.details["missing"] == [name]
    assert flag.triggers == {name: None}


def test_an_empty_list_of_areas_counts_as_unanswered():
    assert run(treatment_areas=[]).flag("answers.missing").details["missing"] == ["treatment_areas"]


@pytest.mark.parametrize(
    ("changes", "missing"),
    [
        ({"recently_pregnant": "yes"}, ["pregnancy_ended_on"]),
        ({"recent_surgery_or_hospital_stay": "yes"}, ["surgery_or_hospital_stay_ended_on"]),
        (
            {"had_sclerotherapy_before": "yes"},
            ["sclerotherapy_serious_reaction", "sclerotherapy_neuro_cardiac_event"],
        ),
        ({"treatment_areas": ["legs", "other"]}, ["treatment_area_other"]),
    ],
)
def test_a_follow_up_question_is_required_once_its_question_is_answered_yes(changes, missing):
    result = run(**changes)

    assert result.outcome is Outcome.REVIEW
    assert result.flag("answers.missing").details["missing"] == missing


@pytest.mark.parametrize("text", ["", "   ", "none", "None", "NO", "nil", "N/A", "nothing",
                                  "none known", "No known allergies", "NKDA"])
def test_none_like_free_text_means_nothing_to_declare(text):
    result = run(medications=text, allergies=text)

    assert result.outcome is Outcome.CLEARED


# --- Every rule triggers with its severity and code and records what triggered it -------------

NE, R, PP, AD = Severity.NOT_ELIGIBLE, Severity.REVIEW, Severity.POSTPONE, Severity.ADVICE

RULE_CASES = [
    # (code, severity, changes, expected triggers)
    ("answers.missing", R, {"smoker": None}, {"smoker": None}),
    ("answers.implausible", R, {"height_cm": 20}, {"height_cm": 20.0}),
    (
        "answers.contradiction", R, {"clot_history": "no", "anything_else": "DVT in 2015"},
        {"clot_history": "no", "anything_else": "DVT in 2015"},
    ),
    ("text.unrecognised", R, {"anything_else": "needle phobia"}, {"anything_else": "needle phobia"}),
    ("age.under_minimum", NE, {"date_of_birth": "2010-01-01"}, {"date_of_birth": "2010-01-01"}),
    ("pregnancy.current", NE, {"pregnant": "yes"}, {"pregnant": "yes"}),
    ("pregnancy.unsure", R, {"pregnant": "unsure"}, {"pregnant": "unsure"}),
    (
        "pregnancy.recent", PP,
        {"recently_pregnant": "yes", "pregnancy_ended_on": "2026-10-01"},
        {"recently_pregnant": "yes", "pregnancy_ended_on": "2026-10-01"},
    ),
    ("pregnancy.recent_unsure", R, {"recently_pregnant": "unsure"}, {"recently_pregnant": "unsure"}),
    ("breastfeeding.current", PP, {"breastfeeding": "yes"}, {"breastfeeding": "yes"}),
    (
        "breastfeeding.wants_treatment", R,
        {"breastfeeding": "yes", "wants_treatment_while_breastfeeding": "yes"},
        {"breastfeeding": "yes", "wants_treatment_while_breastfeeding": "yes"},
    ),
    ("breastfeeding.unsure", R, {"breastfeeding": "unsure"}, {"breastfeeding": "unsure"}),
    (
        "clots.history", NE, {"clot_history": "yes", "clot_history_year": 2015},
        {"clot_history": "yes", "clot_history_year": 2015},
    ),
    ("clots.history_unsure", R, {"clot_history": "unsure"}, {"clot_history": "unsure"}),
    ("clotting_disorder.known", R, {"clotting_disorder": "yes"}, {"clotting_disorder": "yes"}),
    ("thrombophlebitis.current", PP, {"thrombophlebitis_now": "yes"}, {"thrombophlebitis_now": "yes"}),
    ("thrombophlebitis.review", R, {"thrombophlebitis_now": "yes"}, {"thrombophlebitis_now": "yes"}),
    ("medications.anticoagulant", NE, {"medications": "warfarin"}, {"medications": "warfarin"}),
    ("medications.blood_thinner_unspecified", R, {"blood_thinners": "yes"}, {"blood_thinners": "yes"}),
    ("medications.antiplatelet", R, {"medications": "Plavix 75mg"}, {"medications": "Plavix 75mg"}),
    ("medications.corticosteroid_regular", R, {"medications": "prednisone"}, {"medications": "prednisone"}),
    ("medications.pause_before_session", AD, {"medications": "ibuprofen"}, {"medications": "ibuprofen"}),
    ("medications.unclear", R, {"medications": "stopped Xarelto"}, {"medications": "stopped Xarelto"}),
    ("medications.unrecognised", R, {"medications": "fluoxetine"}, {"medications": "fluoxetine"}),
    ("hormones.therapy", R, {"hormone_therapy": "yes"}, {"hormone_therapy": "yes"}),
    (
        "clot_risk.several", R, {"smoker": "yes", "height_cm": 160, "weight_kg": 90},
        {"smoker": "yes", "height_cm": 160.0, "weight_kg": 90.0},
    ),
    ("allergies.polidocanol", R, {"allergies": "Asclera"}, {"allergies": "Asclera"}),
    (
        "allergies.sodium_tetradecyl_sulfate", R, {"allergies": "Sotradecol"},
        {"allergies": "Sotradecol"},
    ),
    (
        "allergies.sclerosant_unspecified", R, {"allergies": "sclerotherapy injections"},
        {"allergies": "sclerotherapy injections"},
    ),
    ("allergies.other", AD, {"allergies": "latex"}, {"allergies": "latex"}),
    ("allergies.medicine_unclear", R, {"allergies": "Xarelto"}, {"allergies": "Xarelto"}),
    ("allergies.unrecognised", R, {"allergies": "chrysanthemums"}, {"allergies": "chrysanthemums"}),
    (
        "sclerotherapy.serious_reaction", R,
        {"had_sclerotherapy_before": "yes", "sclerotherapy_serious_reaction": "yes",
         "sclerotherapy_neuro_cardiac_event": "no"},
        {"sclerotherapy_serious_reaction": "yes"},
    ),
    (
        "sclerotherapy.neuro_cardiac_event", NE,
        {"had_sclerotherapy_before": "yes", "sclerotherapy_serious_reaction": "no",
         "sclerotherapy_neuro_cardiac_event": "yes"},
        {"sclerotherapy_neuro_cardiac_event": "yes"},
    ),
    (
        "sclerotherapy.neuro_cardiac_event_unsure", R,
        {"had_sclerotherapy_before": "yes", "sclerotherapy_serious_reaction": "no",
         "sclerotherapy_neuro_cardiac_event": "unsure"},
        {"sclerotherapy_neuro_cardiac_event": "unsure"},
    ),
    ("heart.shunt", R, {"heart_shunt": "yes"}, {"heart_shunt": "yes"}),
    ("migraine.aura", R, {"migraine_with_aura": "yes"}, {"migraine_with_aura": "yes"}),
    ("arteries.severe", NE, {"arterial_disease": "severe"}, {"arterial_disease": "severe"}),
    ("arteries.disease", R, {"arterial_disease": "mild"}, {"arterial_disease": "mild"}),
    ("diabetes.poorly_controlled", R, {"diabetes": "poorly_controlled"}, {"diabetes": "poorly_controlled"}),
    ("diabetes.controlled", AD, {"diabetes": "well_controlled"}, {"diabetes": "well_controlled"}),
    ("cancer.active", R, {"active_cancer": "yes"}, {"active_cancer": "yes"}),
    ("blood.disorder", R, {"blood_disorder": "yes"}, {"blood_disorder": "yes"}),
    ("illness.serious", R, {"serious_illness": "yes"}, {"serious_illness": "yes"}),
    ("mobility.unable_to_walk", NE, {"mobility": "unable_to_walk"}, {"mobility": "unable_to_walk"}),
    ("mobility.limited", R, {"mobility": "limited"}, {"mobility": "limited"}),
    (
        "surgery.recent", PP,
        {"recent_surgery_or_hospital_stay": "yes", "surgery_or_hospital_stay_ended_on": "2026-10-10"},
        {"recent_surgery_or_hospital_stay": "yes", "surgery_or_hospital_stay_ended_on": "2026-10-10"},
    ),
    (
        "surgery.recent_unsure", R, {"recent_surgery_or_hospital_stay": "unsure"},
        {"recent_surgery_or_hospital_stay": "unsure"},
    ),
    ("infection.skin_local", PP, {"skin_infection_in_area": "yes"}, {"skin_infection_in_area": "yes"}),
    ("infection.systemic", PP, {"fever_or_acute_illness": "yes"}, {"fever_or_acute_illness": "yes"}),
    ("infection.unsure", R, {"fever_or_acute_illness": "unsure"}, {"fever_or_acute_illness": "unsure"}),
    ("veins.varicose", NE, {"vein_types": ["spider", "bulging"]}, {"vein_types": ["spider", "bulging"]}),
    ("veins.leg_ulcer", NE, {"leg_ulcer": "yes"}, {"leg_ulcer": "yes"}),
    ("veins.leg_symptoms", NE, {"leg_pain_or_swelling": "yes"}, {"leg_pain_or_swelling": "yes"}),
    ("veins.unsure", R, {"leg_ulcer": "unsure"}, {"leg_ulcer": "unsure"}),
    ("treatment.face", R, {"treatment_areas": ["legs", "face"]}, {"treatment_areas": ["legs", "face"]}),
    (
        "treatment.other_area", R, {"treatment_areas": ["other"], "treatment_area_other": "arms"},
        {"treatment_areas": ["other"]},
    ),
    ("treatment.vein_type_unsure", R, {"vein_types": ["unsure"]}, {"vein_types": ["unsure"]}),
    (
        "travel.long_flight", AD, {"long_flight_planned": "yes", "long_flight_on": "2026-12-20"},
        {"long_flight_planned": "yes", "long_flight_on": "2026-12-20"},
    ),
    ("smoking.current", AD, {"smoker": "yes"}, {"smoker": "yes"}),
]


@pytest.mark.parametrize(("code", "severity", "changes", "triggers"), RULE_CASES,
                         ids=[f"{c[0]}" for c in RULE_CASES])
def test_each_rule_fires_with_its_code_and_severity_and_records_the_answers_behind_it(
    code, severity, changes, triggers
):
    result = run(**changes)

    flag = result.flag(code)
    assert flag is not None, result.codes
    assert flag.severity is severity
    assert flag.triggers.items() >= triggers.items()
    assert flag.patient_message and flag.staff_reason
    assert "{" not in flag.patient_message + flag.staff_reason  # every placeholder filled in
    assert "CLINICAL_RULES.md" in flag.source or "seed" in flag.source


def test_every_rule_in_the_rule_set_has_a_case_above():
    assert {case[0] for case in RULE_CASES} == {rule.key for rule in RULES}


def test_rule_keys_are_unique():
    keys = [rule.key for rule in RULES]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.key)
def test_every_rule_is_documented_for_the_clinic_to_audit(rule):
    docs = (Path(__file__).resolve().parents[2] / "docs" / "screening.md").read_text(encoding="utf-8")
    assert f"`{rule.key}`" in docs


# --- Boundaries ----------------------------------------------------------------------------------


def test_pregnancy_that_ended_exactly_three_months_ago_is_eligible():
    result = run(today=date(2026, 11, 21), recently_pregnant="yes", pregnancy_ended_on="2026-08-21")

    assert result.outcome is Outcome.CLEARED


def test_pregnancy_that_ended_one_day_short_of_three_months_is_postponed_to_the_right_day():
    result = run(today=date(2026, 11, 20), recently_pregnant="yes", pregnancy_ended_on="2026-08-21")

    assert result.outcome is Outcome.POSTPONE
    assert result.postpone_until == date(2026, 11, 21)
    assert only_flag(result).until == date(2026, 11, 21)
    assert "21 November 2026" in only_flag(result).patient_message


def test_pregnancy_that_ended_on_the_last_day_of_a_month_clamps_to_the_end_of_february():
    result = run(today=date(2026, 12, 1), recently_pregnant="yes", pregnancy_ended_on="2026-11-30")

    assert result.postpone_until == date(2027, 2, 28)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 8, 21), 3, date(2026, 11, 21)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),
        (date(2026, 10, 31), 2, date(2026, 12, 31)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 12, 15), 14, date(2028, 2, 15)),
    ],
)
def test_calendar_months_are_added_with_end_of_month_clamping(start, months, expected):
    assert add_months(start, months) == expected


def test_a_clinic_can_lengthen_the_wait_after_pregnancy():
    config = ScreeningConfig(pregnancy_postpone_months=6)

    result = run(config=config, recently_pregnant="yes", pregnancy_ended_on="2026-08-21")

    assert result.postpone_until == date(2027, 2, 21)
    assert "6 calendar months" in only_flag(result).staff_reason


def test_a_pregnancy_end_date_counts_even_if_the_recent_pregnancy_question_says_no():
    result = run(recently_pregnant="no", pregnancy_ended_on="2026-10-01")

    assert result.flag("pregnancy.recent").until == date(2027, 1, 1)


def test_the_eighteenth_birthday_itself_is_eligible():
    assert run(today=date(2026, 11, 21), date_of_birth="2008-11-21").outcome is Outcome.CLEARED


def test_the_day_before_the_eighteenth_birthday_is_not_eligible():
    result = run(today=date(2026, 11, 20), date_of_birth="2008-11-21")

    flag = only_flag(result)
    assert result.outcome is Outcome.NOT_ELIGIBLE
    assert flag.code == "age.under_minimum"
    assert flag.details == {"age": 17, "reaches_minimum_age_on": "2026-11-21"}


def test_someone_born_on_29_february_turns_eighteen_on_1_march_in_a_common_year():
    born = "2008-02-29"

    assert run(today=date(2026, 2, 28), date_of_birth=born).outcome is Outcome.NOT_ELIGIBLE
    assert run(today=date(2026, 3, 1), date_of_birth=born).outcome is Outcome.CLEARED
    assert age_on(date(2008, 2, 29), date(2028, 2, 29)) == 20
    assert age_on(date(2008, 2, 29), date(2028, 2, 28)) == 19


def test_a_clinic_can_raise_the_minimum_age_but_not_lower_it_below_eighteen():
    assert run(config=ScreeningConfig(minimum_age=21), date_of_birth="2006-01-01").outcome is (
        Outcome.NOT_ELIGIBLE
    )
    with pytest.raises(ValueError):
        ScreeningConfig(minimum_age=16)


def test_surgery_exactly_three_months_ago_is_eligible():
    result = run(recent_surgery_or_hospital_stay="yes", surgery_or_hospital_stay_ended_on="2026-08-21")

    assert result.outcome is Outcome.CLEARED


def test_surgery_one_day_short_of_three_months_is_postponed_to_three_months_after():
    result = run(recent_surgery_or_hospital_stay="yes", surgery_or_hospital_stay_ended_on="2026-08-22")

    assert result.outcome is Outcome.POSTPONE
    assert result.postpone_until == date(2026, 11, 22)


@pytest.mark.parametrize(
    ("changes", "problem_field"),
    [
        ({"date_of_birth": "2027-01-01"}, "date_of_birth"),
        ({"date_of_birth": "1890-01-01"}, "date_of_birth"),
        ({"recently_pregnant": "yes", "pregnancy_ended_on": "2026-12-01"}, "pregnancy_ended_on"),
        ({"recent_surgery_or_hospital_stay": "yes",
          "surgery_or_hospital_stay_ended_on": "2027-01-01"}, "surgery_or_hospital_stay_ended_on"),
        ({"clot_history": "no", "clot_history_year": 2030}, "clot_history_year"),
        ({"weight_kg": 4}, "weight_kg"),
    ],
)
def test_impossible_answers_go_to_review(changes, problem_field):
    result = run(**changes)

    assert result.outcome is Outcome.REVIEW
    assert problem_field in result.flag("answers.implausible").details["problems"]


def test_a_flight_in_the_past_needs_no_advice_and_a_flight_without_a_date_still_does():
    assert run(long_flight_planned="yes", long_flight_on="2026-11-01").flags == ()

    flag = only_flag(run(long_flight_planned="yes"))
    assert flag.code == "travel.long_flight"
    assert flag.details == {}


def test_a_dated_flight_tells_staff_which_session_days_to_avoid():
    flag = only_flag(run(long_flight_planned="yes", long_flight_on="2026-12-20"))

    assert flag.details == {
        "flight_on": "2026-12-20",
        "avoid_sessions_from": "2026-12-17",
        "avoid_sessions_until": "2026-12-20",
    }


# --- Outcome: the most severe finding wins, every finding is kept --------------------------------


def test_advice_alone_leaves_the_patient_cleared_with_the_advice_attached():
    result = run(smoker="yes", medications="ibuprofen when needed")

    assert result.outcome is Outcome.CLEARED
    assert set(result.codes) == {"smoking.current", "medications.pause_before_session"}
    assert result.advice == result.flags


def test_findings_of_every_severity_are_all_kept_and_the_most_severe_decides():
    result = run(
        leg_ulcer="yes",
        heart_shunt="yes",
        breastfeeding="yes",
        smoker="yes",
    )

    assert result.outcome is Outcome.NOT_ELIGIBLE
    assert result.codes == (
        "veins.leg_ulcer", "heart.shunt", "breastfeeding.current", "smoking.current"
    )


def test_a_postponement_together_with_a_review_is_a_review_that_keeps_the_date():
    result = run(heart_shunt="yes", recently_pregnant="yes", pregnancy_ended_on="2026-10-01")

    assert result.outcome is Outcome.REVIEW
    assert result.postpone_until == date(2027, 1, 1)


def test_the_latest_of_several_postponement_dates_is_the_one_that_counts():
    result = run(
        recently_pregnant="yes", pregnancy_ended_on="2026-10-15",
        recent_surgery_or_hospital_stay="yes", surgery_or_hospital_stay_ended_on="2026-11-01",
    )

    assert result.outcome is Outcome.POSTPONE
    assert result.postpone_until == date(2027, 2, 1)
    assert result.postpone_open_ended is False


def test_an_open_ended_postponement_leaves_no_date_to_book_from():
    result = run(breastfeeding="yes", recently_pregnant="yes", pregnancy_ended_on="2026-10-15")

    assert result.outcome is Outcome.POSTPONE
    assert result.postpone_until is None
    assert result.postpone_open_ended is True


def test_breastfeeding_is_postponed_and_wanting_to_go_ahead_adds_a_review():
    result = run(breastfeeding="yes", wants_treatment_while_breastfeeding="yes")

    assert result.outcome is Outcome.REVIEW
    assert result.codes == ("breastfeeding.wants_treatment", "breastfeeding.current")
    assert result.postpone_open_ended is True


def test_current_thrombophlebitis_is_both_postponed_and_reviewed():
    result = run(thrombophlebitis_now="yes")

    assert result.outcome is Outcome.REVIEW
    assert result.codes == ("thrombophlebitis.review", "thrombophlebitis.current")
    assert result.flag("thrombophlebitis.current").until is None


def test_unsure_about_thrombophlebitis_is_a_review_only():
    assert run(thrombophlebitis_now="unsure").codes == ("thrombophlebitis.review",)


def test_an_infection_is_postponed_until_the_patient_says_they_are_well():
    result = run(skin_infection_in_area="yes", fever_or_acute_illness="yes")

    assert result.outcome is Outcome.POSTPONE
    assert result.codes == ("infection.skin_local", "infection.systemic")
    assert result.postpone_open_ended is True
    assert "update your answers" in result.flags[0].patient_message


def test_spider_and_feeder_veins_on_the_legs_are_in_scope_but_bulging_veins_are_referred_on():
    assert run(vein_types=["spider", "feeder"], treatment_areas=["legs", "ankles"]).cleared

    result = run(vein_types=["bulging"])
    assert result.outcome is Outcome.NOT_ELIGIBLE
    assert "specialist" in only_flag(result).patient_message


def test_a_past_clot_is_never_cleared_automatically_even_when_the_clinic_allows_review():
    config = ScreeningConfig(clot_history_severity="review")

    result = run(config=config, clot_history="yes")

    flag = only_flag(result)
    assert result.outcome is Outcome.REVIEW
    assert flag.severity is Severity.REVIEW
    assert "A clinician" in flag.patient_message
    with pytest.raises(ValueError):
        ScreeningConfig(clot_history_severity="advice")


# --- Clot risk factors ---------------------------------------------------------------------------


def test_smoking_alone_is_advice_but_smoking_with_obesity_is_reviewed():
    assert run(smoker="yes").codes == ("smoking.current",)

    result = run(smoker="yes", height_cm=165, weight_kg=82)  # BMI 30.1

    assert result.outcome is Outcome.REVIEW
    assert result.flag("clot_risk.several").details == {"factors": ["smoking", "BMI 30.1"], "bmi": 30.1}


def test_a_bmi_just_under_thirty_is_not_a_clot_risk_factor():
    assert run(smoker="yes", height_cm=165, weight_kg=81).codes == ("smoking.current",)  # BMI 29.8


def test_the_pill_named_in_the_medicines_counts_as_a_clot_risk_factor():
    result = run(medications="Microgynon", smoker="yes")

    assert result.flag("hormones.therapy").severity is Severity.REVIEW
    assert result.flag("clot_risk.several").details["factors"] == ["hormone medicine", "smoking"]


def test_a_clinic_can_require_three_clot_risk_factors():
    config = ScreeningConfig(clot_risk_factor_threshold=3)

    assert run(config=config, smoker="yes", mobility="limited").flag("clot_risk.several") is None
    assert run(config=config, smoker="yes", mobility="limited", hormone_therapy="yes").flag(
        "clot_risk.several"
    )


# --- Free-text matching --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category", "canonical"),
    [
        ("Eliquis", Category.ANTICOAGULANT, "apixaban"),
        ("elliquis", Category.ANTICOAGULANT, "apixaban"),
        ("XARELTO 20mg", Category.ANTICOAGULANT, "rivaroxaban"),
        ("zarelto", Category.ANTICOAGULANT, "rivaroxaban"),
        ("coumadin", Category.ANTICOAGULANT, "warfarin"),
        ("Warfrin 3mg", Category.ANTICOAGULANT, "warfarin"),
        ("Jantoven", Category.ANTICOAGULANT, "warfarin"),
        ("Marevan", Category.ANTICOAGULANT, "warfarin"),
        ("Pradaxa 150 mg", Category.ANTICOAGULANT, "dabigatran"),
        ("Lixiana", Category.ANTICOAGULANT, "edoxaban"),
        ("Savaysa", Category.ANTICOAGULANT, "edoxaban"),
        ("Clexane injections", Category.ANTICOAGULANT, "enoxaparin"),
        ("Lovenox", Category.ANTICOAGULANT, "enoxaparin"),
        ("Fragmin", Category.ANTICOAGULANT, "dalteparin"),
        ("tinzaparin", Category.ANTICOAGULANT, "tinzaparin"),
        ("Arixtra", Category.ANTICOAGULANT, "fondaparinux"),
        ("heparin", Category.ANTICOAGULANT, "heparin"),
        ("Plavix", Category.ANTIPLATELET, "clopidogrel"),
        ("clopidogral", Category.ANTIPLATELET, "clopidogrel"),
        ("Effient", Category.ANTIPLATELET, "prasugrel"),
        ("Brilinta", Category.ANTIPLATELET, "ticagrelor"),
        ("baby aspirin", Category.ASPIRIN, "aspirin"),
        ("ASA 81mg", Category.ASPIRIN, "aspirin"),
        ("asprin", Category.ASPIRIN, "aspirin"),
        ("Disprin", Category.ASPIRIN, "aspirin"),
        ("Ecotrin", Category.ASPIRIN, "aspirin"),
        ("Bayer", Category.ASPIRIN, "aspirin"),
        ("Advil", Category.NSAID, "ibuprofen"),
        ("Motrin", Category.NSAID, "ibuprofen"),
        ("Nurofen", Category.NSAID, "ibuprofen"),
        ("ibuprofin", Category.NSAID, "ibuprofen"),
        ("Aleve", Category.NSAID, "naproxen"),
        ("Naprosyn", Category.NSAID, "naproxen"),
        ("Voltaren gel", Category.NSAID, "diclofenac"),
        ("Celebrex", Category.NSAID, "celecoxib"),
        ("Mobic", Category.NSAID, "meloxicam"),
        ("ketorolac", Category.NSAID, "ketorolac"),
        ("prednisone", Category.CORTICOSTEROID, "prednisone"),
        ("prednisolone", Category.CORTICOSTEROID, "prednisolone"),
        ("dexamethasone", Category.CORTICOSTEROID, "dexamethasone"),
        ("Medrol", Category.CORTICOSTEROID, "methylprednisolone"),
        ("hydrocortisone", Category.CORTICOSTEROID, "hydrocortisone"),
        ("amoxicillin", Category.ANTIBIOTIC, "amoxicillin"),
        ("doxycycline", Category.ANTIBIOTIC, "doxycycline"),
        ("Keflex", Category.ANTIBIOTIC, "cephalexin"),
        ("Zithromax", Category.ANTIBIOTIC, "azithromycin"),
        ("ciprofloxacin", Category.ANTIBIOTIC, "ciprofloxacin"),
        ("estradiol", Category.HORMONE, "estradiol"),
        ("the pill", Category.HORMONE, "oral contraceptive"),
        ("birth control pill", Category.HORMONE, "oral contraceptive"),
        ("oral contraceptive", Category.HORMONE, "oral contraceptive"),
        ("HRT", Category.HORMONE, "hormone replacement therapy"),
        ("hormone replacement", Category.HORMONE, "hormone replacement therapy"),
        ("tamoxifen", Category.HORMONE, "tamoxifen"),
        ("raloxifene", Category.HORMONE, "raloxifene"),
        ("testosterone gel", Category.HORMONE, "testosterone"),
        ("Asclera", Category.POLIDOCANOL, "polidocanol"),
        ("aethoxysclerol", Category.POLIDOCANOL, "polidocanol"),
        ("Aethoxysklerol", Category.POLIDOCANOL, "polidocanol"),
        ("lauromacrogol 400", Category.POLIDOCANOL, "polidocanol"),
        ("Varithena", Category.POLIDOCANOL, "polidocanol"),
        ("polidocanol", Category.POLIDOCANOL, "polidocanol"),
        ("sotradecol", Category.SODIUM_TETRADECYL_SULFATE, "sodium tetradecyl sulfate"),
        ("Sodium Tetradecyl Sulphate", Category.SODIUM_TETRADECYL_SULFATE, "sodium tetradecyl sulfate"),
        ("STS", Category.SODIUM_TETRADECYL_SULFATE, "sodium tetradecyl sulfate"),
        ("Fibrovein", Category.SODIUM_TETRADECYL_SULFATE, "sodium tetradecyl sulfate"),
    ],
)
def test_the_matcher_knows_generic_names_brands_and_common_misspellings(text, category, canonical):
    (match,) = match_terms(text)

    assert (match.category, match.canonical) == (category, canonical)


def test_a_match_keeps_the_words_the_patient_wrote():
    (match,) = match_terms("Eliquis 5mg twice a day")

    assert match.matched_text == "Eliquis"
    assert match.label == "Eliquis (apixaban)"
    assert match.fuzzy is False
    assert match_terms("elliquis")[0].fuzzy is True


def test_the_matcher_ignores_case_punctuation_glued_doses_and_accents():
    texts = ["(XARELTO) 20 mg; once daily.", "xarelto20mg", "Xarelto, 20mg x1/day"]
    for text in texts:
        assert [m.canonical for m in match_terms(text)] == ["rivaroxaban"], text
    assert [m.canonical for m in match_terms("Aethoxysklérol 1%")] == ["polidocanol"]


def test_a_list_of_medicines_is_matched_in_order():
    matches = match_terms("Eliquis 5mg twice a day, ibuprofen; vitamin D3 and the pill")

    assert [m.canonical for m in matches] == [
        "apixaban", "ibuprofen", "vitamins and minerals", "oral contraceptive",
    ]


@pytest.mark.parametrize("text", ["ASO", "STD", "HRP", "ASAP", "efficient", "alive", "mobile"])
def test_short_or_ordinary_words_are_not_bent_into_drug_names(text):
    assert match_terms(text) == []


def test_known_harmless_medicines_clear_without_review():
    result = run(medications="Lisinopril 10mg, metformin 500mg twice daily, atorvastatin, "
                             "levothyroxine, paracetamol, vitamin D, multivitamin, omeprazole")

    assert result.outcome is Outcome.CLEARED


@pytest.mark.parametrize(
    ("text", "unrecognised"),
    [
        ("Lisinopril, metformin, fluoxetine", ["fluoxetine"]),
        ("blood pressure tablets", ["blood pressure"]),
        ("some tablets", ["some tablets"]),
        ("St John's wort", ["St John's wort"]),
        ("fluoxetine 20mg daily", ["fluoxetine"]),
    ],
)
def test_medicines_the_rules_cannot_read_go_to_clinician_review(text, unrecognised):
    result = run(medications=text)

    flag = result.flag("medications.unrecognised")
    assert result.outcome is Outcome.REVIEW
    assert flag.details["unrecognised"] == unrecognised


def test_read_text_reports_unplaced_words_and_none_statements():
    assert read_text("none").says_none
    assert not read_text("fluoxetine").says_none
    assert read_text("warfarin and grapefruit juice").unrecognised == ("grapefruit juice",)


# --- Medicine rules --------------------------------------------------------------------------------


def test_an_anticoagulant_named_by_brand_is_not_eligible_by_default():
    result = run(blood_thinners="yes", medications="Eliquis 5mg twice a day")

    flag = only_flag(result)
    assert result.outcome is Outcome.NOT_ELIGIBLE
    assert flag.code == "medications.anticoagulant"
    assert "Eliquis (apixaban)" in flag.patient_message
    assert flag.details["terms"][0]["canonical"] == "apixaban"


def test_a_clinic_may_send_anticoagulants_to_review_instead():
    config = ScreeningConfig(anticoagulants_severity="review")

    result = run(config=config, blood_thinners="yes", medications="XARELTO 20mg")

    assert result.outcome is Outcome.REVIEW
    assert only_flag(result).severity is Severity.REVIEW
    assert result.config["anticoagulants_severity"] == "review"


def test_saying_yes_to_blood_thinners_without_naming_one_is_reviewed():
    assert run(blood_thinners="yes").codes == ("medications.blood_thinner_unspecified",)
    assert run(blood_thinners="unsure", medications="a blood thinner").codes == (
        "medications.blood_thinner_unspecified",
    )


def test_writing_blood_thinner_after_ticking_no_is_reviewed_and_the_contradiction_named():
    result = run(blood_thinners="no", medications="a blood thinner")

    assert result.codes == ("medications.blood_thinner_unspecified", "answers.contradiction")
    assert "'blood thinner' answered no" in result.flag("answers.contradiction").staff_reason


def test_a_named_blood_thinner_speaks_for_itself():
    result = run(blood_thinners="yes", medications="warfarin")

    assert result.codes == ("medications.anticoagulant",)


def test_a_no_to_blood_thinners_does_not_hide_one_named_in_the_medicines():
    result = run(blood_thinners="no", medications="coumadin")

    assert result.outcome is Outcome.NOT_ELIGIBLE
    assert result.codes == ("medications.anticoagulant", "answers.contradiction")


@pytest.mark.parametrize("text", ["aspirin", "baby aspirin", "aspirin 75mg every morning", "ASA 81"])
def test_daily_or_unstated_aspirin_is_reviewed_as_an_antiplatelet(text):
    assert run(medications=text).codes == ("medications.antiplatelet",)


def test_occasional_aspirin_and_nsaids_and_antibiotics_get_advice_to_pause_them():
    result = run(medications="aspirin for headaches occasionally, Advil as needed, amoxicillin")

    flag = only_flag(result)
    assert result.outcome is Outcome.CLEARED
    assert flag.code == "medications.pause_before_session"
    assert [t["canonical"] for t in flag.details["terms"]] == ["ibuprofen", "amoxicillin", "aspirin"]
    assert "5 to 10 days" in flag.patient_message


def test_a_short_steroid_course_is_advice_but_other_oral_steroids_are_reviewed():
    assert run(medications="prednisolone 5 day course").codes == ("medications.pause_before_session",)
    assert run(medications="prednisone 5mg daily").codes == ("medications.corticosteroid_regular",)
    assert run(medications="Medrol").codes == ("medications.corticosteroid_regular",)


def test_steroid_creams_and_inhalers_are_not_flagged():
    assert run(medications="hydrocortisone cream, fluticasone inhaler").cleared


def test_a_stopped_or_negated_blood_thinner_goes_to_review_not_to_a_verdict():
    result = run(medications="stopped warfarin in 2019")

    assert result.codes == ("medications.unclear",)
    assert result.outcome is Outcome.REVIEW


def test_a_sclerosant_or_an_allergen_in_the_medicines_list_counts_as_the_allergy_it_names():
    result = run(medications="Asclera, peanuts")

    assert result.codes == ("allergies.polidocanol", "answers.contradiction", "allergies.other")
    assert "'vein injections before' answered no" in result.flag("answers.contradiction").staff_reason
    assert result.flag("allergies.polidocanol").details["sclerosant"] == "polidocanol"
    assert "in your answer about medicines" in result.flag("allergies.polidocanol").patient_message


# --- Allergies -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Asclera", "aethoxysclerol", "polidocanol 1%", "Lauromacrogol"])
def test_a_polidocanol_allergy_rules_out_that_agent_and_sends_the_rest_to_review(text):
    result = run(allergies=text)

    flag = only_flag(result)
    assert result.outcome is Outcome.REVIEW
    assert flag.code == "allergies.polidocanol"
    assert flag.details["sclerosant"] == "polidocanol"


def test_a_sodium_tetradecyl_sulfate_allergy_names_that_agent():
    flag = only_flag(run(allergies="allergic to sotradecol (rash)"))

    assert flag.code == "allergies.sodium_tetradecyl_sulfate"
    assert flag.details["sclerosant"] == "sodium_tetradecyl_sulfate"


def test_allergies_to_both_sclerosants_raise_both_flags():
    assert run(allergies="Asclera and Fibrovein").codes == (
        "allergies.polidocanol", "allergies.sodium_tetradecyl_sulfate",
    )


def test_ordinary_allergies_are_noted_as_advice_and_do_not_hold_anyone_back():
    result = run(allergies="Penicillin - rash; latex, peanuts, hay fever")

    flag = only_flag(result)
    assert result.outcome is Outcome.CLEARED
    assert flag.code == "allergies.other"
    assert [t["canonical"] for t in flag.details["terms"]] == ["penicillin", "latex", "nuts", "pollen"]


def test_an_allergy_answer_the_rules_cannot_read_goes_to_review():
    result = run(allergies="the stuff they used at my last vein clinic")

    assert result.outcome is Outcome.REVIEW
    assert "allergies.unrecognised" in result.codes


# --- Answers: schema and round trip ---------------------------------------------------------------


def test_answers_round_trip_through_json():
    original = answers(medications="Eliquis", pregnancy_ended_on="2026-10-01", long_flight_on="2027-01-05")

    restored = Answers.from_dict(json.loads(json.dumps(original.to_dict())))

    assert restored == original
    assert restored.pregnancy_ended_on == date(2026, 10, 1)
    assert restored.treatment_areas == (rules.Area.LEGS, rules.Area.THIGHS)


@pytest.mark.parametrize(
    "bad",
    [
        {"pregnant": "maybe"},
        {"pregnant": True},
        {"date_of_birth": "21/11/1990"},
        {"date_of_birth": datetime(1990, 1, 1, 12, 0)},
        {"height_cm": "170"},
        {"weight_kg": True},
        {"clot_history_year": 2015.5},
        {"treatment_areas": "legs"},
        {"treatment_areas": ["legs", "back"]},
        {"medications": ["warfarin"]},
        {"favourite_colour": "blue"},
    ],
)
def test_answers_with_a_bad_type_or_value_raise_a_clear_value_error(bad):
    (name,) = bad
    with pytest.raises(ValueError, match=name):
        answers(**bad)


def test_answers_from_something_other_than_a_mapping_is_refused():
    with pytest.raises(ValueError):
        Answers.from_dict(["pregnant", "no"])


def test_bmi_comes_from_height_and_weight_when_both_are_given():
    assert answers(height_cm=170, weight_kg=72.25).bmi == 25.0
    assert answers(height_cm=None).bmi is None


# --- Versioning and history ------------------------------------------------------------------------


def test_a_screening_carries_the_ruleset_version_and_the_day_it_was_done():
    result = run()

    assert RULESET_VERSION == "2026.12.1"
    assert result.ruleset_version == RULESET_VERSION
    assert result.screened_on == TODAY
    assert result.to_dict()["ruleset_version"] == "2026.12.1"


def test_a_result_round_trips_through_json_with_every_flag_intact():
    result = run(
        medications="Eliquis", allergies="Asclera", breastfeeding="yes", smoker="yes",
        recently_pregnant="yes", pregnancy_ended_on="2026-10-01",
    )

    stored = json.loads(json.dumps(result.to_dict()))
    restored = ScreeningResult.from_dict(stored)

    assert restored == result
    assert stored["flags"][0]["code"] == "medications.anticoagulant"
    assert restored.flag("pregnancy.recent").until == date(2027, 1, 1)


def test_a_later_change_to_the_rules_never_rewrites_a_stored_screening(monkeypatch):
    stored = json.loads(json.dumps(run(pregnant="yes").to_dict()))
    softer = [
        replace(rule, severity=Severity.REVIEW, patient="Changed wording.")
        if rule.key == "pregnancy.current" else rule
        for rule in RULES
    ]
    monkeypatch.setattr(rules.catalogue, "RULES", tuple(softer))
    monkeypatch.setattr(rules.catalogue, "RULESET_VERSION", "2027.1.1")

    restored = ScreeningResult.from_dict(stored)
    rerun = screen(answers(pregnant="yes"), today=TODAY)

    assert rerun.outcome is Outcome.REVIEW  # the new rules are really in force...
    assert rerun.ruleset_version == "2027.1.1"
    assert restored.outcome is Outcome.NOT_ELIGIBLE  # ...yet history is as it was decided
    assert restored.ruleset_version == "2026.12.1"
    assert restored.flags[0].severity is Severity.NOT_ELIGIBLE
    assert restored.flags[0].patient_message != "Changed wording."


def test_a_malformed_stored_screening_raises_a_value_error():
    stored = run(pregnant="yes").to_dict()
    del stored["flags"][0]["severity"]

    with pytest.raises(ValueError):
        ScreeningResult.from_dict(stored)
    with pytest.raises(ValueError):
        ScreeningResult.from_dict({**run().to_dict(), "outcome": "fine"})


def test_a_custom_rule_list_runs_in_place_of_the_default_like_password_validators():
    always = Rule(
        key="test.always", severity=Severity.ADVICE, check=lambda ctx: rules.Hit(triggers={}),
        patient="Hello.", staff="Hello.", source="test",
    )

    result = screen(Answers(), today=TODAY, rules=[always])

    assert result.codes == ("test.always",)
    assert result.cleared


def test_config_round_trips_and_rejects_unknown_settings():
    config = ScreeningConfig(anticoagulants_severity="review", surgery_postpone_months=6)

    assert ScreeningConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError):
        ScreeningConfig.from_dict({"max_age": 80})


# --- Re-confirmation before each session ----------------------------------------------------------

NOTHING_NEW = {
    "pregnant_now": "no", "new_clot": "no", "unwell_now": "no",
    "new_medications": "none", "new_allergies": "",
}


def changes(**overrides) -> Reconfirmation:
    return Reconfirmation.from_dict({**NOTHING_NEW, **overrides})


def test_nothing_changed_keeps_the_standing_decision():
    assert reconfirm(changes(), answers(heart_shunt="yes"), today=TODAY) is None


@pytest.mark.parametrize(
    ("change", "code", "outcome"),
    [
        ({"pregnant_now": "yes"}, "pregnancy.current", Outcome.NOT_ELIGIBLE),
        ({"pregnant_now": "unsure"}, "pregnancy.unsure", Outcome.REVIEW),
        ({"new_clot": "yes"}, "clots.history", Outcome.NOT_ELIGIBLE),
        ({"new_medications": "started Xarelto 20mg"}, "medications.anticoagulant", Outcome.NOT_ELIGIBLE),
        ({"new_allergies": "Asclera"}, "allergies.polidocanol", Outcome.REVIEW),
        ({"unwell_now": "yes"}, "infection.systemic", Outcome.POSTPONE),
    ],
)
def test_any_change_reruns_every_rule_on_the_updated_answers(change, code, outcome):
    result = reconfirm(changes(**change), answers(), today=TODAY)

    assert result is not None
    assert result.outcome is outcome
    assert code in result.codes


def test_new_medicines_are_added_to_the_old_ones_not_swapped_for_them():
    before = answers(medications="Plavix", blood_thinners="yes")
    merged = apply_changes(before, changes(new_medications="ibuprofen"))
    result = reconfirm(changes(new_medications="ibuprofen"), before, today=TODAY)

    assert merged.medications == "Plavix; ibuprofen"
    assert set(result.codes) == {"medications.antiplatelet", "medications.pause_before_session"}


def test_an_unanswered_reconfirmation_question_goes_to_review():
    result = reconfirm(changes(new_clot=None), answers(), today=TODAY)

    assert result.outcome is Outcome.REVIEW
    assert result.flag("reconfirmation.missing").details["missing"] == ["new_clot"]


def test_feeling_well_again_lifts_an_infection_postponement():
    previous = answers(fever_or_acute_illness="yes", skin_infection_in_area="yes")

    result = reconfirm(changes(unwell_now="no"), previous, today=TODAY)

    assert screen(previous, today=TODAY).outcome is Outcome.POSTPONE
    assert result.outcome is Outcome.CLEARED


def test_a_new_clot_never_erases_an_older_one():
    merged = apply_changes(answers(clot_history="yes"), changes(new_clot="unsure"))

    assert merged.clot_history is rules.Reply.YES


def test_flags_added_since_an_earlier_screening_are_listed():
    earlier = screen(answers(heart_shunt="yes"), today=TODAY)
    later = reconfirm(changes(new_allergies="latex"), answers(heart_shunt="yes"), today=TODAY)

    assert [f.code for f in later.flags_added_since(earlier)] == ["allergies.other"]

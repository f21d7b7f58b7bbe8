"""Intake reads every word (issue 13): every free-text box is read for every category, a finding in
the wrong box counts as if answered in the right one, tick box against words is a contradiction for
a clinician, negation covers only its own phrase, "nothing" is nothing, anything else unplaced goes
to review. Pure: no database."""

import json
from datetime import date

import pytest

from intake import rules
from intake.matching import ENTRIES, Category, lexicon_problems, read_text
from intake.rules import TEXT_FIELDS, Answers, Outcome, ScreeningResult, screen

TODAY = date(2026, 12, 1)
BASE = {**rules.NOTHING_TO_REPORT, "date_of_birth": "1990-05-01"}


def run(**changes):
    return screen(Answers.from_dict({**BASE, **changes}), today=TODAY)


# --- Each category, found in each box ----------------------------------------------------------

# (what the patient writes, the flag it raises in any box, the flag it raises in the allergy box)
CATEGORIES = {
    "anticoagulant": ("Xarelto", "medications.anticoagulant", "allergies.medicine_unclear"),
    "antiplatelet": ("Brilique", "medications.antiplatelet", "allergies.medicine_unclear"),
    "blood thinner (lay words)": ("blood thinners", "medications.blood_thinner_unspecified",
                                  "allergies.medicine_unclear"),
    "nsaid": ("Nurofen", "medications.pause_before_session", "allergies.other"),
    "steroid": ("prednisolone", "medications.corticosteroid_regular", "allergies.medicine_unclear"),
    "hormone": ("Yasmin", "hormones.therapy", "allergies.medicine_unclear"),
    "polidocanol": ("Asclera", "allergies.polidocanol", "allergies.polidocanol"),
    "sodium tetradecyl sulfate": ("sodium tetradecyl sulphate", "allergies.sodium_tetradecyl_sulfate",
                                  "allergies.sodium_tetradecyl_sulfate"),
    "other allergen": ("latex", "allergies.other", "allergies.other"),
    "clot": ("DVT", "clots.history", "clots.history"),
    "pulmonary embolism": ("pulmonary embolism", "clots.history", "clots.history"),
    "clotting disorder": ("factor V Leiden", "clotting_disorder.known", "clotting_disorder.known"),
    "pregnancy": ("pregnant", "pregnancy.current", "pregnancy.current"),
    "breastfeeding": ("breastfeeding", "breastfeeding.current", "breastfeeding.current"),
    "shunt": ("PFO", "heart.shunt", "heart.shunt"),
    "migraine with aura": ("migraine with aura", "migraine.aura", "migraine.aura"),
    "cancer": ("breast cancer", "cancer.active", "cancer.active"),
    "arterial disease": ("peripheral arterial disease", "arteries.disease", "arteries.disease"),
    "diabetes": ("type 2 diabetes", "diabetes.poorly_controlled", "diabetes.poorly_controlled"),
    "surgery": ("hip replacement", "surgery.recent_unsure", "surgery.recent_unsure"),
    "infection": ("cellulitis", "infection.unsure", "infection.unsure"),
}


@pytest.mark.parametrize("box", list(TEXT_FIELDS))
@pytest.mark.parametrize("category", list(CATEGORIES))
def test_each_category_is_found_in_each_box(category, box):
    words, code, code_in_allergies = CATEGORIES[category]

    result = run(**{box: words})

    expected = code_in_allergies if box == "allergies" else code
    assert expected in result.codes, result.codes
    flag = result.flag(expected)
    assert any(span["field"] == box and span["text"] == words for span in flag.spans), flag.details


def test_the_boxes_read_are_every_typed_answer_of_the_questionnaire():
    assert set(TEXT_FIELDS) == {
        "medications", "allergies", "clotting_disorder_details", "serious_illness_details",
        "surgery_details", "sclerotherapy_reaction_details", "treatment_area_other", "anything_else",
    }


def test_a_finding_in_the_wrong_box_counts_as_if_answered_in_the_right_one():
    wrong_box = run(anything_else="I had a DVT in 2015 and take Xarelto")
    right_box = run(clot_history="yes", blood_thinners="yes", medications="Xarelto")

    assert wrong_box.outcome is right_box.outcome is Outcome.NOT_ELIGIBLE
    assert {"clots.history", "medications.anticoagulant"} <= set(wrong_box.codes)


def test_the_anything_changed_boxes_are_read_for_every_category():
    result = rules.reconfirm(
        rules.Reconfirmation.from_dict({
            "pregnant_now": "no", "new_clot": "no", "unwell_now": "no", "new_medications": "none",
            "new_allergies": "none", "other_changes": "found out I have factor V Leiden",
        }),
        Answers.from_dict(BASE), today=TODAY,
    )

    assert result.outcome is Outcome.REVIEW
    assert {"clotting_disorder.known", "answers.contradiction"} <= set(result.codes)


def test_a_clot_written_among_the_new_medicines_counts():
    result = rules.reconfirm(
        rules.Reconfirmation.from_dict({
            "pregnant_now": "no", "new_clot": "no", "unwell_now": "no",
            "new_medications": "Clexane injections after a blood clot", "new_allergies": "none",
        }),
        Answers.from_dict(BASE), today=TODAY,
    )

    assert result.outcome is Outcome.NOT_ELIGIBLE
    assert {"medications.anticoagulant", "clots.history"} <= set(result.codes)


# --- Tick box against words: the more cautious reading, and the clinician is told ----------------


def test_eliquis_with_its_dose_in_the_allergy_box_counts_as_taken_as_if_written_under_medicines():
    result = run(blood_thinners="no", allergies="Eliquis 5mg twice daily")
    as_medicine = run(blood_thinners="no", medications="Eliquis 5mg twice daily")

    assert result.outcome is Outcome.NOT_ELIGIBLE is as_medicine.outcome
    assert set(result.codes) == {"medications.anticoagulant", "allergies.medicine_unclear", "answers.contradiction"}
    assert "medications.anticoagulant" in as_medicine.codes
    contradiction = result.flag("answers.contradiction")
    assert contradiction.details["contradictions"] == [{
        "question": "blood_thinners", "answer": "no", "field": "allergies", "words": ["Eliquis"],
        "read_as": "apixaban (anticoagulant)",
    }]


@pytest.mark.parametrize("text", ["Xarelto 20mg", "warfarin 3 mg", "apixaban 2.5 MG", "Lovenox 40 mg daily"])
def test_a_blood_thinner_written_with_its_dose_in_the_allergy_box_is_a_medicine_taken(text):
    assert "medications.anticoagulant" in run(allergies=text).codes


def test_a_bare_medicine_name_in_the_allergy_box_after_no_to_blood_thinners_is_held_for_review_not_cleared():
    result = run(blood_thinners="no", allergies="Eliquis")

    assert result.outcome is Outcome.REVIEW
    assert set(result.codes) == {"allergies.medicine_unclear", "answers.contradiction"}
    contradiction = result.flag("answers.contradiction")
    assert contradiction.details["contradictions"] == [{
        "question": "blood_thinners", "answer": "no", "field": "allergies", "words": ["Eliquis"],
        "read_as": "apixaban (anticoagulant)",
    }]
    assert "you answered No about taking a blood thinner" in contradiction.patient_message
    assert "“Eliquis” in your answer about allergies" in contradiction.patient_message
    assert "'blood thinner' answered no, but allergies says “Eliquis”" in contradiction.staff_reason
    assert "Eliquis (apixaban)" in result.flag("allergies.medicine_unclear").patient_message


@pytest.mark.parametrize(
    ("changes", "question", "code"),
    [
        ({"clot_history": "no", "anything_else": "DVT in 2015"}, "clot_history", "clots.history"),
        ({"clotting_disorder": "no", "clotting_disorder_details": "factor V Leiden"}, "clotting_disorder",
         "clotting_disorder.known"),
        ({"pregnant": "no", "serious_illness_details": "I'm pregnant"}, "pregnant", "pregnancy.current"),
        ({"breastfeeding": "no", "anything_else": "still breastfeeding"}, "breastfeeding", "breastfeeding.current"),
        ({"heart_shunt": "no", "anything_else": "PFO closed in 2010"}, "heart_shunt", "heart.shunt"),
        ({"hormone_therapy": "no", "medications": "Microgynon"}, "hormone_therapy", "hormones.therapy"),
        ({"diabetes": "no", "medications": "metformin for type 2 diabetes"}, "diabetes", "diabetes.poorly_controlled"),
        ({"recent_surgery_or_hospital_stay": "no", "surgery_details": "knee operation"},
         "recent_surgery_or_hospital_stay", "surgery.recent_unsure"),
        ({"had_sclerotherapy_before": "no", "anything_else": "had sclerotherapy in 2020"},
         "had_sclerotherapy_before", None),
    ],
)
def test_a_no_that_the_words_contradict_keeps_the_cautious_reading_and_tells_the_clinician(changes, question, code):
    result = run(**changes)

    assert not result.cleared
    assert question in [c["question"] for c in result.flag("answers.contradiction").details["contradictions"]]
    if code:
        assert code in result.codes


@pytest.mark.parametrize(
    ("changes", "codes"),
    [
        ({"clot_history": "yes", "anything_else": "DVT in 2015"}, {"clots.history"}),
        ({"blood_thinners": "yes", "medications": "warfarin"}, {"medications.anticoagulant"}),
        ({"diabetes": "well_controlled", "medications": "metformin for type 2 diabetes"}, {"diabetes.controlled"}),
        ({"pregnant": "yes", "anything_else": "maybe pregnant"}, {"pregnancy.current"}),
        ({"blood_thinners": "no", "medications": "stopped warfarin in 2019"}, {"medications.unclear"}),
    ],
)
def test_words_that_agree_with_the_tick_box_add_no_contradiction(changes, codes):
    assert set(run(**changes).codes) == codes


def test_a_tick_box_and_words_that_say_different_things_raise_both_findings():
    result = run(pregnant="unsure", anything_else="pregnant, 10 weeks")

    assert result.outcome is Outcome.NOT_ELIGIBLE
    assert {"pregnancy.current", "pregnancy.unsure"} <= set(result.codes)


# --- Negation covers only its own phrase ---------------------------------------------------------


@pytest.mark.parametrize(
    ("box", "text", "code"),
    [
        ("allergies", "no allergies except polidocanol", "allergies.polidocanol"),
        ("allergies", "None except Asclera", "allergies.polidocanol"),
        ("allergies", "No known allergies apart from Fibrovein", "allergies.sodium_tetradecyl_sulfate"),
        ("medications", "no blood thinners except xarelto", "medications.anticoagulant"),
        ("medications", "nothing but aspirin 75mg", "medications.antiplatelet"),
        ("anything_else", "no DVT, but had a PE in 2019", "clots.history"),
        ("anything_else", "not pregnant but breastfeeding", "breastfeeding.current"),
        ("anything_else", "sin alergias excepto polidocanol", "allergies.polidocanol"),
    ],
)
def test_a_negation_does_not_reach_past_except_or_but(box, text, code):
    assert code in run(blood_thinners="yes", **{box: text}).codes


@pytest.mark.parametrize(
    ("box", "text"),
    [
        ("anything_else", "I'm not pregnant"),
        ("anything_else", "never had a DVT"),
        ("anything_else", "no history of blood clots"),
        ("clotting_disorder_details", "factor V Leiden negative"),
        ("anything_else", "Pregnant: no"),
        ("anything_else", "not breastfeeding"),
        ("medications", "no blood thinners"),
        ("medications", "no steroids or hormones"),
        ("allergies", "not allergic to latex"),
        ("anything_else", "no embarazada"),
    ],
)
def test_a_denied_finding_is_nothing(box, text):
    assert run(**{box: text}).cleared


def test_a_named_blood_thinner_that_is_denied_or_stopped_is_unclear_not_nothing():
    for text in ("I don't take warfarin", "not on Xarelto anymore", "stopped Eliquis last week", "maybe Plavix?"):
        assert run(blood_thinners="no", medications=text).codes == ("medications.unclear",), text


# --- Ways of saying "nothing" ---------------------------------------------------------------------

NOTHING = ["", "   ", "none", "None.", "N/A", "n/a", "NA", "nil", "Nil", "nothing", "Nothing else", "no", "No.",
           "-", "--", "–", ".", "none known", "No known allergies", "no known drug allergies", "NKDA", "NKA",
           "not applicable", "nope", "no problems", "no changes", "nothing to add", "nada", "ninguna",
           "sin cambios", "no tengo"]


@pytest.mark.parametrize("box", list(TEXT_FIELDS))
@pytest.mark.parametrize("text", NOTHING)
def test_common_ways_of_saying_nothing_are_nothing_in_every_box(text, box):
    assert read_text(text).says_none
    assert run(**{box: text}).cleared


@pytest.mark.parametrize("text", ["?", "not sure", "don't know", "can't remember", "some tablets"])
def test_doubt_is_not_nothing(text):
    assert not read_text(text).says_none
    assert run(anything_else=text).outcome is Outcome.REVIEW


# --- Words that can't be placed go to review ------------------------------------------------------

UNRECOGNISED_CODE = {"medications": "medications.unrecognised", "allergies": "allergies.unrecognised"}


@pytest.mark.parametrize("box", list(TEXT_FIELDS))
def test_words_the_reader_cannot_place_go_to_review_in_every_box(box):
    result = run(**{box: "zorbitol drops from my aunt"})

    code = UNRECOGNISED_CODE.get(box, "text.unrecognised")
    assert result.outcome is Outcome.REVIEW
    assert "zorbitol" in " ".join(result.flag(code).details["unrecognised"])


def test_chest_pain_is_not_passed_because_chest_is_a_body_area():
    assert run(anything_else="chest pain").flag("text.unrecognised").details["unrecognised"] == ["chest"]
    assert run(treatment_areas=["legs", "other"], treatment_area_other="arms").codes == ("treatment.other_area",)


def test_expected_after_effects_are_understood_only_in_the_reaction_box():
    assert run(had_sclerotherapy_before="yes", sclerotherapy_serious_reaction="no",
               sclerotherapy_neuro_cardiac_event="no",
               sclerotherapy_reaction_details="some bruising and itching").cleared
    assert run(anything_else="I bruise easily").outcome is Outcome.REVIEW


# --- The patient's words are kept exactly, and the flags say where they stand ---------------------


def test_the_text_is_kept_exactly_and_each_flag_points_at_the_words_behind_it():
    typed = "  Latex;\nELIQUIS 5mg  twice daily (for AF) "
    answers = Answers.from_dict({**BASE, "allergies": typed})
    result = screen(answers, today=TODAY)

    assert answers.to_dict()["allergies"] == typed
    spans = [span for flag in result.flags for span in flag.spans]
    assert {(s["text"], s["kind"]) for s in spans} >= {("ELIQUIS", "found"), ("Latex", "found"), ("AF", "unplaced")}
    for span in spans:
        assert typed[span["start"]:span["end"]] == span["text"]


# --- The lexicon is data, each entry with its category and source ----------------------------------


def test_every_lexicon_entry_has_a_category_a_source_and_names_that_mean_one_thing():
    assert ENTRIES
    assert all(entry.source.strip() and entry.names for entry in ENTRIES)
    assert lexicon_problems() == []


@pytest.mark.parametrize(
    ("text", "category", "canonical"),
    [
        ("Lovenox", Category.ANTICOAGULANT, "enoxaparin"), ("Clexane", Category.ANTICOAGULANT, "enoxaparin"),
        ("Inhixa", Category.ANTICOAGULANT, "enoxaparin"), ("Fragmin", Category.ANTICOAGULANT, "dalteparin"),
        ("Innohep", Category.ANTICOAGULANT, "tinzaparin"), ("Arixtra", Category.ANTICOAGULANT, "fondaparinux"),
        ("edoxaban", Category.ANTICOAGULANT, "edoxaban"), ("Savaysa", Category.ANTICOAGULANT, "edoxaban"),
        ("Lixiana", Category.ANTICOAGULANT, "edoxaban"), ("Sintrom", Category.ANTICOAGULANT, "acenocoumarol"),
        ("Brilinta", Category.ANTIPLATELET, "ticagrelor"), ("Brilique", Category.ANTIPLATELET, "ticagrelor"),
        ("Effient", Category.ANTIPLATELET, "prasugrel"), ("Efient", Category.ANTIPLATELET, "prasugrel"),
        ("Asclera", Category.POLIDOCANOL, "polidocanol"), ("Aethoxysklerol", Category.POLIDOCANOL, "polidocanol"),
        ("Varithena", Category.POLIDOCANOL, "polidocanol"), ("lauromacrogol 400", Category.POLIDOCANOL, "polidocanol"),
        ("laureth-9", Category.POLIDOCANOL, "polidocanol"), ("Etoxisclerol", Category.POLIDOCANOL, "polidocanol"),
        ("sodium tetradecyl sulphate", Category.SODIUM_TETRADECYL_SULFATE, "sodium tetradecyl sulfate"),
        ("Sotradecol", Category.SODIUM_TETRADECYL_SULFATE, "sodium tetradecyl sulfate"),
        # common misspellings and abbreviations
        ("Zarelto", Category.ANTICOAGULANT, "rivaroxaban"), ("asprin", Category.ASPIRIN, "aspirin"),
        ("ibuprophen", Category.NSAID, "ibuprofen"), ("polydocanol", Category.POLIDOCANOL, "polidocanol"),
        ("LMWH", Category.ANTICOAGULANT, "low molecular weight heparin"), ("DOAC", Category.ANTICOAGULANT,
                                                                          "anticoagulant (unspecified)"),
        ("pregant", Category.PREGNANCY, "pregnant"), ("diabeties", Category.DIABETES, "diabetes"),
        # Spanish
        ("aspirina", Category.ASPIRIN, "aspirin"), ("warfarina", Category.ANTICOAGULANT, "warfarin"),
        ("heparina", Category.ANTICOAGULANT, "heparin"), ("anticonceptivos", Category.HORMONE, "oral contraceptive"),
        ("embarazada", Category.PREGNANCY, "pregnant"), ("trombosis venosa profunda", Category.CLOT, "blood clot (DVT/PE)"),
        ("lactancia", Category.BREASTFEEDING, "breastfeeding"), ("tetradecil sulfato de sodio",
                                                                 Category.SODIUM_TETRADECYL_SULFATE,
                                                                 "sodium tetradecyl sulfate"),
    ],
)
def test_the_lexicon_knows_brands_across_countries_british_spellings_misspellings_and_spanish(text, category, canonical):
    (match,) = read_text(text).matches

    assert (match.category, match.canonical) == (category, canonical)
    assert match.matched_text == text


# --- Stored screenings are unchanged ------------------------------------------------------------------

# A result exactly as ruleset 2026.11.1 stored it: Eliquis in the allergy box was only "good to know".
STORED_2026_11_1 = {
    "ruleset_version": "2026.11.1",
    "screened_on": "2026-11-20",
    "outcome": "cleared",
    "postpone_until": None,
    "postpone_open_ended": False,
    "config": {"clot_history_severity": "not_eligible", "anticoagulants_severity": "not_eligible",
               "pregnancy_postpone_months": 3, "surgery_postpone_months": 3, "minimum_age": 18,
               "clot_risk_factor_threshold": 2, "obesity_bmi": 30.0, "no_flying_days": 3},
    "flags": [{
        "code": "allergies.other", "severity": "advice",
        "patient_message": "Thank you for telling us about your allergies: Eliquis (apixaban). Please remind the "
                           "clinician on the day.",
        "staff_reason": "Other allergies, not to a sclerosant: Eliquis (apixaban). Check gloves, skin "
                        "preparation and dressings.",
        "source": "intake issue (other allergies: advice)",
        "triggers": {"allergies": "Eliquis 5mg twice daily"},
        "details": {"terms": [{"category": "anticoagulant", "canonical": "apixaban", "matched_text": "Eliquis",
                               "fuzzy": False, "cues": ["regular"]}]},
        "until": None,
    }],
}


def test_a_result_stored_by_the_old_ruleset_loads_exactly_as_it_was_decided():
    restored = ScreeningResult.from_dict(json.loads(json.dumps(STORED_2026_11_1)))

    assert restored.to_dict() == STORED_2026_11_1
    assert restored.outcome is Outcome.CLEARED  # as decided then, though today's rules would hold it
    assert restored.ruleset_version == "2026.11.1" != rules.RULESET_VERSION
    assert restored.flags[0].spans == []
    assert run(blood_thinners="no", allergies="Eliquis 5mg twice daily").outcome is Outcome.NOT_ELIGIBLE

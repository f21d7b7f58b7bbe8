"""Intake services and the database's invariants: versioning, re-confirmation, consent, expiry."""

from dataclasses import replace
from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.models import AuditEvent
from intake import rules, services
from intake.eligibility import booking_clearance
from intake.models import (
    Consent,
    ConsentText,
    IntakeSettings,
    Reconfirmation,
    Screening,
    ScreeningDecision,
    ScreeningStatus,
)
from tests.intake.factories import NOTHING_TO_REPORT, ScreeningFactory, answers_with

pytestmark = pytest.mark.django_db

NOTHING_CHANGED = {"pregnant_now": "no", "new_clot": "no", "unwell_now": "no", "new_medications": "none",
                   "new_allergies": "none"}


def complete_draft(patient, **changes) -> Screening:
    services.draft_save(patient=patient, step=1, answers=answers_with(**changes))
    draft = Screening.objects.get(patient=patient, status=ScreeningStatus.DRAFT)
    draft.current_step = 7
    draft.save()
    return draft


def submit(patient, **changes) -> Screening:
    complete_draft(patient, **changes)
    return services.screening_submit(patient=patient, typed_name=patient.full_name, consent_text=ConsentText.current())


# --- Versioning ---------------------------------------------------------------------------------


def test_a_stored_screening_keeps_its_flags_and_outcome_after_the_rules_change(patient, clinic, monkeypatch):
    screening = submit(patient, pregnant="yes")
    softer = tuple(replace(r, severity=rules.Severity.ADVICE, patient="Changed.") if r.key == "pregnancy.current"
                   else r for r in rules.RULES)
    monkeypatch.setattr(rules.catalogue, "RULES", softer)
    assert rules.screen(rules.Answers.from_dict(answers_with(pregnant="yes")), today=timezone.localdate()).cleared

    stored = Screening.objects.get(pk=screening.pk)
    assert stored.outcome == "not_eligible"
    assert stored.screening_result.flag("pregnancy.current").severity is rules.Severity.NOT_ELIGIBLE
    assert stored.screening_result.flag("pregnancy.current").patient_message != "Changed."
    assert stored.ruleset_version == rules.RULESET_VERSION
    assert booking_clearance(patient, needs_screening=True, starts_at=timezone.now() + timedelta(days=10)).code == "not_eligible"


def test_a_screening_stores_the_answers_and_every_flag_with_its_triggers(patient, clinic):
    screening = submit(patient, medications="Xarelto 20mg")
    assert screening.answers["medications"] == "Xarelto 20mg"
    flag = screening.result["flags"][0]
    assert flag["code"] == "medications.anticoagulant"
    assert flag["triggers"] == {"medications": "Xarelto 20mg"}


# --- Database invariants ------------------------------------------------------------------------


def test_a_patient_has_at_most_one_draft(patient):
    Screening.objects.create(patient=patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        Screening.objects.create(patient=patient)


def test_a_patient_has_at_most_one_current_screening(patient):
    ScreeningFactory(patient=patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScreeningFactory(patient=patient)


def test_a_sent_screening_without_a_result_is_refused_by_the_database(patient):
    with pytest.raises(IntegrityError), transaction.atomic():
        Screening.objects.create(patient=patient, status="submitted", submitted_at=timezone.now())


def test_a_decision_without_a_note_is_refused_by_the_database(patient, clinician):
    screening = ScreeningFactory(patient=patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScreeningDecision.objects.create(screening=screening, clinician=clinician, decision="clear", note="")


def test_sending_twice_is_refused_the_second_time(patient, clinic):
    submit(patient)
    with pytest.raises(services.IntakeError, match="no unsent answers"):
        services.screening_submit(patient=patient, typed_name=patient.full_name, consent_text=ConsentText.current())


def test_an_unfinished_draft_cannot_be_sent(patient, clinic):
    services.draft_save(patient=patient, step=1, answers={"date_of_birth": "1985-06-15"})
    with pytest.raises(services.IntakeError, match="every step"):
        services.screening_submit(patient=patient, typed_name=patient.full_name, consent_text=ConsentText.current())


def test_a_malformed_answer_is_refused_with_a_plain_message(patient):
    with pytest.raises(services.IntakeError, match="could not be saved"):
        services.draft_save(patient=patient, step=2, answers={"pregnant": "perhaps"})


# --- Consent ------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Alice Walker", "alice walker", "  ALICE   Walker\t", "Alice\nWalker"])
def test_a_signature_matches_regardless_of_case_and_spacing(typed):
    assert services.names_match(typed, "Alice Walker")


@pytest.mark.parametrize("typed", ["Alice", "Walker Alice", "Alice Walker Jr", "", "Alíce Walker"])
def test_a_signature_that_is_not_the_full_name_is_refused(typed):
    assert not services.names_match(typed, "Alice Walker")


def test_a_mismatched_signature_raises_with_the_expected_name(patient):
    with pytest.raises(services.IntakeError, match="Alice Walker"):
        services.consent_sign(patient=patient, typed_name="Bob Stone", text=ConsentText.current())


def test_a_new_consent_version_must_be_signed_before_the_next_booking(client, patient, clinic):
    submit(patient)
    starts = timezone.now() + timedelta(days=20)
    assert booking_clearance(patient, needs_screening=True, starts_at=starts).allowed
    ConsentText.objects.create(version="2027.1", title="Consent to sclerotherapy", body="New words.",
                               published_at=timezone.now() - timedelta(minutes=1))
    refused = booking_clearance(patient, needs_screening=True, starts_at=starts)
    assert (refused.code, refused.action_url) == ("consent_missing", "/intake/consent/")

    client.force_login(patient.user)
    assert "New words." in client.get("/intake/consent/").text
    client.post("/intake/consent/", {"agree": "on", "typed_name": "Alice Walker"})
    assert booking_clearance(patient, needs_screening=True, starts_at=starts).allowed
    assert Consent.objects.filter(patient=patient).count() == 2


def test_the_exact_text_of_every_consent_version_stays_readable(client, patient, clinic):
    old = ConsentText.current()
    ConsentText.objects.create(version="2027.1", title="Consent", body="New words.")
    client.force_login(patient.user)
    assert old.body.split("\n")[0][:60] in client.get(f"/intake/consent/{old.version}/").text


# --- Re-confirmation ----------------------------------------------------------------------------


def test_nothing_changed_keeps_the_screening_and_its_clinician_decision(patient, clinic, clinician):
    screening = submit(patient, migraine_with_aura="yes")
    services.screening_decide(screening=screening, clinician=clinician, decision="clear", note="fine")
    made = services.reconfirmation_submit(patient=patient, changes=NOTHING_CHANGED)
    assert (made.changed, made.resulting_screening, made.screening) == (False, None, screening)
    assert Screening.objects.get(patient=patient, status="submitted") == screening
    assert booking_clearance(patient, needs_screening=True, starts_at=timezone.now() + timedelta(days=3)).allowed


def test_a_new_blood_thinner_reruns_the_rules_and_makes_a_new_screening(patient, clinic):
    first = submit(patient)
    made = services.reconfirmation_submit(patient=patient, changes={**NOTHING_CHANGED, "new_medications": "Eliquis"})
    assert made.changed
    fresh = made.resulting_screening
    assert (fresh.status, fresh.source, fresh.outcome, fresh.previous) == ("submitted", "reconfirmation",
                                                                          "not_eligible", first)
    assert fresh.answers["medications"] == "Eliquis"  # "none" before, so nothing to append to
    assert fresh.expires_at == first.expires_at  # five questions do not renew the whole questionnaire
    first.refresh_from_db()
    assert first.status == ScreeningStatus.SUPERSEDED
    assert booking_clearance(patient, needs_screening=True, starts_at=timezone.now() + timedelta(days=3)).code == "not_eligible"


def test_a_pregnancy_reported_on_the_form_stops_treatment(client, patient, clinic):
    submit(patient)
    client.force_login(patient.user)
    response = client.post("/intake/anything-changed/", {**NOTHING_CHANGED, "pregnant_now": "yes"})
    assert response["Location"] == "/intake/result/"
    assert Screening.objects.get(patient=patient, status="submitted").outcome == "not_eligible"
    assert "isn't right for you here" in client.get("/intake/result/").text


def test_a_reconfirmation_satisfies_the_seven_day_check_before_a_session(patient, clinic):
    with time_machine.travel(timezone.now() - timedelta(days=30), tick=False):
        submit(patient)
    starts = timezone.now() + timedelta(days=5)
    assert booking_clearance(patient, needs_screening=True, starts_at=starts).code == "reconfirm_needed"
    services.reconfirmation_submit(patient=patient, changes=NOTHING_CHANGED)
    assert booking_clearance(patient, needs_screening=True, starts_at=starts).code == "cleared"
    assert Reconfirmation.objects.get(patient=patient).answers == {**NOTHING_CHANGED, "other_changes": None}
    assert AuditEvent.objects.filter(action="intake.reconfirmation.submitted", patient=patient).exists()


def test_the_reconfirmation_form_shows_errors_next_to_each_question(client, patient, clinic):
    submit(patient)
    client.force_login(patient.user)
    response = client.post("/intake/anything-changed/", {"pregnant_now": "no", "new_medications": "ibuprofen"})
    assert set(response.context["form"].errors) == {"new_clot", "unwell_now", "new_allergies"}
    assert "ibuprofen" in response.text


def test_reconfirming_without_a_screening_sends_the_patient_to_the_questionnaire(client, patient, clinic):
    client.force_login(patient.user)
    assert client.get("/intake/anything-changed/")["Location"] == "/intake/"


# --- Expiry -------------------------------------------------------------------------------------


def test_a_screening_expires_after_the_clinics_validity_days(patient, clinic):
    IntakeSettings.objects.create(clinic=clinic, validity_days=90)
    screening = submit(patient)
    assert screening.expires_at == screening.submitted_at + timedelta(days=90)
    assert booking_clearance(patient, needs_screening=True, starts_at=timezone.now() + timedelta(days=89)).allowed
    late = booking_clearance(patient, needs_screening=True, starts_at=timezone.now() + timedelta(days=91))
    assert late.code == "expired" and "renewing before" in late.message


def test_after_expiry_alice_renews_from_her_last_answers(client, patient, clinic):
    with time_machine.travel(timezone.now() - timedelta(days=200), tick=False):
        submit(patient)
    client.force_login(patient.user)
    assert "Your answers need renewing" in client.get("/intake/result/").text
    client.post("/intake/update/")
    draft = Screening.objects.get(patient=patient, status="draft")
    kept = {k: v for k, v in draft.answers.items() if v is not None}
    assert kept == {k: v for k, v in answers_with().items() if v is not None}


def test_default_settings_apply_when_the_clinic_has_none(clinic):
    found = IntakeSettings.for_clinic(clinic)
    assert (found.pk, found.validity_days, found.reconfirm_days) == (None, 180, 7)


def test_the_first_step_saved_starts_a_draft_and_is_audited_without_answers(patient):
    services.draft_save(patient=patient, step=1, answers={"date_of_birth": "1985-06-15"})
    event = AuditEvent.objects.get(action="intake.draft.started")
    assert event.patient == patient and event.details == {}
    assert set(NOTHING_TO_REPORT) >= set(Screening.objects.get().answers)

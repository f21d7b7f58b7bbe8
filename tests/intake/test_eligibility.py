"""booking_clearance(): the contract booking builds on, loading real rows."""

from datetime import timedelta

import pytest
from django.utils import timezone

from intake.eligibility import BookingClearance, booking_clearance
from intake.models import Decision, IntakeSettings, Reconfirmation, Screening, ScreeningDecision, ScreeningStatus
from tests.intake.factories import ScreeningFactory, answers_with, sign_consent

pytestmark = pytest.mark.django_db


def clearance_for(patient, days_ahead=30, **kwargs) -> BookingClearance:
    return booking_clearance(
        patient, needs_screening=True, starts_at=timezone.now() + timedelta(days=days_ahead), **kwargs
    )


def test_a_cleared_patient_with_consent_may_book(patient):
    ScreeningFactory(patient=patient)
    sign_consent(patient)
    result = clearance_for(patient)
    assert result == BookingClearance(True, "cleared", "You're cleared for this treatment session.", None)


def test_a_consultation_needs_no_screening(patient):
    result = booking_clearance(patient, needs_screening=False, starts_at=timezone.now() + timedelta(days=1))
    assert (result.allowed, result.code) == (True, "not_needed")


def test_alice_with_nothing_on_file_is_sent_to_the_questionnaire(patient):
    result = clearance_for(patient)
    assert (result.allowed, result.code, result.action_url) == (False, "no_screening", "/intake/")


def test_alice_with_only_a_draft_is_asked_to_finish_it(patient):
    Screening.objects.create(patient=patient, answers={"pregnant": "no"})
    assert clearance_for(patient).code == "draft_only"


def test_a_screening_waiting_for_review_refuses_a_session(patient):
    ScreeningFactory(patient=patient, answers=answers_with(migraine_with_aura="yes"))
    sign_consent(patient)
    result = clearance_for(patient)
    assert (result.allowed, result.code, result.action_url) == (False, "review_pending", "/intake/result/")


def test_a_clinicians_clear_lets_a_reviewed_patient_book(patient, clinician):
    screening = ScreeningFactory(patient=patient, answers=answers_with(migraine_with_aura="yes"), decision=Decision.CLEAR)
    ScreeningDecision.objects.create(screening=screening, clinician=clinician, decision=Decision.CLEAR, note="ok")
    sign_consent(patient)
    assert clearance_for(patient).code == "cleared"


@pytest.mark.parametrize(("decision", "code"), [("not_suitable", "not_eligible"), ("request_info", "info_requested")])
def test_a_clinicians_refusal_or_question_refuses_a_session(patient, decision, code):
    ScreeningFactory(patient=patient, answers=answers_with(migraine_with_aura="yes"), decision=decision)
    sign_consent(patient)
    assert clearance_for(patient).code == code


def test_a_pregnant_patient_is_not_eligible(patient):
    ScreeningFactory(patient=patient, answers=answers_with(pregnant="yes"))
    sign_consent(patient)
    result = clearance_for(patient)
    assert (result.allowed, result.code) == (False, "not_eligible")


def test_a_recent_pregnancy_postpones_sessions_until_three_months_after_it_ended(patient):
    ended = timezone.localdate() - timedelta(days=30)
    ScreeningFactory(patient=patient, answers=answers_with(recently_pregnant="yes", pregnancy_ended_on=ended.isoformat()))
    sign_consent(patient)
    assert clearance_for(patient, days_ahead=30).code == "postponed"
    assert clearance_for(patient, days_ahead=80).code == "cleared"


def test_a_session_after_the_screening_expires_is_refused(patient):
    ScreeningFactory(patient=patient)
    sign_consent(patient)
    result = clearance_for(patient, days_ahead=181)
    assert (result.code, result.action_url) == ("expired", "/intake/update/")
    assert "renewing before" in result.message


def test_the_clinics_validity_setting_is_used_for_new_screenings_only(patient, clinic):
    IntakeSettings.objects.create(clinic=clinic, validity_days=30)
    ScreeningFactory(patient=patient)  # stored with its own expiry: 180 days
    sign_consent(patient)
    assert clearance_for(patient, days_ahead=100).code == "cleared"


def test_without_consent_the_patient_is_sent_to_sign(patient):
    ScreeningFactory(patient=patient)
    result = clearance_for(patient)
    assert (result.code, result.action_url) == ("consent_missing", "/intake/consent/")


def test_a_session_next_week_needs_a_reconfirmation_and_a_recent_one_satisfies_it(patient):
    screening = ScreeningFactory(patient=patient, submitted_at=timezone.now() - timedelta(days=40))
    sign_consent(patient)
    result = clearance_for(patient, days_ahead=5)
    assert (result.code, result.action_url) == ("reconfirm_needed", "/intake/anything-changed/")
    Reconfirmation.objects.create(patient=patient, screening=screening, answers={}, changed=False)
    assert clearance_for(patient, days_ahead=5).code == "cleared"


def test_a_superseded_screening_no_longer_counts(patient):
    ScreeningFactory(patient=patient, status=ScreeningStatus.SUPERSEDED)
    assert clearance_for(patient).code == "no_screening"


def test_bobs_screening_never_clears_alice(patient, other_patient):
    ScreeningFactory(patient=other_patient)
    sign_consent(other_patient)
    assert clearance_for(patient).code == "no_screening"


def test_a_naive_start_time_is_a_programming_error(patient):
    with pytest.raises(ValueError):
        booking_clearance(patient, needs_screening=True, starts_at=timezone.now().replace(tzinfo=None))

"""The pure booking-clearance decision (intake.clearance): every code, its order and boundaries."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.clearance import Action, Code, PatientFacts, ScreeningFacts, decide, status

TZ = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 11, 21, 17, 0, tzinfo=UTC)  # 09:00 in the clinic
SUBMITTED = NOW - timedelta(days=30)
EXPIRES = SUBMITTED + timedelta(days=180)
IN_A_MONTH = NOW + timedelta(days=30)


def screening(**changes) -> ScreeningFacts:
    base = {"outcome": "cleared", "decision": "", "submitted_at": SUBMITTED, "expires_at": EXPIRES}
    return ScreeningFacts(**{**base, **changes})


def facts(screening_facts=None, **changes) -> PatientFacts:
    base = {"screening": screening() if screening_facts is None else screening_facts, "consent_signed": True,
            "last_confirmed_at": SUBMITTED}
    return PatientFacts(**{**base, **changes})


def ask(patient_facts: PatientFacts, starts_at=IN_A_MONTH, **kwargs):
    return decide(patient_facts, needs_screening=True, starts_at=starts_at, now=NOW, tz=TZ, **kwargs)


def test_a_cleared_consented_patient_may_book_a_session_next_month():
    verdict = ask(facts())
    assert (verdict.allowed, verdict.code, verdict.action) == (True, Code.CLEARED, None)


def test_a_visit_that_needs_no_screening_is_allowed_even_with_nothing_on_file():
    verdict = decide(PatientFacts(screening=None), needs_screening=False, starts_at=IN_A_MONTH, now=NOW, tz=TZ)
    assert (verdict.allowed, verdict.code) == (True, Code.NOT_NEEDED)


def test_no_screening_and_only_a_draft_send_the_patient_to_the_questionnaire():
    nothing = ask(PatientFacts(screening=None))
    draft = ask(PatientFacts(screening=None, has_draft=True))
    assert (nothing.allowed, nothing.code, nothing.action) == (False, Code.NO_SCREENING, Action.QUESTIONNAIRE)
    assert (draft.allowed, draft.code, draft.action) == (False, Code.DRAFT_ONLY, Action.QUESTIONNAIRE)


def test_a_screening_waiting_for_review_is_refused_and_says_a_consultation_can_be_booked():
    verdict = ask(facts(screening(outcome="review")), review_days=2)
    assert (verdict.allowed, verdict.code) == (False, Code.REVIEW_PENDING)
    assert "2 working days" in verdict.message and "consultation" in verdict.message


@pytest.mark.parametrize(
    ("outcome", "decision", "code"),
    [
        ("not_eligible", "", Code.NOT_ELIGIBLE),
        ("review", "not_suitable", Code.NOT_ELIGIBLE),
        ("cleared", "not_suitable", Code.NOT_ELIGIBLE),
        ("review", "request_info", Code.INFO_REQUESTED),
        ("review", "clear", Code.CLEARED),
        ("not_eligible", "clear", Code.CLEARED),  # e.g. a clot long ago, judged by the clinician
    ],
)
def test_a_clinicians_decision_overrides_the_rules_outcome(outcome, decision, code):
    assert ask(facts(screening(outcome=outcome, decision=decision))).code is code


def test_a_postponed_screening_allows_sessions_from_its_date_in_the_clinics_zone():
    facts_ = facts(screening(outcome="postpone", postpone_until=date(2026, 12, 24)))
    evening_before = datetime(2026, 12, 23, 23, 30, tzinfo=TZ)  # 07:30 on the 24th in UTC
    morning_of = datetime(2026, 12, 24, 8, 0, tzinfo=TZ)
    refused = ask(facts_, starts_at=evening_before)
    assert (refused.code, refused.action) == (Code.POSTPONED, Action.RESULT)
    assert "24 December 2026" in refused.message
    assert ask(facts_, starts_at=morning_of).code is Code.CLEARED


def test_an_open_ended_postponement_refuses_every_session_until_the_answers_change():
    verdict = ask(facts(screening(outcome="postpone", postpone_open_ended=True)), starts_at=NOW + timedelta(days=150))
    assert verdict.code is Code.POSTPONED


def test_a_clinicians_clear_does_not_lift_a_postponement_date():
    facts_ = facts(screening(outcome="review", decision="clear", postpone_until=date(2027, 1, 10)))
    assert ask(facts_, starts_at=datetime(2027, 1, 9, 10, tzinfo=TZ)).code is Code.POSTPONED
    assert ask(facts_, starts_at=datetime(2027, 1, 10, 10, tzinfo=TZ)).code is Code.CLEARED


def test_a_session_after_the_answers_expire_is_refused_with_the_date_to_renew_by():
    verdict = ask(facts(), starts_at=EXPIRES + timedelta(hours=1))
    assert (verdict.allowed, verdict.code, verdict.action) == (False, Code.EXPIRED, Action.UPDATE)
    assert "renewing before 20 April 2027" in verdict.message


def test_a_session_one_minute_before_expiry_is_still_allowed():
    assert ask(facts(), starts_at=EXPIRES - timedelta(minutes=1)).code is Code.CLEARED


def test_expired_answers_refuse_any_session_now():
    verdict = ask(facts(screening(expires_at=NOW - timedelta(seconds=1))), starts_at=NOW + timedelta(days=1))
    assert verdict.code is Code.EXPIRED


def test_without_signed_consent_the_patient_is_sent_to_sign_it():
    verdict = ask(facts(consent_signed=False))
    assert (verdict.code, verdict.action) == (Code.CONSENT_MISSING, Action.CONSENT)


def test_a_session_within_seven_days_needs_a_reconfirmation_in_the_seven_days_before_it():
    starts = NOW + timedelta(days=5)
    verdict = ask(facts(last_confirmed_at=SUBMITTED), starts_at=starts)
    assert (verdict.code, verdict.action) == (Code.RECONFIRM_NEEDED, Action.RECONFIRM)
    assert ask(facts(last_confirmed_at=starts - timedelta(days=7)), starts_at=starts).code is Code.CLEARED
    too_early = starts - timedelta(days=7, seconds=1)
    assert ask(facts(last_confirmed_at=too_early), starts_at=starts).code is Code.RECONFIRM_NEEDED


def test_a_session_more_than_seven_days_ahead_needs_no_reconfirmation_yet():
    assert ask(facts(last_confirmed_at=SUBMITTED), starts_at=NOW + timedelta(days=7, minutes=1)).code is Code.CLEARED


def test_a_fresh_screening_counts_as_a_reconfirmation():
    fresh = facts(screening(submitted_at=NOW - timedelta(hours=1)), last_confirmed_at=NOW - timedelta(hours=1))
    assert ask(fresh, starts_at=NOW + timedelta(days=2)).code is Code.CLEARED


def test_a_clinic_may_ask_for_reconfirmation_closer_to_the_session():
    starts = NOW + timedelta(days=5)
    assert ask(facts(), starts_at=starts, reconfirm_days=3).code is Code.CLEARED


def test_the_most_basic_refusal_comes_first():
    # Not eligible beats missing consent and a stale reconfirmation.
    verdict = ask(facts(screening(outcome="not_eligible"), consent_signed=False), starts_at=NOW + timedelta(days=1))
    assert verdict.code is Code.NOT_ELIGIBLE


def test_status_today_shows_cleared_with_the_validity_date_and_staff_labels():
    verdict = status(facts(), now=NOW, tz=TZ)
    assert verdict.code is Code.CLEARED and "20 April 2027" in verdict.message
    assert status(facts(screening(outcome="review")), now=NOW, tz=TZ).staff_label == "Awaiting clinician review"
    assert status(facts(screening(expires_at=NOW)), now=NOW, tz=TZ).staff_label == "Expired"


def test_status_today_of_a_postponement_that_has_passed_is_cleared():
    passed = facts(screening(outcome="postpone", postpone_until=date(2026, 11, 21)))
    assert status(passed, now=NOW, tz=TZ).code is Code.CLEARED

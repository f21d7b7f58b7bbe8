"""Writing records through the services: the dose rules with the database's figures, signing,
amendments, not treated, and booking's completion check."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from booking import services as booking
from booking.models import Status
from clinic.models import AuditEvent
from tests.booking.factories import local
from tests.intake.factories import ScreeningFactory, answers_with
from treatment import services
from treatment.models import Lot, TreatmentRecord, TreatmentSettings
from treatment.services import TreatmentError

from .conftest import TODAY, entry


def save(visit, data, by, **kwargs):
    return services.record_save(appointment=visit, data=data, by=by, **kwargs)


def finding_codes(exc_info) -> list[str]:
    return [f.code for f in exc_info.value.findings]


def test_a_session_on_both_legs_is_recorded_with_its_lot_and_total(visit, doctor):
    record = save(visit, entry("2.0", "1.5"), doctor)
    assert record.total_volume_ml == Decimal("3.50")  # kept by the database from the areas
    assert record.volume_limit_ml == Decimal("10.00")
    assert record.lot.lot_number == "PD-2026-A" and record.lot.expires_on == TODAY + timedelta(days=200)
    assert record.session_day == TODAY
    assert {a.area for a in record.areas.all()} == {"right_front_calf", "left_front_calf"}
    assert record.foam_ratio == "4:1" and not record.is_signed
    assert AuditEvent.objects.filter(action="treatment.record.created", object_id=str(record.pk)).exists()


def test_ten_millilitres_pass_and_ten_point_one_are_refused(visit, doctor):
    with pytest.raises(TreatmentError) as refused:
        save(visit, entry("4.0", "3.5", "2.6", weight_kg=Decimal("80")), doctor)
    assert finding_codes(refused) == ["volume.over_session_max"]
    assert not TreatmentRecord.objects.exists()
    record = save(visit, entry("4.0", "3.5", "2.5", weight_kg=Decimal("80")), doctor)
    assert record.total_volume_ml == Decimal("10.00")


def test_a_lower_clinic_maximum_applies_to_new_records(visit, doctor, cal):
    TreatmentSettings.objects.create(clinic=cal.clinic, max_volume_ml=Decimal("6"))
    with pytest.raises(TreatmentError) as refused:
        save(visit, entry("3.0", "3.5"), doctor)
    assert finding_codes(refused) == ["volume.over_session_max"]
    assert save(visit, entry("3.0", "3.0"), doctor).volume_limit_ml == Decimal("6.00")


def test_at_70_kg_140_mg_pass_and_141_are_refused(visit, doctor):
    two_percent = dict(concentration_percent=Decimal("2"), confirmed=frozenset({"concentration.unusual.spider"}))
    with pytest.raises(TreatmentError) as refused:
        save(visit, entry("4.00", "3.05", **two_percent), doctor)  # 7.05 mL x 2% x 10 = 141 mg
    assert "polidocanol.over_daily_max" in finding_codes(refused)
    record = save(visit, entry("4.00", "3.00", **two_percent), doctor)  # 140 mg
    assert record.polidocanol_mg == Decimal("140.0000")


def test_polidocanol_already_given_the_same_local_day_counts(cal, patient, doctor, make_visit):
    morning = make_visit(patient, hhmm="09:00")
    evening = make_visit(patient, hhmm="16:30")  # 00:30 UTC the next day: still the same local day
    one_percent = dict(concentration_percent=Decimal("1"), confirmed=frozenset({"concentration.unusual.spider"}))
    save(morning, entry("5.0", "5.0", **one_percent), doctor)  # 100 mg
    with pytest.raises(TreatmentError) as refused:
        save(evening, entry("4.1", **one_percent), doctor)  # 141 mg in all
    assert "polidocanol.over_daily_max" in finding_codes(refused)
    assert save(evening, entry("4.0", **one_percent), doctor).polidocanol_mg == Decimal("40.0000")  # 140 in all


def test_polidocanol_of_another_day_does_not_count(cal, patient, doctor, make_visit):
    one_percent = dict(concentration_percent=Decimal("1"), confirmed=frozenset({"concentration.unusual.spider"}))
    save(make_visit(patient, hhmm="09:00"), entry("5.0", "5.0", **one_percent), doctor)
    tomorrow = make_visit(patient, day=TODAY + timedelta(days=1), hhmm="09:00")
    assert save(tomorrow, entry("5.0", "5.0", **one_percent), doctor).polidocanol_mg == Decimal("100.0000")


def test_polidocanol_without_the_weight_of_the_day_is_refused(visit, doctor):
    with pytest.raises(TreatmentError) as refused:
        save(visit, entry(weight_kg=None), doctor)
    assert finding_codes(refused) == ["weight.missing"]
    assert refused.value.findings[0].field == "weight_kg"


def test_an_expired_lot_is_refused_and_not_added_to_the_lots(visit, doctor):
    with pytest.raises(TreatmentError) as refused:
        save(visit, entry(lot_expires_on=TODAY - timedelta(days=1)), doctor)
    assert finding_codes(refused) == ["lot.expired"]
    assert not Lot.objects.exists()


def test_a_lot_on_file_that_expired_is_refused(visit, doctor):
    Lot.objects.create(sclerosant="polidocanol", concentration_percent=Decimal("0.5"), lot_number="OLD-1",
                       expires_on=TODAY - timedelta(days=3))
    with pytest.raises(TreatmentError) as refused:
        save(visit, entry(lot_number="old-1", lot_expires_on=TODAY - timedelta(days=3)), doctor)
    assert finding_codes(refused) == ["lot.expired"]


def test_a_typed_expiry_that_differs_from_the_lot_on_file_is_questioned(visit, doctor):
    Lot.objects.create(sclerosant="polidocanol", concentration_percent=Decimal("0.5"), lot_number="PD-2026-A",
                       expires_on=TODAY + timedelta(days=30))
    with pytest.raises(TreatmentError) as refused:
        save(visit, entry(), doctor)
    assert refused.value.code == "lot_expiry_mismatch"


def test_the_screenings_allergy_blocks_that_sclerosant(visit, patient, doctor):
    ScreeningFactory(patient=patient, answers=answers_with(allergies="Asclera"))
    with pytest.raises(TreatmentError) as refused:
        save(visit, entry(), doctor)
    assert finding_codes(refused) == ["allergy.polidocanol"]
    sts = entry(sclerosant="sodium_tetradecyl_sulfate", concentration_percent=Decimal("0.2"), form="liquid",
                foam_gas_parts=None, foam_liquid_parts=None, lot_number="STS-9")
    assert save(visit, sts, doctor).sclerosant == "sodium_tetradecyl_sulfate"


def test_an_unusual_concentration_needs_a_confirmation_which_is_kept(visit, doctor):
    strong = entry(concentration_percent=Decimal("1"))
    with pytest.raises(TreatmentError) as asked:
        save(visit, strong, doctor)
    assert asked.value.needs_confirmation
    assert finding_codes(asked) == ["concentration.unusual.spider"]
    record = save(visit, replace(strong, confirmed=frozenset({"concentration.unusual.spider"})), doctor)
    assert record.warnings_confirmed == ["concentration.unusual.spider"]


def test_a_draft_is_saved_again_until_it_is_signed(visit, doctor):
    save(visit, entry("2.0", "1.5"), doctor)
    record = save(visit, entry("1.0"), doctor)
    assert TreatmentRecord.objects.count() == 1
    assert record.total_volume_ml == Decimal("1.00") and record.areas.count() == 1
    signed = services.record_sign(record=record, by=doctor)
    assert signed.is_signed and signed.signed_by == doctor
    with pytest.raises(TreatmentError) as refused:
        save(visit, entry("2.0"), doctor)
    assert refused.value.code == "signed"


def test_recording_needs_the_patient_checked_in(make_visit, patient, doctor):
    booked = make_visit(patient, status=Status.BOOKED)
    with pytest.raises(TreatmentError) as refused:
        save(booked, entry(), doctor)
    assert refused.value.code == "not_checked_in"


def test_only_sessions_have_a_treatment_record(make_visit, patient, doctor, cal):
    consultation = make_visit(patient, service=cal.consultation)
    with pytest.raises(TreatmentError) as refused:
        save(consultation, entry(), doctor)
    assert refused.value.code == "not_a_session"


def test_front_desk_cannot_record_or_sign(visit, front_desk, doctor):
    with pytest.raises(TreatmentError):
        save(visit, entry(), front_desk)
    record = save(visit, entry(), doctor)
    with pytest.raises(TreatmentError):
        services.record_sign(record=record, by=front_desk)


def test_an_amendment_keeps_the_original_with_who_when_and_why(visit, doctor, cal, time_machine):
    original = save(visit, entry("2.0", "1.5"), doctor, sign=True)
    other_doctor = cal.clinicians[1].staff.user
    time_machine.move_to(original.signed_at + timedelta(hours=2), tick=False)
    amended = services.record_amend(record=original, data=entry("2.0", "2.0"), reason="Left calf was 2 mL, not 1.5",
                                    by=other_doctor)
    original.refresh_from_db()
    assert original.total_volume_ml == Decimal("3.50") and original.signed_by == doctor  # untouched
    assert amended.amends == original and amended.version == 2
    assert amended.total_volume_ml == Decimal("4.00")
    assert amended.signed_by == other_doctor and amended.signed_at == original.signed_at + timedelta(hours=2)
    assert amended.amendment_reason == "Left calf was 2 mL, not 1.5"
    assert list(TreatmentRecord.objects.current()) == [amended]
    with pytest.raises(TreatmentError) as stale:
        services.record_amend(record=original, data=entry("1.0"), reason="again", by=doctor)
    assert stale.value.code == "stale"
    event = AuditEvent.objects.get(action="treatment.record.amended")
    assert event.details == {"appointment": visit.pk, "amends": original.pk, "version": 2}


def test_an_amendment_is_checked_like_a_record_without_counting_the_version_it_replaces(visit, doctor):
    two_percent = dict(concentration_percent=Decimal("2"), confirmed=frozenset({"concentration.unusual.spider"}))
    original = save(visit, entry("4.0", "3.0", **two_percent), doctor, sign=True)  # 140 mg
    amended = services.record_amend(record=original, data=entry("3.5", "3.5", **two_percent), reason="areas", by=doctor)
    assert amended.polidocanol_mg == Decimal("140.0000")
    with pytest.raises(TreatmentError) as refused:
        services.record_amend(record=amended, data=entry("4.0", "3.05", **two_percent), reason="more", by=doctor)
    assert "polidocanol.over_daily_max" in finding_codes(refused)


def test_amending_needs_a_reason(visit, doctor):
    original = save(visit, entry(), doctor, sign=True)
    with pytest.raises(TreatmentError) as refused:
        services.record_amend(record=original, data=entry(), reason="  ", by=doctor)
    assert refused.value.code == "reason_missing"


def test_not_treated_is_recorded_with_its_reason_and_signed(visit, doctor):
    record = save(visit, services.RecordInput(outcome="not_treated", not_treated_reason="patient unwell"), doctor, sign=True)
    assert record.outcome == "not_treated" and record.is_signed and record.total_volume_ml == 0
    assert record.lot is None


def test_a_session_is_completed_only_with_a_signed_record(cal, patient, front_desk, doctor, now, time_machine):
    from tests.intake.factories import sign_consent

    ScreeningFactory(patient=patient)
    sign_consent(patient)
    start = local(TODAY + timedelta(days=1), "10:00")
    visit = booking.appointment_book(patient=patient, service=cal.session, start=start, by=front_desk,
                                     clinician_id=cal.clinicians[0].pk)
    time_machine.move_to(start - timedelta(minutes=10), tick=False)
    booking.appointment_check_in(appointment=visit, by=front_desk)
    time_machine.move_to(start + timedelta(minutes=40), tick=False)
    with pytest.raises(booking.BookingError) as blocked:
        booking.appointment_complete(appointment=visit, by=front_desk)
    assert blocked.value.code == "completion_blocked"
    assert "Record and sign the treatment first" in blocked.value.message
    draft = save(visit, entry(), doctor)
    with pytest.raises(booking.BookingError):
        booking.appointment_complete(appointment=visit, by=front_desk)  # a draft is not enough
    services.record_sign(record=draft, by=doctor)
    assert booking.appointment_complete(appointment=visit, by=front_desk).status == Status.COMPLETED


def test_a_signed_not_treated_record_closes_the_visit_as_not_treated_never_as_completed(
    visit, doctor, front_desk, after_the_visit
):
    save(visit, services.RecordInput(outcome="not_treated", not_treated_reason="patient unwell"), doctor, sign=True)
    with pytest.raises(booking.BookingError) as refused:
        booking.appointment_complete(appointment=visit, by=front_desk)
    assert "close the visit as not treated" in refused.value.message
    closed = booking.appointment_mark_not_treated(appointment=visit, by=front_desk, reason="patient unwell")
    assert closed.status == Status.NOT_TREATED


def test_other_visits_complete_without_a_record(make_visit, patient, front_desk, cal, after_the_visit):
    consultation = make_visit(patient, service=cal.consultation)
    assert booking.appointment_complete(appointment=consultation, by=front_desk).status == Status.COMPLETED


def test_a_signed_record_cannot_be_signed_twice(visit, doctor):
    record = save(visit, entry(), doctor, sign=True)
    with pytest.raises(TreatmentError) as refused:
        services.record_sign(record=record, by=doctor)
    assert refused.value.code == "signed"


def test_signing_checks_again_with_the_figures_in_force(visit, doctor):
    """A draft within the limit when saved is refused at signing if the table's figure fell since."""
    from treatment.models import DoseLimit

    two_percent = dict(concentration_percent=Decimal("2"), confirmed=frozenset({"concentration.unusual.spider"}))
    draft = save(visit, entry("4.0", "3.0", **two_percent), doctor)  # 140 mg at 70 kg
    DoseLimit.objects.filter(code="polidocanol-mg-per-kg-day").update(maximum=Decimal("1.5"))
    with pytest.raises(TreatmentError) as refused:
        services.record_sign(record=draft, by=doctor)
    assert "polidocanol.over_daily_max" in finding_codes(refused)
    draft.refresh_from_db()
    assert not draft.is_signed

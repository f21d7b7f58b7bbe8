"""The patient's chart: every app's part on one page, what each role sees, its audit, and its
query budget however long the history."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from aftercare.models import CheckIn
from clinic.models import MessageStatus, OutboxMessage
from booking.models import Status, TreatmentCourse
from clinic.models import AuditEvent, Clinic
from intake.models import ScreeningStatus
from tests.intake.factories import ScreeningFactory, answers_with, sign_consent
from treatment import services

from .conftest import TODAY, entry


def chart_url(patient):
    return reverse("patient_detail", args=[patient.pk])


@pytest.fixture
def history(cal, patient, doctor, make_visit, time_machine, now):
    """Years of history: 8 screenings, 3 courses of 4 sessions (signed, some amended, one not
    treated), notes, check-ins and messages."""
    for n in range(7):
        ScreeningFactory(patient=patient, status=ScreeningStatus.SUPERSEDED, submitted_at=timezone.now() - timedelta(days=400 - n * 40))
    ScreeningFactory(patient=patient, answers=answers_with(allergies="latex"))
    sign_consent(patient)
    day = TODAY - timedelta(days=360)
    for c in range(3):
        course = TreatmentCourse.objects.create(patient=patient, service=cal.session, planned_sessions=4)
        for s in range(1, 5):
            visit = make_visit(patient, day=day, hhmm="10:00", status=Status.CHECKED_IN)
            visit.course, visit.sequence = course, s
            visit.save()
            if c == 2 and s == 4:
                services.record_save(appointment=visit, data=services.RecordInput(outcome="not_treated",
                                     not_treated_reason="patient unwell"), by=doctor, sign=True)
            else:
                record = services.record_save(appointment=visit, data=entry("1.0", "0.8", "0.6"), by=doctor, sign=True)
                if s == 2:
                    services.record_amend(record=record, data=entry("1.0", "1.0", "0.6"), reason="recount", by=doctor)
            visit.status = Status.COMPLETED
            visit.save()
            CheckIn.objects.create(appointment=visit, patient=patient, answers={}, urgency=s % 3, submitted_at=visit.end + timedelta(days=3))
            for k, kind in enumerate(("booking_confirmation", "appointment_reminder", "aftercare")):
                OutboxMessage.objects.create(about=visit, patient=patient, kind=kind, channel="email", send_at=visit.start - timedelta(days=k),
                                             planned_for=visit.start, status=MessageStatus.SENT, sent_at=visit.start - timedelta(days=k))
            day += timedelta(days=21)
        day += timedelta(days=30)
    for n in range(25):
        services.note_add(patient=patient, text=f"Note {n}", by=doctor)
    return patient


def test_the_clinician_sees_the_whole_story_within_15_queries(client, history, doctor, django_assert_max_num_queries):
    client.force_login(doctor)
    with django_assert_max_num_queries(15):
        response = client.get(chart_url(history))
    assert response.status_code == 200
    html = response.content.decode()
    for heading in ("Health screening", "Screening history (8)", "Appointments", "Treatment course",
                    "Treatment records", "Aftercare check-ins", "Reminders and messages", "Clinical notes"):
        assert heading in html
    assert "Other allergies, not to a sclerosant" in html  # the current screening's flag, for clinicians
    assert "rules " in html
    assert "Polidocanol 0.5% foam 4:1" in html and "PD-2026-A" in html and "amended, v2" in html
    assert "Not treated" in html and "patient unwell" in html
    assert "Note 24" in html and "Note 0" in html
    assert "For the clinician" in html  # a check-in's urgency
    assert "Appointment reminder · E-mail · Sent" in html  # each message named by its kind
    assert "no-store" in response["Cache-Control"]


def test_the_budget_holds_with_a_cold_cache_and_for_every_role(client, history, doctor, front_desk, clinic_admin,
                                                              django_assert_max_num_queries):
    for user in (doctor, front_desk, clinic_admin):
        Clinic.objects.current().save()  # empties the cached time zone: the worst case
        client.force_login(user)
        with django_assert_max_num_queries(15):
            assert client.get(chart_url(history)).status_code == 200


def test_front_desk_sees_the_page_without_health_answers_or_treatment_details(client, history, front_desk):
    client.force_login(front_desk)
    html = client.get(chart_url(history)).content.decode()
    assert "Health screening" in html and "Screening history (8)" in html and "Treatment course" in html
    assert "Treatment records" in html and "Signed" in html
    for hidden in ("Other allergies", "Open answers", "Polidocanol", "PD-2026-A", " mL", "Clinical notes", "Note 24",
                   "Aftercare check-ins", "For the clinician"):
        assert hidden not in html, hidden


def test_the_clinic_admin_sees_no_treatment_details_either(client, history, clinic_admin):
    client.force_login(clinic_admin)
    html = client.get(chart_url(history)).content.decode()
    assert "Treatment records" in html
    for hidden in ("Polidocanol", "Clinical notes", "Other allergies"):
        assert hidden not in html, hidden


def test_every_view_of_the_chart_is_audited(client, patient, doctor, front_desk, cal):
    for user in (doctor, front_desk):
        client.force_login(user)
        client.get(chart_url(patient))
    events = AuditEvent.objects.filter(action="clinic.chart.viewed", patient=patient)
    assert sorted(e.actor.email for e in events) == sorted([doctor.email, front_desk.email])


def test_the_patient_sees_their_own_page_without_any_clinical_part(client, patient, doctor, visit):
    services.record_save(appointment=visit, data=entry(), by=doctor, sign=True)
    client.force_login(patient.user)
    html = client.get(chart_url(patient)).content.decode()
    assert "Treatment records" not in html and "Clinical notes" not in html


def test_another_patient_gets_404(client, patient, other_patient, cal):
    client.force_login(other_patient.user)
    assert client.get(chart_url(patient)).status_code == 404


def test_an_overdue_course_shows_its_window(client, cal, patient, doctor, make_visit, now):
    course = TreatmentCourse.objects.create(patient=patient, service=cal.session, planned_sessions=3)
    visit = make_visit(patient, day=TODAY - timedelta(days=50), status=Status.COMPLETED)
    visit.course, visit.sequence = course, 1
    visit.save()
    client.force_login(doctor)
    html = client.get(chart_url(patient)).content.decode()
    assert "1 of 3 done, 0 booked" in html and "Overdue" in html


def test_notes_are_dated_signed_and_corrections_keep_the_original(client, patient, doctor, cal):
    client.force_login(doctor)
    url = reverse("treatment:note_add", args=[patient.pk])
    client.post(url, {"text": "Prefers morning visits."})
    first = patient.clinical_notes.get()
    response = client.post(url, {"text": "Prefers afternoons, in fact.", "corrects": first.pk})
    assert response.status_code == 302 and response["Location"].endswith("#notes")
    correction = patient.clinical_notes.exclude(pk=first.pk).get()
    assert correction.corrects == first and correction.written_by == doctor
    first.refresh_from_db()
    assert first.text == "Prefers morning visits."
    html = client.get(chart_url(patient)).content.decode()
    assert "corrects the note of" in html
    assert AuditEvent.objects.filter(action="treatment.note.added").count() == 2


def test_a_note_cannot_correct_another_patients_note(client, patient, other_patient, doctor, cal):
    other = services.note_add(patient=other_patient, text="theirs", by=doctor)
    client.force_login(doctor)
    response = client.post(reverse("treatment:note_add", args=[patient.pk]), {"text": "x", "corrects": other.pk})
    assert response.status_code == 404
    assert not patient.clinical_notes.exists()

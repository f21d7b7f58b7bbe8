"""The clinic app's pages show what intake, booking and aftercare add, to those allowed to see it."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from aftercare.models import CheckIn
from clinic.models import MessageStatus, OutboxMessage
from booking.models import Status
from clinic import sections
from tests.intake.factories import ScreeningFactory, answers_with

pytestmark = pytest.mark.django_db


def page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_patient_menu_leads_to_booking_and_aftercare(client, patient):
    html = page(client, patient.user, reverse("patient_home"))
    assert f'href="{reverse("booking:start")}">Book<' in html
    assert f'href="{reverse("aftercare:today")}">Aftercare<' in html
    assert reverse("booking:desk_calendar") not in html


def test_the_patient_home_shows_aftercare_and_the_check_in_after_a_session(client, patient, make_appointment):
    html = page(client, patient.user, reverse("patient_home"))
    assert 'id="aftercare-heading"' not in html  # nothing to look after yet
    session = make_appointment(patient, start=timezone.now() - timedelta(days=3), status=Status.COMPLETED)
    html = page(client, patient.user, reverse("patient_home"))
    assert 'id="aftercare-heading"' in html
    assert reverse("aftercare:check_in", args=[session.pk]) in html
    CheckIn.objects.create(patient=patient, appointment=session, answers={}, urgency=0, submitted_at=timezone.now())
    html = page(client, patient.user, reverse("patient_home"))
    assert reverse("aftercare:check_in", args=[session.pk]) not in html  # answered already
    assert 'id="intake-heading"' in html and 'id="visits-heading"' in html  # the other apps' parts stay


def test_the_staff_menu_counts_open_check_ins_and_message_problems(client, clinician, front_desk, patient, make_appointment):
    session = make_appointment(patient, start=timezone.now() - timedelta(days=3), status=Status.COMPLETED)
    CheckIn.objects.create(patient=patient, appointment=session, answers={}, urgency=2, submitted_at=timezone.now())
    OutboxMessage.objects.create(about=session, patient=patient, kind="aftercare", channel="email",
                                 send_at=timezone.now(), planned_for=session.start, status=MessageStatus.FAILED)
    html = page(client, clinician, reverse("staff_home"))
    assert 'Check-ins <span class="badge text-bg-warning">1<' in html
    assert 'Messages <span class="badge text-bg-danger">1<' in html
    assert ">Reviews<" in html
    html = page(client, front_desk, reverse("staff_home"))
    assert reverse("aftercare:check_in_queue") not in html  # health answers are for clinicians
    assert 'Messages <span class="badge text-bg-danger">1<' in html
    assert ">Calendar<" in html


def test_a_patients_record_shows_appointments_messages_and_screening_status_but_answers_only_to_clinicians(
    client, front_desk, clinician, patient, make_appointment
):
    visit = make_appointment(patient, start=timezone.now() + timedelta(days=5))
    OutboxMessage.objects.create(about=visit, patient=patient, kind="appointment_reminder", channel="email",
                                 send_at=timezone.now() + timedelta(days=4), planned_for=visit.start)
    html = page(client, front_desk, patient.get_absolute_url())
    assert reverse("booking:desk_appointment", args=[visit.pk]) in html
    assert "0 sent · 1 waiting" in html
    assert reverse("aftercare:delivery_log", args=[patient.pk]) in html
    assert 'id="screening-heading"' in html  # the desk needs the status to book a session
    assert ">Open answers<" not in html
    screening = ScreeningFactory(patient=patient)
    assert ">Open answers<" not in page(client, front_desk, patient.get_absolute_url())
    html = page(client, clinician, patient.get_absolute_url())
    assert reverse("intake:screening_answers", args=[screening.pk]) in html


def test_a_page_section_must_name_a_known_page():
    with pytest.raises(ValueError, match="Unknown page"):
        sections.register("patient_hme", "x.html")


def test_the_staff_home_shows_each_role_what_waits_for_it(client, clinician, front_desk, patient, make_appointment):
    from intake.models import ScreeningStatus

    ScreeningFactory(patient=patient, answers=answers_with(blood_thinners="yes"), status=ScreeningStatus.SUBMITTED)
    noon_today = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    make_appointment(patient, start=noon_today)
    html = page(client, clinician, reverse("staff_home"))
    assert re.search(r"Screenings waiting for review</h3>\s*<span[^>]*>1<", html)
    assert "Check-ins to look at" in html
    html = page(client, front_desk, reverse("staff_home"))
    assert re.search(r"Today's arrivals</h3>\s*<span[^>]*>1<", html)
    assert "Screenings waiting for review" not in html and "Check-ins to look at" not in html
    assert "Messages that need attention" in html

"""The clinic admin's settings: plain-word errors next to the field, impossible values refused
(by the form and by the database), nothing typed is lost, every change audited."""

import re
from datetime import date, time

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from booking.models import BookingPolicy, ClinicClosure, TimeOff, WorkingHours
from booking.services import BookingError, appointment_book
from booking.settings_services import policy_update
from clinic.models import AuditEvent
from intake.models import IntakeSettings
from tests.booking.factories import local

pytestmark = pytest.mark.django_db

RULES = {
    "min_days_between_sessions": 14, "max_days_between_sessions": 42, "course_sessions_default": 3,
    "course_sessions_min": 2, "course_sessions_max": 4, "notice_hours": 24, "horizon_days": 90,
    "slot_step_minutes": 15, "hold_minutes": 10, "waitlist_notify_count": 3,
}
RAW_NAMES = ("policy_spacing_valid", "policy_course_length_valid", "policy_slots_valid", "intake_settings", "violated")


def post_rules(client, **changes):
    return client.post(reverse("booking:settings_rules"), {**RULES, **changes})


def error_next_to(body, field):
    """The error text Bootstrap shows under one field (crispy's invalid-feedback)."""
    match = re.search(rf'id="error_1_id_{field}"[^>]*>\s*<strong>(.*?)</strong>', body, re.S)
    return match.group(1).strip() if match else None


def test_the_admin_changes_the_spacing_and_a_patients_window_follows(client, cal, patient, cleared, clinic_admin, front_desk, now):
    appointment_book(patient=patient, service=cal.session, start=local(date(2026, 3, 4), "10:00"), by=front_desk)
    client.force_login(clinic_admin)
    response = post_rules(client, min_days_between_sessions=21, max_days_between_sessions=35)
    assert response["Location"] == reverse("booking:settings_rules")
    policy = BookingPolicy.objects.get()
    assert (policy.min_days_between_sessions, policy.max_days_between_sessions) == (21, 35)
    event = AuditEvent.objects.get(action="booking.policy.changed")
    assert event.actor == clinic_admin and event.details["max_days_between_sessions"] == [42, 35]
    client.force_login(front_desk)
    page = client.get(reverse("booking:desk_book"), {"patient": patient.pk, "service": "sclerotherapy"}).content.decode()
    assert "between <strong>Wednesday 25 March</strong> and <strong>Wednesday 8 April 2026</strong>" in page


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"max_days_between_sessions": 400}, "max_days_between_sessions", "Enter a whole number from 1 to 365 days."),
        ({"min_days_between_sessions": 0}, "min_days_between_sessions", "Enter a whole number from 1 to 365 days."),
        ({"min_days_between_sessions": 30, "max_days_between_sessions": 20}, "max_days_between_sessions",
         "The longest gap cannot be shorter than the shortest (30 days)."),
        ({"course_sessions_max": 11}, "course_sessions_max", "Enter a whole number from 1 to 10 sessions."),
        ({"course_sessions_default": 5}, "course_sessions_default", "The usual number must lie between 2 and 4."),
        ({"horizon_days": 99999}, "horizon_days", "Enter a whole number from 1 to 730 days."),
        ({"hold_minutes": "ten"}, "hold_minutes", "Enter a whole number from 1 to 60 minutes."),
        ({"slot_step_minutes": 7}, "slot_step_minutes", "Select a valid choice. 7 is not one of the available choices."),
    ],
)
def test_impossible_booking_rules_are_refused_in_plain_words_next_to_the_field(client, cal, clinic_admin, changes, field, message):
    client.force_login(clinic_admin)
    response = post_rules(client, **changes)
    body = response.content.decode()
    assert response.status_code == 200
    assert error_next_to(body, field) == message
    assert not any(name in body for name in RAW_NAMES)
    for name, value in changes.items():  # what was typed is still there
        assert f'value="{value}"' in body or f'<option value="{value}"' in body or str(value) in body
    assert BookingPolicy.objects.get().max_days_between_sessions == 42


def test_the_database_refuses_a_400_day_ceiling_whoever_writes_it(cal):
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingPolicy.objects.filter(pk=cal.policy.pk).update(max_days_between_sessions=400)


def test_the_service_answers_in_plain_words_if_the_database_refuses(cal, clinic_admin):
    with pytest.raises(BookingError) as refused:
        policy_update(changes={"max_days_between_sessions": 400}, by=clinic_admin)
    assert refused.value.code == "settings_invalid" and "do not fit together" in refused.value.message


def test_only_the_clinic_admin_may_change_the_rules_even_through_the_service(cal, front_desk):
    with pytest.raises(BookingError) as refused:
        policy_update(changes={"max_days_between_sessions": 35}, by=front_desk)
    assert refused.value.code == "not_allowed"


# --- hours, time off, closures ---------------------------------------------------------------------


def week_form(**spans):
    data = {f"d{d}_{n}_{part}": "" for d in range(7) for n in (1, 2) for part in ("starts", "ends")}
    data.update(spans)
    return data


def test_a_clinicians_week_is_set_in_one_form(client, cal, clinic_admin):
    client.force_login(clinic_admin)
    doc = cal.clinicians[0]
    url = reverse("booking:settings_hours_edit", args=[doc.pk])
    assert client.get(url).context["form"].initial["d0_1_starts"] == time(9)
    response = client.post(url, week_form(d0_1_starts="08:00", d0_1_ends="12:00", d0_2_starts="13:00", d0_2_ends="16:00",
                                          d2_1_starts="10:00", d2_1_ends="18:00"))
    assert response["Location"] == reverse("booking:settings_hours")
    assert list(doc.working_hours.values_list("weekday", "starts", "ends")) == [
        (0, time(8), time(12)), (0, time(13), time(16)), (2, time(10), time(18))]
    page = client.get(reverse("booking:settings_hours")).content.decode()
    assert "8:00–12:00" in page and "13:00–16:00" in page
    assert AuditEvent.objects.filter(action="booking.working_hours.changed").exists()


@pytest.mark.parametrize(
    "spans, field, message",
    [
        ({"d0_1_starts": "12:00", "d0_1_ends": "09:00"}, "d0_1_ends", "The end must be after the start."),
        ({"d0_1_starts": "09:00"}, "d0_1_ends", "Give both the start and the end, or neither."),
        ({"d0_1_starts": "09:00", "d0_1_ends": "13:00", "d0_2_starts": "12:00", "d0_2_ends": "15:00"}, "d0_2_starts",
         "This overlaps the other span of the day."),
        ({"d0_1_starts": "25:00", "d0_1_ends": "26:00"}, "d0_1_starts", "Enter a valid time."),
    ],
)
def test_impossible_hours_are_refused_next_to_the_field_and_nothing_changes(client, cal, clinic_admin, spans, field, message):
    client.force_login(clinic_admin)
    before = list(WorkingHours.objects.values_list("pk", flat=True))
    response = client.post(reverse("booking:settings_hours_edit", args=[cal.clinicians[0].pk]), week_form(**spans))
    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert list(WorkingHours.objects.values_list("pk", flat=True)) == before


def test_time_off_and_closures_are_added_with_the_visits_they_hit_and_removed(client, cal, patient, clinic_admin, front_desk, now):
    appointment_book(patient=patient, service=cal.consultation, start=local(date(2026, 3, 9), "10:00"), by=front_desk,
                     clinician_id=cal.clinicians[0].pk)
    client.force_login(clinic_admin)
    url = reverse("booking:settings_time_off")
    response = client.post(url, {"form": "time_off", "off-clinician": cal.clinicians[0].pk, "off-first_day": "2026-03-09",
                                 "off-last_day": "2026-03-09", "off-reason": "Course"}, follow=True)
    off = TimeOff.objects.get()
    assert (off.start, off.end) == (local(date(2026, 3, 9), "00:00"), local(date(2026, 3, 10), "00:00"))
    assert "Already booked in that time, to move: Alice Walker" in response.content.decode()
    response = client.post(url, {"form": "closure", "closed-date": "2026-03-09", "closed-reason": "Holiday"}, follow=True)
    assert ClinicClosure.objects.get().reason == "Holiday" and "Alice Walker" in response.content.decode()
    again = client.post(url, {"form": "closure", "closed-date": "2026-03-09"})
    assert "already closed that day" in again.content.decode()
    client.post(reverse("booking:settings_time_off_remove", args=[off.pk]))
    client.post(reverse("booking:settings_closure_remove", args=[ClinicClosure.objects.get().pk]))
    assert not TimeOff.objects.exists() and not ClinicClosure.objects.exists()


def test_time_off_that_ends_before_it_starts_is_refused(client, cal, clinic_admin):
    client.force_login(clinic_admin)
    response = client.post(reverse("booking:settings_time_off"), {
        "form": "time_off", "off-clinician": cal.clinicians[0].pk, "off-first_day": "2026-03-10", "off-last_day": "2026-03-09",
        "off-reason": "Typo"})
    assert "The time off must end after it starts." in response.content.decode()
    assert 'value="Typo"' in response.content.decode() and not TimeOff.objects.exists()


# --- intake's tab ----------------------------------------------------------------------------------


def test_the_intake_tab_saves_the_screening_validity(client, cal, clinic_admin):
    client.force_login(clinic_admin)
    response = client.post(reverse("intake:settings"), {"validity_days": 365, "reconfirm_days": 5, "review_working_days": 3})
    assert response["Location"] == reverse("intake:settings")
    assert IntakeSettings.for_clinic().validity_days == 365
    assert AuditEvent.objects.get(action="intake.settings.changed").details["validity_days"] == [180, 365]


@pytest.mark.parametrize(
    "field, value, message",
    [("validity_days", 0, "Enter a whole number from 1 to 730."), ("validity_days", 9999, "Enter a whole number from 1 to 730."),
     ("reconfirm_days", 31, "Enter a whole number from 1 to 30."), ("review_working_days", "x", "Enter a whole number from 1 to 20.")],
)
def test_impossible_intake_settings_are_refused_in_plain_words(client, cal, clinic_admin, field, value, message):
    client.force_login(clinic_admin)
    data = {"validity_days": 180, "reconfirm_days": 7, "review_working_days": 2, field: value}
    response = client.post(reverse("intake:settings"), data)
    assert response.status_code == 200 and response.context["form"].errors[field] == [message]
    assert not any(name in response.content.decode() for name in RAW_NAMES)

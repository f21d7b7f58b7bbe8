"""The clinic admin's settings tab for messages: quiet hours for text messages, in the database
(SMS_QUIET_HOURS is only the default), refused in plain words when impossible."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from aftercare.models import MessageSettings
from aftercare.plan import Kind, QuietHours
from booking import events
from booking.models import Appointment
from clinic import sms
from clinic.models import AuditEvent, Channel, MessageStatus
from tests.outbox import drain

pytestmark = pytest.mark.django_db

URL = "/aftercare/settings/messages/"
LA = ZoneInfo("America/Los_Angeles")


def test_quiet_hours_that_are_no_setting_are_refused():
    assert QuietHours(time(21), time(21)).problem() == "same_time"
    assert QuietHours(time(8), time(5)).problem() == "window_too_short"  # texts only 05:00-08:00
    assert QuietHours(time(22), time(6)).problem() is None
    assert QuietHours(time(0, 30), time(7)).problem() is None


@pytest.mark.parametrize(("persona", "status"), [("clinic_admin", 200), ("front_desk", 403), ("clinician", 403),
                                                 ("patient", 403), ("stranger", 403)])
def test_only_the_clinic_admin_changes_message_settings(client, request, clinic, persona, status):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))
    assert client.get(URL).status_code == status
    assert client.post(URL, {"sms_quiet_start": "22:00", "sms_quiet_end": "07:00"}).status_code in (status, 302)
    assert MessageSettings.objects.exists() is (status == 200)


def test_the_admin_sees_the_default_then_saves_new_quiet_hours(client, clinic, clinic_admin, settings):
    settings.SMS_QUIET_HOURS = (time(21), time(8))
    client.force_login(clinic_admin)
    page = client.get(URL).content.decode()
    assert 'value="21:00"' in page and 'value="08:00"' in page
    assert "Text messages" in client.get(reverse("clinic_settings")).content.decode()  # the tab
    response = client.post(URL, {"sms_quiet_start": "22:30", "sms_quiet_end": "07:15"})
    assert response.status_code == 302
    saved = MessageSettings.for_clinic()
    assert (saved.sms_quiet_start, saved.sms_quiet_end) == (time(22, 30), time(7, 15))
    assert AuditEvent.objects.filter(action="aftercare.message_settings.changed", actor=clinic_admin).exists()


@pytest.mark.parametrize(("start", "end", "message"), [
    ("21:00", "21:00", "must start and end at different times"),
    ("08:00", "05:00", "at least 4 hours a day"),
    ("25:00", "07:00", "Enter a valid time"),
    ("", "07:00", "This field is required"),
])
def test_impossible_quiet_hours_are_refused_next_to_the_field_keeping_what_was_typed(client, clinic, clinic_admin, start, end, message):
    client.force_login(clinic_admin)
    response = client.post(URL, {"sms_quiet_start": start, "sms_quiet_end": end})
    page = response.content.decode()
    assert response.status_code == 200 and message in page
    assert "invalid-feedback" in page
    assert f'value="{end}"' in page
    assert not MessageSettings.objects.exists()


def texting(patient):
    patient.phone, patient.sms_consent, patient.preferred_channel = "+12065550147", True, Channel.SMS
    patient.save()
    return patient


def test_texts_are_planned_around_the_clinics_own_quiet_hours(clinic, make_appointment, patient):
    MessageSettings.objects.create(clinic=clinic, sms_quiet_start=time(20), sms_quiet_end=time(9, 30))
    evening = datetime(2026, 3, 3, 4, 30, tzinfo=UTC)  # 20:30 in Los Angeles
    with time_machine.travel(evening, tick=False):
        appointment = make_appointment(texting(patient), start=evening + timedelta(days=20))
        events.appointment_booked.send(sender=Appointment, appointment=appointment)
    confirmation = appointment.messages.get(kind=Kind.BOOKING_CONFIRMATION)
    assert confirmation.send_at.astimezone(LA) == datetime(2026, 3, 3, 9, 30, tzinfo=LA)


def test_a_text_due_in_quiet_hours_set_after_it_was_planned_waits_for_their_end(clinic, make_appointment, patient, settings):
    settings.SMS_BACKEND = "clinic.sms.LocmemSMSBackend"
    sms.outbox.clear()
    morning = datetime(2026, 3, 3, 17, 0, tzinfo=UTC)  # 09:00 in Los Angeles
    with time_machine.travel(morning, tick=False) as clock:
        appointment = make_appointment(texting(patient), start=morning + timedelta(days=20))
        events.appointment_booked.send(sender=Appointment, appointment=appointment)
        MessageSettings.objects.create(clinic=clinic, sms_quiet_start=time(9), sms_quiet_end=time(11))  # changed since
        clock.move_to(morning + timedelta(minutes=5))
        [(message_id, status)] = drain().items()
        assert status == MessageStatus.PENDING and sms.outbox == []
        confirmation = appointment.messages.get(pk=message_id)
        assert confirmation.send_at.astimezone(LA) == datetime(2026, 3, 3, 11, 0, tzinfo=LA)
        assert confirmation.attempts == 0 and confirmation.attempt_log.get().outcome == "deferred"
        clock.move_to(confirmation.send_at)
        assert drain() == {message_id: MessageStatus.SENT}
    assert len(sms.outbox) == 1

"""Automatic logoff (issue 11.4): staff after 15 idle minutes, patients after 30, everyone 12 hours
after logging in; the page warns a minute before; a password change or reset ends the other
sessions of that person."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent
from tests.conftest import ClinicClient
from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("urgent_mail_sent_at_once")]


def later(minutes):
    return time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=False)


@pytest.mark.parametrize(("persona", "page", "idle"), [("front_desk", "staff_home", 15), ("patient", "patient_home", 30)])
def test_an_idle_login_ends_after_its_audiences_limit(client, request, persona, page, idle):
    user = request.getfixturevalue(persona)
    user = getattr(user, "user", user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(user)
        assert client.get(reverse(page)).status_code == 200
    with time_machine.travel(start + timedelta(minutes=idle - 1), tick=False):
        assert client.get(reverse(page)).status_code == 200  # activity: the idle clock starts again
    with time_machine.travel(start + timedelta(minutes=2 * idle - 2), tick=False):
        assert client.get(reverse(page)).status_code == 200
    with time_machine.travel(start + timedelta(minutes=3 * idle), tick=False):
        response = client.get(reverse(page), follow=True)
        assert response.redirect_chain[-1][0].startswith(reverse("login"))
        assert f"logged out after {idle} minutes without activity" in response.content.decode()
    assert AuditEvent.objects.filter(actor=user, action="clinic.session.expired", details__reason="idle").exists()


def test_the_staff_idle_limit_is_configurable(client, front_desk, settings):
    settings.SESSION_IDLE_MINUTES_STAFF = 5
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(front_desk)
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        assert client.get(reverse("staff_home")).status_code == 302


def test_twelve_hours_after_logging_in_everyone_logs_in_again_however_busy(client, patient):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(patient.user)
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get(reverse("patient_home")).status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        response = client.get(reverse("patient_home"), follow=True)
    assert "12 hours after logging in" in response.content.decode()
    assert AuditEvent.objects.filter(action="clinic.session.expired", details__reason="max_age").exists()


def test_the_warnings_question_is_not_activity_but_stay_logged_in_is(client, front_desk):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(front_desk)
        client.get(reverse("staff_home"))
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert client.get(reverse("session_status")).json() == {"seconds_left": 60}
    with time_machine.travel(start + timedelta(minutes=14, seconds=30), tick=False):
        assert client.get(reverse("session_status")).json() == {"seconds_left": 30}  # asking did not extend it
        assert client.post(reverse("session_status")).json() == {"seconds_left": 15 * 60}
    with time_machine.travel(start + timedelta(minutes=28), tick=False):
        assert client.get(reverse("staff_home")).status_code == 200
    with time_machine.travel(start + timedelta(minutes=45), tick=False):
        assert client.get(reverse("session_status")).status_code == 401


def test_pages_carry_the_idle_limit_and_the_warning_script(client, front_desk, patient):
    client.force_login(front_desk)
    page = client.get(reverse("staff_home")).content.decode()
    assert 'data-session-idle="900"' in page and "js/session-timeout.js" in page
    assert 'id="session-warning"' in page and "Stay logged in" in page
    client.force_login(patient.user)
    assert 'data-session-idle="1800"' in client.get(reverse("patient_home")).content.decode()
    client.logout()
    assert "session-timeout.js" not in client.get(reverse("login")).content.decode()


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(patient):
    phone, laptop = ClinicClient(), ClinicClient()
    phone.force_login(patient.user)
    laptop.force_login(patient.user)
    new = "tidal-granite-orchard-31"
    response = laptop.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert laptop.get(reverse("patient_home")).status_code == 200
    assert phone.get(reverse("patient_home")).status_code == 302
    assert AuditEvent.objects.filter(actor=patient.user, action="clinic.account.password_changed").exists()


def test_a_password_change_needs_the_current_password_and_refuses_common_ones(client, patient):
    client.force_login(patient.user)
    wrong = client.post(reverse("password_change"), {"old_password": "nope", "new_password1": "tidal-granite-orchard-31",
                                                     "new_password2": "tidal-granite-orchard-31"})
    assert "Your old password was entered incorrectly" in wrong.content.decode()
    common = client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": "password123",
                                                      "new_password2": "password123"})
    assert "This password is too common." in common.content.decode()


def test_a_password_reset_ends_every_session_and_refuses_common_passwords(patient, django_capture_on_commit_callbacks):
    stolen = ClinicClient()
    stolen.force_login(patient.user)
    browser = ClinicClient()
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(reverse("password_reset"), {"email": "alice@example.org"})
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_url = browser.get(link, follow=True).redirect_chain[-1][0]
    common = browser.post(form_url, {"new_password1": "password123", "new_password2": "password123"})
    assert "This password is too common." in common.content.decode()
    new = "quiet-river-stone-77"
    assert browser.post(form_url, {"new_password1": new, "new_password2": new}).status_code == 302
    assert stolen.get(reverse("patient_home")).status_code == 302
    assert AuditEvent.objects.filter(actor=patient.user, action="clinic.account.password_reset").exists()

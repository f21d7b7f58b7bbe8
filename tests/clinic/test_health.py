"""Health you can see: /health/, the staff banner and home, `reminders_status`, and the one
e-mail the clinic admin gets when messages stop."""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.urls import reverse

from clinic import health, health_rules
from clinic.models import MessageStatus, OutboxHealth, OutboxMessage
from tests.outbox import drain

NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


# --- The rules --------------------------------------------------------------------------------


def flow(last_run_minutes=None, oldest_due_minutes=None):
    return health_rules.Flow(
        now=NOW,
        last_run_at=None if last_run_minutes is None else NOW - timedelta(minutes=last_run_minutes),
        oldest_due_at=None if oldest_due_minutes is None else NOW - timedelta(minutes=oldest_due_minutes),
    )


@pytest.mark.parametrize(("last_run", "oldest_due", "stalled"), [
    (1, None, False),       # ran a minute ago, nothing waiting
    (4.9, 9.9, False),      # just within both limits
    (5, None, True),        # the beat or every worker stopped
    (1, 10, True),          # dispatched, but nobody sends
    (None, None, False),    # a fresh installation: nothing to send yet
    (None, 10, True),       # never ran, and a message has waited ten minutes
])
def test_messages_are_stalled_when_the_dispatcher_stops_for_5_minutes_or_a_message_waits_10(last_run, oldest_due, stalled):
    assert flow(last_run, oldest_due).stalled is stalled


# --- /health/ ---------------------------------------------------------------------------------


pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def ran(minutes_ago):
    OutboxHealth.row()
    OutboxHealth.objects.filter(pk=1).update(last_run_at=NOW - timedelta(minutes=minutes_ago))


def waiting(patient, minutes_ago, status=MessageStatus.PENDING):
    return OutboxMessage.objects.create(kind="booking_confirmation", patient=patient, status=status,
                                        send_at=NOW - timedelta(minutes=minutes_ago))


def test_health_says_ok_with_times_and_counts_only(client, frozen, patient):
    ran(1)
    waiting(patient, 2)
    response = client.get(reverse("health"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok" and body["database"] == {"ok": True} and body["broker"]["ok"] is True
    assert body["dispatcher"] == {"ok": True, "last_run": (NOW - timedelta(minutes=1)).isoformat(), "minutes_ago": 1}
    assert body["oldest_due_message"] == {"ok": True, "due_at": (NOW - timedelta(minutes=2)).isoformat(),
                                          "minutes_late": 2, "waiting": 1}
    text = json.dumps(body)
    assert patient.last_name not in text and patient.email not in text  # no patient data, ever


def test_a_stalled_dispatcher_keeps_the_site_in_the_load_balancer_but_says_degraded(client, frozen, patient):
    ran(6)
    waiting(patient, 12, status=MessageStatus.QUEUED)
    response = client.get(reverse("health"))
    assert response.status_code == 200  # the web process itself can serve
    body = response.json()
    assert body["status"] == "degraded"
    assert body["dispatcher"]["ok"] is False and body["dispatcher"]["minutes_ago"] == 6
    assert body["oldest_due_message"]["ok"] is False and body["oldest_due_message"]["minutes_late"] == 12
    assert client.get(reverse("health") + "?strict=1").status_code == 503  # for monitors that read only the code


def test_health_answers_503_when_the_database_does_not(client, monkeypatch):
    def down(**kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(health, "snapshot", down)
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["status"] == "down" and response.json()["database"]["ok"] is False


def test_health_refuses_anything_but_get(client):
    assert client.post(reverse("health")).status_code == 405


def test_the_dispatcher_records_each_run(frozen):
    drain(NOW)
    drain(NOW)
    row = OutboxHealth.objects.get()
    assert row.last_run_at == NOW and row.runs == 2


# --- What staff see ---------------------------------------------------------------------------


BANNER = "Reminders are not going out"


def test_the_front_desk_sees_a_red_banner_on_every_staff_page_while_messages_are_stalled(client, frozen, clinic, front_desk, patient):
    ran(7)
    client.force_login(front_desk)
    for url in (reverse("staff_home"), reverse("aftercare:problems"), reverse("booking:desk_calendar")):
        page = client.get(url).content.decode()
        assert BANNER in page and "alert-danger" in page, url
        assert "last handed out 7 minutes ago" in page
    ran(1)
    assert BANNER not in client.get(reverse("staff_home")).content.decode()


def test_a_late_message_raises_the_banner_even_while_the_dispatcher_runs(client, frozen, front_desk, patient):
    ran(0)
    waiting(patient, 11)
    client.force_login(front_desk)
    page = client.get(reverse("staff_home")).content.decode()
    assert BANNER in page and "A message due 11 minutes ago is still waiting" in page


def test_patients_never_see_the_banner(client, frozen, patient):
    ran(30)
    client.force_login(patient.user)
    assert BANNER not in client.get(reverse("patient_home")).content.decode()


def test_the_staff_home_shows_when_messages_were_last_handed_out(client, frozen, front_desk):
    ran(2)
    client.force_login(front_desk)
    page = client.get(reverse("staff_home")).content.decode()
    assert 'id="message-flow"' in page and "Working" in page and "(2 min ago)" in page
    assert "No message is waiting." in page


def test_reminders_status_prints_the_same_and_fails_when_stalled(frozen, patient, capsys):
    ran(1)
    call_command("reminders_status")
    out = capsys.readouterr().out
    assert "dispatcher: last ran 1 min ago" in out and "status: ok" in out
    ran(9)
    with pytest.raises(SystemExit) as stopped:
        call_command("reminders_status")
    assert stopped.value.code == 1
    assert "STOPPED" in capsys.readouterr().out


# --- The clinic admin's e-mail -----------------------------------------------------------------


def test_the_clinic_admin_gets_one_email_per_stall_sent_directly(frozen, clinic_admin, patient):
    ran(6)
    assert health.alert_if_stalled() == "raised"
    [alarm] = mail.outbox
    assert alarm.to == [clinic_admin.email] and alarm.subject == "Reminders have stopped"
    assert "6 minutes ago" in alarm.body and patient.last_name not in alarm.body
    assert not OutboxMessage.objects.exists()  # sent directly: the outbox is what stalled
    frozen.move_to(NOW + timedelta(minutes=30))
    assert health.alert_if_stalled() == "" and len(mail.outbox) == 1  # not again while it lasts
    ran(-30)  # the dispatcher runs again
    assert health.alert_if_stalled() == "cleared"
    ran(-60 + 6)
    frozen.move_to(NOW + timedelta(minutes=60))
    assert health.alert_if_stalled() == "raised" and len(mail.outbox) == 2  # a new stall, a new e-mail


def test_the_health_check_a_load_balancer_polls_raises_the_alarm_once(client, frozen, clinic_admin, monkeypatch):
    monkeypatch.setattr(threading, "Thread", _InlineThread)
    ran(8)
    for _ in range(3):
        client.get(reverse("health"))
    assert len(mail.outbox) == 1


def test_a_mail_server_that_is_down_too_gives_the_alarm_back_for_the_next_check(frozen, clinic_admin, settings):
    ran(6)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9
    assert health.alert_if_stalled() == "raised"
    assert OutboxHealth.objects.get().alarm_raised_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert health.alert_if_stalled() == "raised" and len(mail.outbox) == 1


class _InlineThread(threading.Thread):
    """The view's background send, waited for, so the test sees what it sent."""

    def start(self):
        super().start()
        self.join()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_many_processes_noticing_the_same_stall_send_one_email(clinic_admin):
    """The alarm is claimed by a conditional update: of eight concurrent checks, one sends."""
    OutboxHealth.row()
    OutboxHealth.objects.filter(pk=1).update(last_run_at=datetime.now(UTC) - timedelta(minutes=20))
    barrier = threading.Barrier(8)
    outcomes = []

    def check():
        barrier.wait()
        try:
            outcomes.append(health.alert_if_stalled())
        finally:
            connection.close()

    threads = [threading.Thread(target=check) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [""] * 7 + ["raised"]
    assert len(mail.outbox) == 1


def test_the_health_check_answers_over_plain_http_behind_an_https_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(reverse("health")).status_code == 200
    assert client.get(reverse("login")).status_code == 301  # everything else still goes to HTTPS

"""A writer that cannot get the booking lock in time gets "busy, try again", never an error page.

Real locks on the real database (a transactional test): another connection holds the clinic's
advisory lock (PostgreSQL) or the database's write lock (SQLite, BEGIN IMMEDIATE) while a booking
waits with a short timeout.
"""

import sqlite3
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from booking import services
from booking.models import Appointment, Service
from booking.services import BookingError
from clinic.models import Role
from tests.booking.factories import Calendar, local
from tests.factories import PatientFactory, make_staff

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def people(client):
    """Everything the test writes, written before the lock is taken."""
    Calendar(clinicians=1, rooms=1)
    desk = make_staff(Role.FRONT_DESK, email="busy-desk@example.org").user
    client.force_login(desk)
    return {"patient": PatientFactory(), "service": Service.objects.get(slug="consultation")}


@pytest.fixture
def held_lock(people, monkeypatch):
    """Another connection holds the booking lock until the test ends; ours waits briefly."""
    from clinic.models import Clinic

    clinic = Clinic.objects.get()
    release = threading.Event()
    if connection.vendor == "postgresql":
        monkeypatch.setattr(services, "LOCK_TIMEOUT", "200ms")
        started = threading.Event()

        def hold():
            with connections["default"].cursor() as cursor:  # this thread's own connection
                cursor.execute("BEGIN")
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [services._LOCK_NAMESPACE, clinic.pk])
                started.set()
                release.wait(10)
                cursor.execute("ROLLBACK")
            connections.close_all()

        thread = threading.Thread(target=hold)
        thread.start()
        assert started.wait(10)
        yield people
        release.set()
        thread.join(10)
    else:
        other = sqlite3.connect(connection.settings_dict["NAME"], timeout=1, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        # Our connection gives up after 0.2 s instead of the usual 20.
        monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.2)
        connection.close()
        yield people
        other.execute("ROLLBACK")
        other.close()
        connection.close()


def test_a_booking_that_cannot_get_the_lock_in_time_is_told_to_try_again(held_lock):
    patient = held_lock["patient"]
    with pytest.raises(BookingError) as busy:
        services.appointment_book(patient=patient, service=held_lock["service"], start=next_weekday_at_ten(), by=patient.user)
    assert busy.value.code == "busy" and "try again" in busy.value.message


def test_the_desk_page_answers_busy_with_a_message_not_an_error_page(held_lock, client):
    patient = held_lock["patient"]
    response = client.post(
        f"/booking/desk/book/?patient={patient.pk}&service=consultation", {"start": next_weekday_at_ten().isoformat()}
    )
    assert response.status_code == 200
    assert "Many people are booking at this moment" in response.content.decode()
    assert not Appointment.objects.exists()


def next_weekday_at_ten():
    day = timezone.localdate() + timedelta(days=7)
    while day.weekday() > 4:
        day += timedelta(days=1)
    return local(day, "10:00")

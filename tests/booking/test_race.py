"""Many people press "book" on the same time at the same moment: exactly one gets it.

Real threads on the real database (transactional test, no wrapping transaction), released together
by a barrier, asking for overlapping times (10:00, 10:15, 10:30 with a 30-minute visit and a
5-minute buffer: every pair overlaps, some only by the buffer). Afterwards a SQL count of
overlapping live rows must be 0.

The "unguarded" variant switches the protection off (no booking lock, no exclusion constraint or
trigger, and on SQLite plain deferred transactions instead of BEGIN IMMEDIATE) and must fail:
it is marked xfail(strict=True), so the suite goes red if the test ever stops catching the race.
"""

import threading
import time
from datetime import UTC, date, datetime

import pytest
from django.db import connection, connections

from booking import availability, db_guards, services
from booking.models import Appointment
from booking.services import BookingError
from tests.booking.factories import Calendar, local
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
WED = date(2026, 3, 4)
THREADS = 8


@pytest.fixture
def widened_race(monkeypatch):
    """Sleep between the re-check and the insert, so unguarded writers surely interleave."""
    real = availability.check_slot

    def slow_check(**kwargs):
        result = real(**kwargs)
        time.sleep(0.05)
        return result

    monkeypatch.setattr(availability, "check_slot", slow_check)


@pytest.fixture
def unguarded(monkeypatch):
    monkeypatch.setattr(services, "_lock_calendars", lambda clinic_id: None)
    db_guards.uninstall(connection)
    if connection.vendor == "sqlite":
        monkeypatch.setitem(connections.settings["default"]["OPTIONS"], "transaction_mode", None)
    yield
    Appointment.objects.all().delete()  # the constraint cannot come back over overlapping rows
    db_guards.install(connection)


def race(operation: str) -> list[tuple[str, object]]:
    Calendar(clinicians=1, rooms=1)
    from booking.models import Service

    service = Service.objects.get(slug="consultation")  # restored by serialized_rollback
    patients = [PatientFactory() for _ in range(THREADS)]
    starts = [local(WED, hhmm) for hhmm in ("10:00", "10:15", "10:30")]
    barrier = threading.Barrier(THREADS)
    results: list[tuple[str, object]] = [("", None)] * THREADS
    func = services.appointment_book if operation == "book" else services.appointment_hold

    def attempt(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            a = func(patient=patients[i], service=service, start=starts[i % 3], by=patients[i].user, now=NOW)
            results[i] = ("won", a.pk)
        except BookingError as exc:
            results[i] = (exc.code, exc)
        except Exception as exc:  # noqa: BLE001 - anything else is a failure the test reports
            results[i] = ("error", repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def assert_exactly_one_wins(results) -> None:
    winners = [r for r in results if r[0] == "won"]
    losers = [r[1] for r in results if r[0] != "won"]
    assert len(winners) == 1, results
    assert all(isinstance(exc, BookingError) and exc.code == "taken" for exc in losers), results
    assert all("just taken" in exc.message and exc.nearest for exc in losers)
    with connection.cursor() as cursor:
        cursor.execute(db_guards.OVERLAP_COUNT_SQL)
        assert cursor.fetchone()[0] == 0
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize("operation", ["book", "hold"])
def test_many_people_booking_one_time_at_once_exactly_one_wins(widened_race, operation):
    assert_exactly_one_wins(race(operation))


@pytest.mark.xfail(strict=True, reason="with the lock and the database guard off, the race must be caught")
def test_without_the_lock_and_the_database_guard_the_race_test_fails(widened_race, unguarded):
    assert_exactly_one_wins(race("book"))


def test_the_database_guard_alone_turns_a_lost_race_into_just_taken(widened_race, monkeypatch):
    """No application lock: only the exclusion constraint (PostgreSQL) or BEGIN IMMEDIATE and the
    triggers (SQLite) stand between the writers."""
    monkeypatch.setattr(services, "_lock_calendars", lambda clinic_id: None)
    assert_exactly_one_wins(race("book"))

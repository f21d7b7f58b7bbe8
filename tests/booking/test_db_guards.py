"""The database itself refuses double bookings (exclusion constraints / SQLite triggers)."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from booking import db_guards, selectors
from booking.models import Appointment, Status
from tests.booking.factories import appointment, local

pytestmark = pytest.mark.django_db

WED = date(2026, 3, 4)


def overlapping_pairs() -> int:
    with connection.cursor() as cursor:
        cursor.execute(db_guards.OVERLAP_COUNT_SQL)
        return cursor.fetchone()[0]


def refused(**kwargs) -> bool:
    try:
        with transaction.atomic():
            appointment(**kwargs)
    except IntegrityError as exc:
        assert db_guards.is_overlap_error(exc)
        return True
    return False


def test_a_partial_overlap_for_one_clinician_is_refused_by_the_database(cal, now):
    doc, other_doc = cal.clinicians
    appointment(service=cal.consultation, clinician=doc, start=local(WED, "10:00"))  # blocks 10:00-10:35
    assert refused(service=cal.consultation, clinician=doc, start=local(WED, "10:30"))  # only the buffer overlaps
    assert refused(service=cal.review, clinician=doc, start=local(WED, "09:50"))  # ends inside
    assert not refused(service=cal.consultation, clinician=doc, start=local(WED, "10:35"))  # touching is fine
    assert not refused(service=cal.consultation, clinician=other_doc, start=local(WED, "10:00"))
    assert overlapping_pairs() == 0


def test_one_room_cannot_hold_two_visits_at_once_even_with_two_clinicians(cal, now):
    doc, other_doc = cal.clinicians
    appointment(service=cal.session, clinician=doc, room=cal.rooms[0], start=local(WED, "10:00"))
    assert refused(service=cal.session, clinician=other_doc, room=cal.rooms[0], start=local(WED, "10:30"))
    assert not refused(service=cal.session, clinician=other_doc, room=cal.rooms[1], start=local(WED, "10:30"))


def test_a_cancelled_visit_frees_its_time_but_cannot_come_back_over_another(cal, now):
    doc = cal.clinicians[0]
    first = appointment(service=cal.consultation, clinician=doc, start=local(WED, "10:00"), status=Status.CANCELLED)
    appointment(service=cal.consultation, clinician=doc, start=local(WED, "10:00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=first.pk).update(status=Status.BOOKED)


def test_a_held_row_blocks_like_a_booking(cal, now):
    doc = cal.clinicians[0]
    appointment(service=cal.consultation, clinician=doc, start=local(WED, "10:00"), status=Status.HELD,
                hold_expires_at=now + timedelta(minutes=10))
    assert refused(service=cal.consultation, clinician=doc, start=local(WED, "10:15"))


def test_moving_a_row_onto_another_is_refused(cal, now):
    doc = cal.clinicians[0]
    appointment(service=cal.consultation, clinician=doc, start=local(WED, "10:00"))
    later = appointment(service=cal.consultation, clinician=doc, start=local(WED, "12:00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=later.pk).update(
            blocked_start=local(WED, "10:20"), start=local(WED, "10:20"), end=local(WED, "10:50"), blocked_end=local(WED, "10:55")
        )


def test_the_slot_query_count_does_not_grow_with_the_number_of_appointments(cal, now):
    def count_queries() -> int:
        selectors.current_clinic()  # cached clinic lookups aside
        with CaptureQueriesContext(connection) as queries:
            selectors.slot_list(service=cal.session, first_day=WED, last_day=WED + timedelta(days=13), now=now)
        return len(queries)

    few = count_queries()
    for day in range(14):
        for hour in (9, 11, 13, 15):
            for n, doc in enumerate(cal.clinicians):
                appointment(service=cal.consultation, clinician=doc, room=cal.rooms[n],
                            start=local(WED + timedelta(days=day), f"{hour:02d}:00"))
    assert Appointment.objects.count() == 112
    assert count_queries() == few <= 9


def test_busy_rows_are_loaded_only_for_the_range_asked(cal, now):
    doc = cal.clinicians[0]
    inside = appointment(service=cal.consultation, clinician=doc, start=local(WED, "10:00"))
    appointment(service=cal.consultation, clinician=doc, start=local(WED + timedelta(days=20), "10:00"))
    start, end = selectors.day_bounds(WED, WED, cal.clinic.tzinfo)
    cal_data = selectors.calendars_load(service=cal.consultation, start=start, end=end, now=now)
    busy = {b.start for c in cal_data.clinicians for b in c.busy}
    assert busy == {inside.blocked_start}

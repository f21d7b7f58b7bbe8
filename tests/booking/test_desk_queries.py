"""Query budgets of the desk's pages, whatever the data size (issue 9, point 8).

The day grid with 10 clinicians and 40 appointments each: at most 12 queries; the week view: at
most 12; the worklist: at most 15. Each is also measured with a tenth of the data: the count must
not move. (Speed is measured by benchmarks/desk.py, never asserted here.)
"""

from datetime import date, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from booking.models import (
    Appointment,
    BookingPolicy,
    CourseStatus,
    Service,
    Status,
    TimeOff,
    TreatmentCourse,
    WaitlistEntry,
    WorkingHours,
)
from clinic.models import Role
from tests.booking.factories import LA, local
from tests.factories import ClinicFactory, OpeningHoursFactory, PatientFactory, RoomFactory, make_staff

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 4)  # a Wednesday
NOW = local(DAY, "12:00")


def busy_clinic(*, clinicians: int, per_clinician: int, extras: int):
    """Clinicians working 08:00-18:00 with back-to-back 15-minute visits, plus overdue courses,
    sessions awaiting re-confirmation and matched waiting-list entries (``extras`` of each)."""
    clinic = ClinicFactory()
    BookingPolicy.objects.create(clinic=clinic)
    for day in range(7):
        OpeningHoursFactory(clinic=clinic, weekday=day, opens=time(8), closes=time(18))
    rooms = [RoomFactory(clinic=clinic, name=f"Room {n}") for n in range(5)]
    review = Service.objects.get_or_create(slug="review", defaults=dict(name="Review visit", kind="review", duration_minutes=15,
                                                                        needs_room=False))[0]
    session = Service.objects.get_or_create(slug="sclerotherapy", defaults=dict(
        name="Sclerotherapy session", kind="session", duration_minutes=45, buffer_before_minutes=5, buffer_after_minutes=10,
        needs_screening=True))[0]
    patients = [PatientFactory() for _ in range(max(5, extras))]
    docs = []
    rows = []
    for n in range(clinicians):
        doc = make_staff(Role.CLINICIAN, email=f"doc{n}@example.org").clinician
        docs.append(doc)
        WorkingHours.objects.bulk_create(WorkingHours(clinician=doc, weekday=d, starts=time(8), ends=time(18)) for d in range(7))
        for k in range(per_clinician):
            start = local(DAY, "08:00") + timedelta(minutes=15 * k)
            rows.append(Appointment(patient=patients[k % len(patients)], service=review, clinician=doc, start=start,
                                    end=start + timedelta(minutes=15), blocked_start=start, blocked_end=start + timedelta(minutes=15),
                                    status=[Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED, Status.NO_SHOW][k % 4],
                                    booked_at=NOW - timedelta(days=7)))
    review.clinicians.set(docs)
    session.clinicians.set(docs)
    TimeOff.objects.create(clinician=docs[0], start=local(DAY, "13:00"), end=local(DAY, "14:00"), reason="Training")
    for k in range(extras):
        # An overdue course: its last session in January, nothing booked since.
        course = TreatmentCourse.objects.create(patient=patients[k], service=session, planned_sessions=3, status=CourseStatus.ACTIVE)
        start = local(date(2026, 1, 5), "10:00") + timedelta(days=k)
        rows.append(Appointment(patient=patients[k], service=session, clinician=docs[k % clinicians], room=rooms[k % 5], course=course,
                                sequence=1, start=start, end=start + timedelta(minutes=45), blocked_start=start - timedelta(minutes=5),
                                blocked_end=start + timedelta(minutes=55), status=Status.COMPLETED, booked_at=start))
        # A session in four days that nobody re-confirmed.
        later = local(DAY + timedelta(days=4), "00:00") + timedelta(hours=k)
        rows.append(Appointment(patient=patients[k], service=session, clinician=docs[k % clinicians], room=rooms[k % 5],
                                start=later, end=later + timedelta(minutes=45), blocked_start=later - timedelta(minutes=5),
                                blocked_end=later + timedelta(minutes=55), status=Status.BOOKED, booked_at=NOW))
        WaitlistEntry.objects.create(patient=patients[k], service=review, earliest=DAY, latest=DAY + timedelta(days=5),
                                     created_at=NOW, match_start=NOW + timedelta(days=1), match_clinician=docs[0])
    Appointment.objects.bulk_create(rows)
    return docs, rooms


def count(client, url, params) -> int:
    client.get(url, params)  # warm caches (the clinic's time zone) as a running server has them
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def desk_user(db):
    return make_staff(Role.FRONT_DESK, email="desk@example.org").user


def budgets(client, user, docs, rooms):
    client.force_login(user)
    url = reverse("booking:desk_calendar")
    return {
        "day": count(client, url, {"date": DAY.isoformat()}),
        "day by room": count(client, url, {"date": DAY.isoformat(), "by": "room"}),
        "week": count(client, url, {"date": DAY.isoformat(), "view": "week", "who": docs[0].pk}),
        "week of a room": count(client, url, {"date": DAY.isoformat(), "view": "week", "by": "room", "who": rooms[0].pk}),
        "worklist": count(client, reverse("staff_home"), {}),
    }


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINICIAN])
def test_the_desk_pages_stay_within_their_query_budgets_whatever_the_data_size(client, time_machine, role):
    time_machine.move_to(NOW, tick=False)
    user = make_staff(role, email="someone@example.org").user
    docs, rooms = busy_clinic(clinicians=10, per_clinician=40, extras=30)
    assert Appointment.objects.filter(start__date=DAY).count() >= 400
    big = budgets(client, user, docs, rooms)
    assert big["day"] <= 12 and big["day by room"] <= 12
    assert big["week"] <= 12 and big["week of a room"] <= 12
    assert big["worklist"] <= 15, big
    # A tenth of the visits, a tenth of the courses and waiting patients: the same counts.
    keep = list(Appointment.objects.order_by("pk").values_list("pk", flat=True))[::10]
    Appointment.objects.exclude(pk__in=keep).delete()
    WaitlistEntry.objects.exclude(pk__in=list(WaitlistEntry.objects.values_list("pk", flat=True)[:3])).delete()
    assert budgets(client, user, docs, rooms) == big


def test_the_grid_really_shows_all_400_visits(client, time_machine, desk_user):
    time_machine.move_to(NOW, tick=False)
    busy_clinic(clinicians=10, per_clinician=40, extras=0)
    client.force_login(desk_user)
    response = client.get(reverse("booking:desk_calendar"), {"date": DAY.isoformat()})
    cells = [c for column in response.context["desk"].columns for c in column.cells if c.kind == "visit"]
    assert len(cells) == 400 and response.content.decode().count("cell cell-visit") == 400
    assert LA.key in response.content.decode()

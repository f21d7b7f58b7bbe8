#!/usr/bin/env python3
"""How fast is availability? Run by hand, not a test:

    python benchmarks/availability.py                      # a throwaway SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic python benchmarks/availability.py

It creates its own throwaway database (Django's test database for the configured one: a temp
file for SQLite, ``test_<name>`` on PostgreSQL), migrates, seeds 10 clinicians, 5 rooms and
appointments, prints figures, and drops the database again. Figures:

- the 14-day slot page: the selector call the patient page makes (one slot query for 14 days,
  "any clinician"), and the whole page through Django's test client (a logged-in patient);
- a 90-day search: every free slot of a 45-minute session with a room over 90 days;
- the number of SQL queries of each, at 300 and at 3,000 appointments (it must not grow).

Targets: slot page under 30 ms, 90-day search under 200 ms.
"""

import random
import sys
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import TMP, median_ms, queries_of  # noqa: E402  (sets up Django first)
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

REPEAT_PAGE = 40
REPEAT_SEARCH = 15
NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # Monday 09:00 in Los Angeles


def seed_people():
    from booking.models import BookingPolicy, Service, WorkingHours
    from clinic.models import Clinic, Clinician, OpeningHours, Patient, Role, Room, StaffMember, User

    clinic = Clinic.objects.create(name="Bench Clinic", address="1 Main St", phone="+12065550100", time_zone="America/Los_Angeles")
    BookingPolicy.objects.create(clinic=clinic)
    OpeningHours.objects.bulk_create(OpeningHours(clinic=clinic, weekday=d, opens=dtime(8), closes=dtime(18)) for d in range(6))
    rooms = [Room.objects.create(clinic=clinic, name=f"Room {n}") for n in range(1, 6)]
    clinicians = []
    for n in range(10):
        user = User.objects.create_user(email=f"doc{n}@bench.test", password=None, email_verified_at=NOW)
        staff = StaffMember.objects.create(user=user, role=Role.CLINICIAN)
        clinicians.append(Clinician.objects.create(staff=staff))
    WorkingHours.objects.bulk_create(
        WorkingHours(clinician=c, weekday=d, starts=s, ends=e)
        for c in clinicians for d in range(5) for s, e in ((dtime(9), dtime(12, 30)), (dtime(13, 30), dtime(17)))
    )
    for service in Service.objects.all():
        service.clinicians.set(clinicians)
    user = User.objects.create_user(email="patient@bench.test", password="x", email_verified_at=NOW)
    patient = Patient.objects.create(user=user, first_name="Pat", last_name="Bench", date_of_birth="1980-01-01", email=user.email)
    return clinic, rooms, clinicians, patient


def candidate_positions(clinic, rooms, clinicians):
    """Non-overlapping (clinician, room, start) spots over 90 days, hourly, shuffled."""
    tz = clinic.tzinfo
    spots = []
    day = NOW.astimezone(tz).date() + timedelta(days=1)
    for _ in range(90):
        if day.weekday() < 5:
            for hour in (9, 10, 11, 14, 15, 16):
                for n, clinician in enumerate(clinicians):
                    room = rooms[n] if n < len(rooms) else None
                    start = datetime.combine(day, dtime(hour), tzinfo=tz).astimezone(UTC)
                    spots.append((clinician, room, start))
        day += timedelta(days=1)
    random.Random(4).shuffle(spots)
    return spots


def add_appointments(spots, patient, count):
    from booking.models import Appointment, Service, Status

    consultation = Service.objects.get(slug="consultation")
    review = Service.objects.get(slug="review")
    rows = []
    for clinician, room, start in spots[:count]:
        service = consultation if room is not None else review
        blocked = service.spec.blocked(start)
        rows.append(Appointment(
            patient=patient, service=service, clinician=clinician, room=room, start=start,
            end=start + timedelta(minutes=service.duration_minutes), blocked_start=blocked.start,
            blocked_end=blocked.end, status=Status.BOOKED, booked_at=NOW,
        ))
    Appointment.objects.bulk_create(rows, batch_size=500)
    del spots[:count]


def measure(label, clinic, patient):
    from django.test import Client

    from booking import availability, selectors
    from booking.models import Service

    session = Service.objects.get(slug="sclerotherapy")
    consultation = Service.objects.get(slug="consultation")
    tz = clinic.tzinfo
    first = (NOW + timedelta(hours=24)).astimezone(tz).date()

    def slot_page():
        slots = selectors.slot_list(service=session, first_day=first, last_day=first + timedelta(days=13), now=NOW)
        selectors.group_by_day(availability.first_per_start(slots), tz)

    def search_90_days():
        return selectors.slot_list(service=session, first_day=first, last_day=first + timedelta(days=89), now=NOW)

    client = Client()
    client.force_login(patient.user)

    def full_page():
        response = client.get("/booking/consultation/")
        assert response.status_code == 200, response.status_code

    found = len(search_90_days())
    print(f"\n{label}")
    print(f"  14-day slot page (selector) : {median_ms(slot_page, REPEAT_PAGE):7.2f} ms median, {queries_of(slot_page)} queries")
    print(f"  14-day slot page (full HTTP): {median_ms(full_page, REPEAT_PAGE):7.2f} ms median, {queries_of(full_page)} queries "
          "(incl. session, user, clinic, policy)")
    print(f"  90-day search               : {median_ms(search_90_days, REPEAT_SEARCH):7.2f} ms median, "
          f"{queries_of(search_90_days)} queries, {found} free slots")
    del consultation


def main():
    import time_machine

    from booking.models import Appointment

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = f"{TMP}/test-bench.sqlite3"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with time_machine.travel(NOW, tick=True):
            clinic, rooms, clinicians, patient = seed_people()
            spots = candidate_positions(clinic, rooms, clinicians)
            print(f"Database: {connection.vendor} ({connection.settings_dict['NAME']}); 10 clinicians, 5 rooms; "
                  f"{len(spots)} possible hourly spots over 90 days")
            add_appointments(spots, patient, 300)
            measure(f"With {Appointment.objects.count()} appointments", clinic, patient)
            add_appointments(spots, patient, 2700)
            measure(f"With {Appointment.objects.count()} appointments", clinic, patient)
            print("\nTargets: slot page < 30 ms, 90-day search < 200 ms; query counts equal at both sizes.")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()

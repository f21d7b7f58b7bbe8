#!/usr/bin/env python3
"""How fast are the front desk's pages? Run by hand, not a test:

    .venv/bin/python benchmarks/desk.py                      # a throwaway SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic .venv/bin/python benchmarks/desk.py

It creates its own throwaway database (Django's test database for the configured one), migrates,
seeds a busy day (10 clinicians with 40 visits each, 5 rooms) and a worklist that has something
on every line (30 overdue courses, 30 sessions without their re-confirmation, 30 waiting patients
a free time matches), then prints the median time of each page through Django's test client,
logged in, with its number of SQL queries:

- the day grid, the room grid and a clinician's week (front desk);
- the worklist (the staff home, front desk and clinician);
- the app's cheapest logged-in pages, measured in the same run: the patient's profile form, the
  clinic settings start page, the patient's list of services.

Next to each desk page it prints the ratio to the cheapest of those. Target: at most 3x.
"""

import sys
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import TMP, median_ms, queries_of  # noqa: E402  (sets up Django first)
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

REPEAT = 30
DAY = date(2026, 3, 4)  # a Wednesday
NOW = datetime(2026, 3, 4, 20, 0, tzinfo=UTC)  # 12:00 in Los Angeles


def local(day: date, hhmm: str, tz):
    return datetime.combine(day, dtime.fromisoformat(hhmm), tzinfo=tz).astimezone(UTC)


def seed():
    from booking.models import (
        Appointment,
        BookingPolicy,
        CourseStatus,
        Service,
        Status,
        TreatmentCourse,
        WaitlistEntry,
        WorkingHours,
    )
    from clinic.models import Clinic, OpeningHours, Patient, Role, Room, StaffMember, User
    from clinic.services import staff_member_save

    clinic = Clinic.objects.create(name="Bench Clinic", address="1 Main St", phone="+12065550100",
                                   time_zone="America/Los_Angeles", email="desk@bench.test")
    tz = clinic.tzinfo
    BookingPolicy.objects.create(clinic=clinic)
    OpeningHours.objects.bulk_create(OpeningHours(clinic=clinic, weekday=d, opens=dtime(8), closes=dtime(18)) for d in range(6))
    rooms = [Room.objects.create(clinic=clinic, name=f"Room {n}") for n in range(1, 6)]

    def staff(email, role):
        user = User.objects.create_user(email=email, password="x", email_verified_at=NOW, first_name="Sam", last_name=role.label)
        return staff_member_save(staff=StaffMember(user=user, role=role))

    desk, admin = staff("desk@bench.test", Role.FRONT_DESK), staff("admin@bench.test", Role.CLINIC_ADMIN)
    clinicians = [staff(f"doc{n}@bench.test", Role.CLINICIAN).clinician for n in range(10)]
    WorkingHours.objects.bulk_create(
        WorkingHours(clinician=c, weekday=d, starts=dtime(8), ends=dtime(18)) for c in clinicians for d in range(5)
    )
    for service in Service.objects.all():
        service.clinicians.set(clinicians)
    review, session = Service.objects.get(slug="review"), Service.objects.get(slug="sclerotherapy")
    patients = []
    for n in range(40):
        user = User.objects.create_user(email=f"p{n}@bench.test", password="x", email_verified_at=NOW)
        patients.append(Patient.objects.create(user=user, first_name=f"Pat{n}", last_name="Bench", date_of_birth="1980-01-01",
                                               email=user.email, phone=f"+1206555{n:04d}"))
    rows = []
    statuses = [Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED, Status.NO_SHOW]
    for c in clinicians:
        for k in range(40):  # back to back, 08:00 to 18:00
            start = local(DAY, "08:00", tz) + timedelta(minutes=15 * k)
            rows.append(Appointment(patient=patients[k], service=review, clinician=c, start=start, end=start + timedelta(minutes=15),
                                    blocked_start=start, blocked_end=start + timedelta(minutes=15), status=statuses[k % 4],
                                    booked_at=NOW - timedelta(days=7)))
    for k in range(30):
        course = TreatmentCourse.objects.create(patient=patients[k], service=session, planned_sessions=3, status=CourseStatus.ACTIVE)
        start = local(date(2026, 1, 5), "10:00", tz) + timedelta(days=k)  # overdue: the window closed in February
        rows.append(Appointment(patient=patients[k], service=session, clinician=clinicians[k % 10], room=rooms[k % 5],
                                course=course, sequence=1, start=start, end=start + timedelta(minutes=45),
                                blocked_start=start - timedelta(minutes=5), blocked_end=start + timedelta(minutes=55),
                                status=Status.COMPLETED, booked_at=start))
        later = local(DAY + timedelta(days=4), "00:00", tz) + timedelta(hours=k)  # no "anything changed?" yet
        rows.append(Appointment(patient=patients[k], service=session, clinician=clinicians[k % 10], room=rooms[k % 5],
                                start=later, end=later + timedelta(minutes=45), blocked_start=later - timedelta(minutes=5),
                                blocked_end=later + timedelta(minutes=55), status=Status.BOOKED, booked_at=NOW))
        WaitlistEntry.objects.create(patient=patients[k], service=review, earliest=DAY, latest=DAY + timedelta(days=5),
                                     created_at=NOW, match_start=NOW + timedelta(days=1), match_clinician=clinicians[0])
    Appointment.objects.bulk_create(rows, batch_size=500)
    return desk.user, admin.user, clinicians[0].staff.user, patients[0].user, clinicians, rooms


def main():
    import time_machine
    from django.test import Client

    from booking.models import Appointment

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = f"{TMP}/test-bench.sqlite3"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with time_machine.travel(NOW, tick=True):
            desk, admin, clinician, patient, clinicians, rooms = seed()
            print(f"Database: {connection.vendor}; 10 clinicians x 40 visits on {DAY}, 5 rooms; "
                  f"{Appointment.objects.count()} appointments in all; 30 overdue courses, 30 missing re-confirmations, "
                  "30 matched waiting patients")

            def page(user, url, params=None):
                client = Client()
                client.force_login(user)

                def get():
                    response = client.get(url, params or {})
                    assert response.status_code == 200, (url, response.status_code)

                return get

            cheap = {
                "patient's profile form (/me/profile/)": page(patient, "/me/profile/"),
                "clinic settings start page (/settings/)": page(admin, "/settings/"),
                "patient's services (/booking/)": page(patient, "/booking/"),
            }
            desk_pages = {
                "day grid, 10 clinicians (/booking/desk/)": page(desk, "/booking/desk/", {"date": DAY.isoformat()}),
                "day grid by room": page(desk, "/booking/desk/", {"date": DAY.isoformat(), "by": "room"}),
                "week of one clinician": page(desk, "/booking/desk/", {"date": DAY.isoformat(), "view": "week",
                                                                       "who": clinicians[0].pk}),
                "worklist, front desk (/staff/)": page(desk, "/staff/"),
                "worklist, clinician (/staff/)": page(clinician, "/staff/"),
            }
            results = {}
            for label, func in {**cheap, **desk_pages}.items():
                results[label] = (median_ms(func, REPEAT), queries_of(func))
            baseline_label = min(cheap, key=lambda label: results[label][0])
            baseline = results[baseline_label][0]
            print("\nThe cheapest logged-in pages (same run):")
            for label in cheap:
                ms, queries = results[label]
                print(f"  {label:<44} {ms:7.2f} ms median  {queries:2d} queries")
            print(f"\nThe desk's pages (ratio to the cheapest, {baseline_label}):")
            for label in desk_pages:
                ms, queries = results[label]
                print(f"  {label:<44} {ms:7.2f} ms median  {queries:2d} queries  {ms / baseline:5.2f}x")
            print("\nTarget: at most 3x the cheapest logged-in page. Query budgets: grid 12, week 12, worklist 15.")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()

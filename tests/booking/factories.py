"""Booking's factories and a ready-made clinic calendar for tests."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import factory

from booking.models import Appointment, BookingPolicy, Service, Status, WorkingHours
from clinic.models import Role
from tests.factories import ClinicFactory, OpeningHoursFactory, PatientFactory, RoomFactory, make_staff

LA = ZoneInfo("America/Los_Angeles")


def local(day: date, hhmm: str, tz: ZoneInfo = LA) -> datetime:
    """A local wall time as an aware UTC datetime."""
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=tz).astimezone(UTC)


class WorkingHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingHours

    weekday = 0
    starts = time(9)
    ends = time(17)


def service(slug: str) -> Service:
    """One of the three services the data migration creates (re-created after a flush)."""
    defaults = {
        "consultation": dict(name="Consultation", kind="consultation", duration_minutes=30, buffer_after_minutes=5,
                             needs_screening=False, needs_room=True),
        "sclerotherapy": dict(name="Sclerotherapy session", kind="session", duration_minutes=45, buffer_before_minutes=5,
                              buffer_after_minutes=10, price=450, needs_screening=True, needs_room=True),
        "review": dict(name="Review visit", kind="review", duration_minutes=15, needs_screening=False, needs_room=False),
    }[slug]
    obj, _ = Service.objects.get_or_create(slug=slug, defaults=defaults)
    return obj


class Calendar:
    """A clinic in Los Angeles open Monday-Saturday 08:00-18:00, two rooms, two clinicians who
    work Monday-Friday 09:00-17:00 and perform every service."""

    def __init__(self, *, clinicians: int = 2, rooms: int = 2):
        self.clinic = ClinicFactory(time_zone="America/Los_Angeles")
        for day in range(6):
            OpeningHoursFactory(clinic=self.clinic, weekday=day, opens=time(8), closes=time(18))
        self.rooms = [RoomFactory(clinic=self.clinic, name=f"Room {n + 1}") for n in range(rooms)]
        self.policy, _ = BookingPolicy.objects.get_or_create(clinic=self.clinic)
        self.clinicians = []
        for n in range(clinicians):
            staff = make_staff(Role.CLINICIAN, email=f"doc{n + 1}@example.org", first_name=f"Doc{n + 1}", last_name="Vein")
            clinician = staff.clinician
            for day in range(5):
                WorkingHoursFactory(clinician=clinician, weekday=day)
            self.clinicians.append(clinician)
        self.consultation = service("consultation")
        self.session = service("sclerotherapy")
        self.review = service("review")
        for s in (self.consultation, self.session, self.review):
            s.clinicians.set(self.clinicians)


def appointment(*, patient=None, service, clinician, start, room=None, status=Status.BOOKED, **extra) -> Appointment:
    """A row written directly (no checks): for setting up calendars and testing the DB guards."""
    blocked = service.spec.blocked(start)
    return Appointment.objects.create(
        patient=patient or PatientFactory(),
        service=service,
        clinician=clinician,
        room=room,
        start=start,
        end=start + timedelta(minutes=service.duration_minutes),
        blocked_start=blocked.start,
        blocked_end=blocked.end,
        status=status,
        booked_at=start - timedelta(days=7) if status != Status.HELD else None,
        **extra,
    )

from datetime import timedelta

import pytest
from django.utils import timezone

from booking.models import Appointment, Service, Status, TreatmentCourse
from clinic.models import Role
from tests.factories import ClinicFactory, RoomFactory, make_staff


@pytest.fixture
def clinic(db):
    return ClinicFactory(email="desk@clinic.example.org")


@pytest.fixture
def make_appointment(clinic):
    """An appointment row as booking leaves it; tests send booking's events themselves."""
    clinician = make_staff(Role.CLINICIAN, email="doc@example.org").clinician
    room = RoomFactory(clinic=clinic)

    def make(patient, *, service="sclerotherapy", start=None, status=Status.BOOKED, course=None, sequence=None):
        start = start or timezone.now() + timedelta(days=20)
        svc = Service.objects.get(slug=service)
        return Appointment.objects.create(
            patient=patient, service=svc, clinician=clinician, room=room, start=start,
            end=start + timedelta(minutes=svc.duration_minutes), blocked_start=start, status=status,
            blocked_end=start + timedelta(minutes=svc.duration_minutes), booked_at=timezone.now(),
            course=course, sequence=sequence,
        )

    return make


@pytest.fixture
def course_for():
    def make(patient, planned=3):
        return TreatmentCourse.objects.create(patient=patient, service=Service.objects.get(slug="sclerotherapy"),
                                              planned_sessions=planned)

    return make

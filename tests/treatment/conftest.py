"""Treatment fixtures: a clinic calendar, Alice checked in for a session this morning, and a
helper that builds what a clinician would enter (0.5% polidocanol foam on both legs)."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from booking.models import Status
from tests.booking.conftest import NOW  # Monday 2 March 2026, 09:00 in Los Angeles
from tests.booking.factories import Calendar, appointment, local
from treatment.services import AreaInput, RecordInput

TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    """Photos go to a temporary folder, never to var/."""
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "private")}},
    }
    return tmp_path / "private"


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def cal(db):
    return Calendar()


@pytest.fixture
def doctor(cal):
    """The clinician who treats (a Calendar clinician: same role and groups as the demo's)."""
    return cal.clinicians[0].staff.user


@pytest.fixture
def visit(cal, patient, now):
    """Alice's session at 10:00 today, checked in."""
    return appointment(patient=patient, service=cal.session, clinician=cal.clinicians[0], room=cal.rooms[0],
                       start=local(TODAY, "10:00"), status=Status.CHECKED_IN, checked_in_at=NOW)


@pytest.fixture
def make_visit(cal, now):
    def make(patient, day=TODAY, hhmm="10:00", status=Status.CHECKED_IN, service=None, clinician=None):
        return appointment(patient=patient, service=service or cal.session, clinician=clinician or cal.clinicians[0],
                           room=cal.rooms[0], start=local(day, hhmm), status=status)

    return make


def entry(*volumes: str, **changes) -> RecordInput:
    """0.5% polidocanol foam 4:1, lot PD-2026-A (in date), 70 kg, spider veins, one area per
    volume (right calf front, left calf front, ...)."""
    codes = ["right_front_calf", "left_front_calf", "right_front_thigh", "left_front_thigh", "right_back_calf",
             "left_back_calf", "right_back_thigh", "left_back_thigh"]
    base = RecordInput(
        sclerosant="polidocanol", concentration_percent=Decimal("0.5"), form="foam", foam_gas_parts=4,
        foam_liquid_parts=1, lot_number="PD-2026-A", lot_expires_on=TODAY + timedelta(days=200),
        weight_kg=Decimal("70"), areas=tuple(AreaInput(codes[i], "spider", Decimal(v)) for i, v in enumerate(volumes or ("2.0", "1.5"))),
        injections=24, reactions=("none",), compression="class_2", compression_days=3,
    )
    return replace(base, **changes)


@pytest.fixture
def after_the_visit(now, time_machine):
    """10:40 the same morning: the 10:00 session has taken place, so it may be marked completed."""
    time_machine.move_to(local(TODAY, "10:40"), tick=False)

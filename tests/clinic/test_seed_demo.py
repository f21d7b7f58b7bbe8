import pytest
from django.core.management import call_command

from clinic.management.commands.seed_demo import DEMO_PASSWORD
from clinic.models import Clinic, Clinician, OpeningHours, Patient, Role, Room, StaffMember, User

pytestmark = pytest.mark.django_db


def counts():
    return {model.__name__: model.objects.count() for model in (Clinic, OpeningHours, Room, StaffMember, Clinician, Patient, User)}


def test_seed_demo_is_idempotent_and_prints_the_logins(capsys):
    call_command("seed_demo")
    first = counts()
    out = capsys.readouterr().out
    call_command("seed_demo")
    assert counts() == first
    assert first == {"Clinic": 1, "OpeningHours": 6, "Room": 2, "StaffMember": 5, "Clinician": 3, "Patient": 20, "User": 25}
    assert DEMO_PASSWORD in out
    assert "desk@demo.clinic" in out and "patient01@demo.clinic" in out


def test_demo_logins_work_with_the_printed_password(client):
    call_command("seed_demo")
    assert client.login(username="desk@demo.clinic", password=DEMO_PASSWORD)
    assert StaffMember.objects.get(user__email="desk@demo.clinic").role == Role.FRONT_DESK
    assert User.objects.get(email="dr.patel@demo.clinic").has_perm("clinic.view_patient")
    assert client.login(username="patient07@demo.clinic", password=DEMO_PASSWORD)


def test_seed_demo_keeps_changes_made_since(capsys):
    call_command("seed_demo")
    room = Room.objects.get(name="Treatment room 1")
    room.notes = "Laser"
    room.save()
    call_command("seed_demo")
    assert Room.objects.get(pk=room.pk).notes == "Laser"

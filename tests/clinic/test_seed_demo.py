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


def test_demo_staff_have_an_authenticator_and_the_printed_key_logs_them_in(capsys, settings):
    """A newcomer adds the printed key to an authenticator app (pyotp here) and gets through."""
    import re

    import pyotp
    from django.test import Client
    from django.urls import reverse
    from django_otp.plugins.otp_totp.models import TOTPDevice

    call_command("seed_demo")
    out = capsys.readouterr().out
    assert TOTPDevice.objects.filter(user__staff__isnull=False, confirmed=True).count() == 5
    key = re.search(r"desk@demo\.clinic\s+key ([A-Z2-7 ]+)", out).group(1).replace(" ", "")
    assert "otpauth://totp/" in out

    browser = Client()
    browser.post(reverse("login"), {"username": "desk@demo.clinic", "password": DEMO_PASSWORD})
    response = browser.post(reverse("two_factor_verify"), {"code": pyotp.TOTP(key).now()}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("staff_home")

    call_command("seed_demo")  # run again: the same keys, so the app keeps working
    assert re.search(r"desk@demo\.clinic\s+key ([A-Z2-7 ]+)", capsys.readouterr().out).group(1).replace(" ", "") == key


def test_demo_codes_prints_todays_codes_only_in_debug(capsys, settings):
    import pyotp
    from django.core.management.base import CommandError
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from clinic.two_factor import secret_text

    call_command("seed_demo")
    capsys.readouterr()
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only runs with DEBUG on"):
        call_command("demo_codes")
    settings.DEBUG = True
    call_command("demo_codes")
    out = capsys.readouterr().out
    device = TOTPDevice.objects.get(user__email="admin@demo.clinic")
    expected = pyotp.TOTP(secret_text(device).replace(" ", ""))
    assert any(expected.verify(line.split()[-1], valid_window=1) for line in out.splitlines() if "admin@demo.clinic" in line)

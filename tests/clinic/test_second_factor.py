"""Staff two-factor sign-in (issue 11.1): enrol at the first login with a real TOTP code, a code at
every login after, recovery codes, and a clinic admin's reset. A staff session that only gave
the password opens nothing: no staff page, no admin page, no patient's record.

These tests use a plain django.test.Client (named `browser`): the suite's `client` fixture gives
staff the second factor already.
"""

import re
import time

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.models import AuditEvent, Role
from tests.access_matrix import MATRIX, PERSONAS
from tests.factories import PASSWORD, make_staff
from tests.second_factor import authenticator, confirmed_device, fresh_code
from tests.test_access_matrix import url_for, world  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("urgent_mail_sent_at_once")]


@pytest.fixture
def browser():
    return Client()


def password_login(browser, email):
    return browser.post(reverse("login"), {"username": email, "password": PASSWORD}, follow=True)


def actions(user=None):
    events = AuditEvent.objects.order_by("pk")
    return list((events.filter(actor=user) if user else events).values_list("action", flat=True))


def test_first_login_enrols_an_authenticator_with_a_real_code_and_shows_recovery_codes(browser, front_desk):
    response = password_login(browser, "desk@example.org")
    assert response.redirect_chain[-1][0].startswith(reverse("two_factor_setup"))
    page = response.content.decode()
    assert "<svg" in page and "Set up two-factor sign-in" in page
    device = TOTPDevice.objects.get(user=front_desk, confirmed=False)
    key = re.search(r'aria-label="Set-up key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert authenticator(device).secret == key  # what the page shows is the device's secret
    assert password_login(browser, "desk@example.org").content.decode().count(key[:4]) >= 1  # same key on reload

    response = browser.post(reverse("two_factor_setup"), {"code": "000000" if authenticator(device).now() != "000000" else "111111"})
    assert "That code did not match" in response.content.decode()
    time.sleep(1.1)  # django-otp makes each try after a wrong one wait (1 s, then 2 s, 4 s...)
    response = browser.post(reverse("two_factor_setup"), {"code": authenticator(device).now(), "next": "/staff/"}, follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("two_factor_recovery_codes"))
    codes = re.findall(r"<code[^>]*>([a-z2-7]{4})-([a-z2-7]{4})</code>", response.content.decode())
    assert len(codes) == 10
    assert browser.get(reverse("staff_home")).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert "clinic.two_factor.enrol_failed" in actions(front_desk) and "clinic.two_factor.enrolled" in actions(front_desk)


def test_every_later_login_asks_for_the_code_and_a_wrong_one_is_refused_and_audited(browser, clinician):
    device = confirmed_device(clinician)
    response = password_login(browser, "clinician@example.org")
    assert response.redirect_chain[-1][0].startswith(reverse("two_factor_verify"))
    assert browser.get(reverse("staff_home")).status_code == 302
    wrong = "123456" if fresh_code(device) != "123456" else "654321"
    response = browser.post(reverse("two_factor_verify"), {"code": wrong})
    assert "That code is not right" in response.content.decode()
    assert browser.get(reverse("staff_home")).status_code == 302
    time.sleep(1.1)  # the wait django-otp imposes after a wrong code
    response = browser.post(reverse("two_factor_verify"), {"code": fresh_code(device), "next": "/staff/"})
    assert response.url == "/staff/"
    assert browser.get(reverse("staff_home")).status_code == 200
    assert AuditEvent.objects.filter(actor=clinician, action="clinic.login.second_factor_failed").count() == 1
    assert AuditEvent.objects.filter(actor=clinician, action="clinic.login.second_factor_passed").count() == 1


def test_a_code_is_never_taken_twice(browser, clinician):
    device = confirmed_device(clinician)
    code = fresh_code(device)
    password_login(browser, "clinician@example.org")
    assert browser.post(reverse("two_factor_verify"), {"code": code}).status_code == 302
    other = Client()
    password_login(other, "clinician@example.org")
    response = other.post(reverse("two_factor_verify"), {"code": code})
    assert response.status_code == 200 and "That code is not right" in response.content.decode()


def test_guessing_codes_is_throttled(browser, clinician):
    device = confirmed_device(clinician)
    password_login(browser, "clinician@example.org")
    right = fresh_code(device)
    wrong = f"{(int(right) + 1) % 1000000:06d}"
    for _ in range(3):
        browser.post(reverse("two_factor_verify"), {"code": wrong})
    response = browser.post(reverse("two_factor_verify"), {"code": right})
    assert "Too many wrong codes" in response.content.decode()
    assert browser.get(reverse("staff_home")).status_code == 302


def test_a_recovery_code_works_once_instead_of_the_app(browser, clinic_admin):
    from clinic import two_factor

    confirmed_device(clinic_admin)
    codes = two_factor.recovery_codes_renew(user=clinic_admin)
    password_login(browser, "admin@example.org")
    response = browser.post(reverse("two_factor_verify"), {"code": f"{codes[0][:4]}-{codes[0][4:]}".upper()})
    assert response.status_code == 302
    assert browser.get(reverse("staff_home")).status_code == 200
    assert StaticToken.objects.filter(device__user=clinic_admin).count() == 9
    again = Client()
    password_login(again, "admin@example.org")
    assert "That code is not right" in again.post(reverse("two_factor_verify"), {"code": codes[0]}).content.decode()


def test_the_password_alone_cannot_enrol_a_new_device_over_an_existing_one(browser, clinician):
    confirmed_device(clinician)
    password_login(browser, "clinician@example.org")
    response = browser.get(reverse("two_factor_setup"))
    assert response.status_code == 302 and response.url.startswith(reverse("two_factor_verify"))
    assert TOTPDevice.objects.filter(user=clinician).count() == 1


# --- a staff session without the second factor opens nothing ------------------------------------

STAFF_PERSONAS = ("front_desk", "clinician", "clinic_admin")
OPEN_TO_PENDING = {"home", "login", "logout", "sign_up", "sign_up_done", "two_factor_verify", "two_factor_setup",
                   "session_status", "password_reset", "password_reset_done", "password_reset_confirm",
                   "password_reset_complete", "verify_email", "email_change_confirm"}
GUARDED = [(name, persona) for name, line in MATRIX.items() for persona in STAFF_PERSONAS
           if name not in OPEN_TO_PENDING and line.expected[PERSONAS.index(persona)] not in ("403", "L")]


@pytest.mark.parametrize(("name", "persona"), GUARDED, ids=[f"{n}-{p}" for n, p in GUARDED])
def test_a_staff_session_without_the_second_factor_is_sent_to_give_it(browser, request, world, name, persona):  # noqa: F811
    user = request.getfixturevalue(persona)
    confirmed_device(user)
    browser.force_login(user)  # the password was right; the code was never entered
    line = MATRIX[name]
    url = url_for(name, line.args, world)
    response = browser.post(url) if line.method == "POST" else browser.get(url)
    assert response.status_code == 302, f"{line.method} {url}: {response.status_code}"
    assert response.url.startswith(reverse("two_factor_verify")), response.url


def test_the_admin_and_its_pages_need_the_second_factor(browser, admin_user):
    confirmed_device(admin_user)
    browser.force_login(admin_user)
    for url in (reverse("admin:index"), reverse("admin:clinic_user_changelist"), reverse("admin:clinic_patient_changelist")):
        response = browser.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("two_factor_verify")), url


def test_the_admin_has_no_login_of_its_own(browser):
    response = browser.get(reverse("admin:login"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- a clinic admin resets a lost device ------------------------------------------------------------


def test_a_clinic_admin_resets_a_lost_device_and_it_is_audited_and_told(client, clinic_admin, front_desk, django_capture_on_commit_callbacks):
    confirmed_device(front_desk)
    client.force_login(clinic_admin)
    page = client.get(reverse("staff_security")).content.decode()
    assert "Staff sign-in" in page and front_desk.email in page
    desk_staff = front_desk.staff
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("staff_second_factor_reset", args=[desk_staff.pk]), follow=True)
    assert "is reset" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=front_desk).exists()
    event = AuditEvent.objects.get(action="clinic.two_factor.reset")
    assert (event.actor, event.object_id) == (clinic_admin, str(front_desk.pk))
    assert [m.to for m in mail.outbox] == [["desk@example.org"]]
    assert "reset the two-factor sign-in" in mail.outbox[0].body

    browser = Client()  # next login: enrol again
    assert password_login(browser, "desk@example.org").redirect_chain[-1][0].startswith(reverse("two_factor_setup"))


def test_nobody_resets_their_own_device_and_only_a_superuser_resets_a_superusers(client, clinic_admin, admin_user):
    from clinic.models import StaffMember

    confirmed_device(clinic_admin)
    boss = StaffMember.objects.create(user=admin_user, role=Role.CLINIC_ADMIN)
    confirmed_device(admin_user)
    client.force_login(clinic_admin)
    own = client.post(reverse("staff_second_factor_reset", args=[clinic_admin.staff.pk]), follow=True)
    assert "cannot reset your own" in own.content.decode()
    boss_reset = client.post(reverse("staff_second_factor_reset", args=[boss.pk]), follow=True)
    assert "Only a superuser" in boss_reset.content.decode()
    assert TOTPDevice.objects.filter(user__in=[clinic_admin, admin_user]).count() == 2


@pytest.mark.parametrize("persona", ["front_desk", "clinician"])
def test_other_staff_cannot_reset_devices(client, request, persona, clinic_admin):
    confirmed_device(clinic_admin)
    client.force_login(request.getfixturevalue(persona))
    assert client.post(reverse("staff_second_factor_reset", args=[clinic_admin.staff.pk])).status_code == 403
    assert TOTPDevice.objects.filter(user=clinic_admin).exists()


def test_patients_log_in_without_a_second_factor(browser, patient):
    response = password_login(browser, "alice@example.org")
    assert response.redirect_chain[-1][0] == reverse("patient_home")


def test_a_superuser_without_a_staff_role_needs_it_too(browser, admin_user):
    admin_user.set_password(PASSWORD)
    admin_user.save()
    response = password_login(browser, admin_user.email)
    assert response.redirect_chain[-1][0].startswith(reverse("two_factor_setup"))


def test_the_staff_role_needs_it_even_for_a_new_staff_member(browser):
    make_staff(Role.FRONT_DESK, email="new.desk@example.org")
    response = password_login(browser, "new.desk@example.org")
    assert response.redirect_chain[-1][0].startswith(reverse("two_factor_setup"))

"""Sign-up, e-mail confirmation, login, password reset and profile editing."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent, Patient, Role, User
from tests.factories import PASSWORD, make_staff
from tests.second_factor import confirmed_device, fresh_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("urgent_mail_sent_at_once")]

SIGN_UP = {
    "first_name": "Maria",
    "last_name": "Santos",
    "email": "Maria.Santos@Example.org",
    "date_of_birth": "1987-04-02",
    "phone": "(206) 555-0123",
    "preferred_channel": "email",
    "password1": "blue-lantern-harbour-42",
    "password2": "blue-lantern-harbour-42",
}


def sign_up(client, **changes):
    return client.post(reverse("sign_up"), {**SIGN_UP, **changes})


def errors(response, field):
    return response.context["form"].errors.get(field, [])


def test_sign_up_creates_a_patient_and_sends_a_confirmation_link(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_up(client)
    assert response.status_code == 302
    assert response.url == reverse("sign_up_done")
    assert "maria.santos@example.org" in client.get(response.url).content.decode()
    patient = Patient.objects.get()
    assert patient.email == "maria.santos@example.org"
    assert patient.user.email == "maria.santos@example.org"
    assert str(patient.phone) == "+12065550123"
    assert patient.user.email_verified is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["maria.santos@example.org"]
    assert "/accounts/verify/" in mail.outbox[0].body
    # Not logged in: the same answer as for an address that has an account (below).
    assert client.get(reverse("patient_home")).status_code == 302
    assert client.login(username="maria.santos@example.org", password=SIGN_UP["password1"])


def test_confirmation_link_verifies_the_address_once(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client)
    link = re.search(r"http://testserver(/accounts/verify/\S+)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    assert "your e-mail address is confirmed" in response.content.decode()
    assert User.objects.get().email_verified_at is not None


def test_a_tampered_confirmation_link_is_refused(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client)
    link = re.search(r"http://testserver(/accounts/verify/\S+)", mail.outbox[0].body).group(1)
    response = client.get(link[:-3] + "abc/", follow=True)
    assert "invalid or has expired" in response.content.decode()
    assert User.objects.get().email_verified_at is None


def test_sign_up_with_a_taken_address_answers_the_same_and_tells_the_owner(client, patient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        taken = sign_up(client, email="ALICE@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        new = sign_up(client, email="someone.new@example.org")
    assert (taken.status_code, taken.url) == (new.status_code, new.url) == (302, reverse("sign_up_done"))
    assert Patient.objects.count() == 2  # Alice, and the new one; nobody else
    to_alice = [m for m in mail.outbox if m.to == ["alice@example.org"]]
    assert [m.subject for m in to_alice] == ["Someone tried to create an account with your address"]
    assert "/accounts/login/" in to_alice[0].body and "/accounts/password_reset/" in to_alice[0].body
    assert patient.user.check_password(PASSWORD)  # nothing about Alice's account changed
    assert AuditEvent.objects.filter(action="clinic.account.sign_up_existing", object_id=str(patient.user.pk)).count() == 1


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "This password is too short. It must contain at least 10 characters."),
        ("password123", "This password is too common."),
        ("8347562910", "This password is entirely numeric."),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(client, password, message):
    response = sign_up(client, password1=password, password2=password)
    assert message in errors(response, "password1")
    assert not User.objects.exists()


def test_mismatched_passwords_are_refused(client):
    response = sign_up(client, password2="something-else-entirely")
    assert errors(response, "password2") == ["The two passwords do not match."]


def test_a_bad_phone_number_is_refused_next_to_the_field(client):
    response = sign_up(client, phone="12345")
    assert errors(response, "phone") == ["Enter a valid phone number, e.g. (206) 555-0147 or +1 206 555 0147."]
    assert 'value="12345"' in response.content.decode()


def test_a_birth_date_in_the_future_is_refused(client):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = sign_up(client, date_of_birth=tomorrow)
    assert errors(response, "date_of_birth") == ["The date of birth cannot be in the future."]


def test_text_reminders_need_a_number_and_consent(client):
    response = sign_up(client, preferred_channel="sms", phone="")
    assert errors(response, "phone") == ["Add a mobile number to get reminders by text message."]
    assert errors(response, "sms_consent") == ["Tick this box to get reminders by text message, or choose e-mail."]


def test_login_is_by_email_in_any_case_and_patients_land_on_their_home(client, patient):
    response = client.post(reverse("login"), {"username": "ALICE@Example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(response.url).url == reverse("patient_home")


def test_a_wrong_password_says_so_and_keeps_the_email(client, patient):
    response = client.post(reverse("login"), {"username": "alice@example.org", "password": "nope"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "That e-mail address and password do not match an account." in page
    assert 'value="alice@example.org"' in page


@pytest.mark.parametrize("role", list(Role))
def test_staff_land_on_the_staff_home_after_their_code(client, role):
    staff = make_staff(role, email="someone@example.org")
    device = confirmed_device(staff.user)
    response = client.post(reverse("login"), {"username": "someone@example.org", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("two_factor_verify"))
    response = client.post(response.redirect_chain[-1][0], {"code": fresh_code(device)}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("staff_home")
    assert response.status_code == 200


def test_logout_ends_the_session(client, patient):
    client.force_login(patient.user)
    client.post(reverse("logout"))
    assert client.get(reverse("patient_home")).status_code == 302


def test_password_reset_by_email_sets_a_new_password(client, patient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "Alice@example.org"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    set_password_url = form_page.redirect_chain[-1][0]
    new = "quiet-river-stone-77"
    response = client.post(set_password_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert client.login(username="alice@example.org", password=new)


def test_password_reset_does_not_reveal_unknown_addresses(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_a_patient_edits_their_profile(client, patient):
    client.force_login(patient.user)
    data = {"first_name": "Alicia", "last_name": "Walker", "email": "alice@example.org", "date_of_birth": "1985-06-15",
            "phone": "+1 206 555 0199", "preferred_channel": "sms", "sms_consent": "on"}
    response = client.post(reverse("profile_edit"), data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.first_name, str(patient.phone), patient.preferred_channel) == ("Alicia", "+12065550199", "sms")
    assert patient.sms_consent_at is not None
    assert patient.user.first_name == "Alicia"
    assert patient.user.email_verified is True


PROFILE = {"first_name": "Alice", "last_name": "Walker", "date_of_birth": "1985-06-15", "phone": "", "preferred_channel": "email"}


def test_changing_email_needs_the_current_password(client, patient):
    client.force_login(patient.user)
    for typed in ("", "not-my-password"):
        response = client.post(reverse("profile_edit"), {**PROFILE, "email": "alice.new@example.org", "current_password": typed})
        assert errors(response, "current_password") == ["Enter your current password to change your e-mail address."]
        assert 'value="alice.new@example.org"' in response.content.decode()  # what was typed stays
    assert mail.outbox == []
    patient.refresh_from_db()
    assert patient.user.email == "alice@example.org"


def test_a_new_email_is_confirmed_from_the_new_address_and_the_old_one_is_told(client, patient, django_capture_on_commit_callbacks):
    client.force_login(patient.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("profile_edit"), {**PROFILE, "email": "alice.new@example.org", "current_password": PASSWORD})
    patient.refresh_from_db()
    assert patient.user.email == patient.email == "alice@example.org"  # nothing changes until confirmed
    confirm, notice = sorted(mail.outbox, key=lambda m: m.to != ["alice.new@example.org"])
    assert confirm.to == ["alice.new@example.org"] and notice.to == ["alice@example.org"]
    assert "alice.new@example.org" in notice.body and "/accounts/password_reset/" in notice.body
    link = re.search(r"http://testserver(/accounts/email/confirm/\S+)", confirm.body).group(1)

    client.logout()  # the link works from any browser: opening it proves the new address
    page = client.get(link, follow=True).content.decode()
    assert "alice.new@example.org is now the address of your account" in page
    patient.refresh_from_db()
    assert patient.user.email == patient.email == "alice.new@example.org"
    assert patient.user.email_verified
    page = client.get(link, follow=True).content.decode()  # once only
    assert "already used" in page


def test_a_taken_address_is_refused_only_to_whoever_opens_the_link_there(client, patient, other_patient, django_capture_on_commit_callbacks):
    client.force_login(patient.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("profile_edit"), {**PROFILE, "email": "BOB@example.org", "current_password": PASSWORD})
    assert response.status_code == 302  # the same answer as for a free address: nothing revealed here
    link = re.search(r"http://testserver(/accounts/email/confirm/\S+)", next(m for m in mail.outbox if m.to == ["bob@example.org"]).body).group(1)
    page = client.get(link, follow=True).content.decode()
    assert "Another account already uses bob@example.org" in page
    patient.refresh_from_db()
    assert patient.user.email == "alice@example.org"


def test_text_reminders_without_consent_are_refused_by_the_database(patient):
    from django.db import IntegrityError, transaction

    patient.preferred_channel = "sms"
    patient.sms_consent = False
    with pytest.raises(IntegrityError), transaction.atomic():
        patient.save()

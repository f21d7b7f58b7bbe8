"""A new patient signs up on a phone; staff log in on the same page and land on their home."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from clinic.models import Patient, Role
from tests.e2e.conftest import screenshot
from tests.e2e.helpers import log_in
from tests.factories import PASSWORD, ClinicFactory, PatientFactory, make_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.usefixtures("urgent_mail_sent_at_once")]


def test_a_patient_signs_up_on_a_phone_fixing_mistakes_without_retyping(phone):
    ClinicFactory()
    PatientFactory(user__email="taken@example.org")
    phone.goto("/")
    phone.get_by_role("link", name="Create an account").first.click()
    expect(phone.get_by_role("heading", name="Create your account")).to_be_visible()

    phone.get_by_label("First name").fill("Nora")
    phone.get_by_label("Last name").fill("Quinn")
    phone.get_by_label("Date of birth").fill("1990-05-20")
    phone.get_by_label("E-mail address").fill("taken@example.org")
    phone.get_by_label("Mobile phone").fill("206 555 01")
    phone.locator("#id_password1").fill("short")
    phone.locator("#id_password2").fill("short")
    phone.get_by_role("button", name="Create my account").click()

    expect(phone.get_by_text("Enter a valid phone number")).to_be_visible()
    expect(phone.get_by_text("This password is too short.")).to_be_visible()
    expect(phone.get_by_label("First name")).to_have_value("Nora")
    expect(phone.get_by_label("Date of birth")).to_have_value("1990-05-20")
    screenshot(phone, "sign-up-errors-phone")

    phone.get_by_label("E-mail address").fill("nora@example.org")
    phone.get_by_label("Mobile phone").fill("206 555 0188")
    phone.locator("#id_password1").fill("amber-meadow-lantern-9")
    phone.locator("#id_password2").fill("amber-meadow-lantern-9")
    phone.get_by_role("button", name="Create my account").click()

    expect(phone.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    expect(phone.get_by_text("nora@example.org")).to_be_visible()
    screenshot(phone, "sign-up-check-email-phone")
    assert Patient.objects.get(email="nora@example.org").user.email_verified is False
    link = re.search(r"http://testserver(/accounts/verify/\S+)", mail.outbox[-1].body).group(1)
    phone.goto(link)
    expect(phone.get_by_text("your e-mail address is confirmed. Log in to continue.")).to_be_visible()
    log_in(phone, "nora@example.org", "amber-meadow-lantern-9")
    expect(phone.get_by_role("heading", name="Hello, Nora")).to_be_visible()
    screenshot(phone, "patient-home-phone")


def test_front_desk_logs_in_on_the_shared_page_and_finds_a_patient(phone):
    ClinicFactory()
    make_staff(Role.FRONT_DESK, email="desk@example.org")
    PatientFactory(first_name="Greta", last_name="Lindqvist")
    log_in(phone, "DESK@example.org", PASSWORD)
    expect(phone.get_by_role("heading", name=re.compile("^Front desk"))).to_be_visible()
    phone.get_by_role("searchbox").fill("lindq")
    phone.get_by_role("button", name="Search").click()
    phone.get_by_role("link", name=re.compile("Greta Lindqvist")).click()
    expect(phone.get_by_role("heading", name="Greta Lindqvist")).to_be_visible()
    screenshot(phone, "desk-patient-phone")


def test_the_skip_link_is_the_first_stop_for_keyboard_users(phone):
    ClinicFactory()
    phone.goto("/")
    phone.keyboard.press("Tab")
    focused = phone.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"

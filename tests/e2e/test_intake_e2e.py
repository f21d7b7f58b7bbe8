"""On a phone: Alice answers the health questions, is held for review, a clinician clears her."""

import re

import pytest
from playwright.sync_api import expect

from clinic.models import Role
from intake.models import Screening
from tests.e2e.conftest import SCREENSHOTS, screenshot
from tests.e2e.helpers import log_in, log_out
from tests.factories import ClinicFactory, PatientFactory, make_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def viewport_shot(page, name):
    """What the phone shows right now (a full-page shot of a long page is too small to judge)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def answer(page, question, choice):
    page.get_by_role("group", name=re.compile(re.escape(question))).get_by_label(choice, exact=True).check()


def next_step(page):
    page.get_by_role("button", name="Save and continue").click()


def test_alice_is_held_for_review_on_her_phone_and_a_clinician_clears_her(phone):
    ClinicFactory()
    PatientFactory(first_name="Alice", last_name="Walker", user__email="alice@example.org")
    make_staff(Role.CLINICIAN, email="dr.patel@example.org", first_name="Priya", last_name="Patel")

    log_in(phone, "alice@example.org")
    phone.get_by_role("link", name="Start the health questions").click()
    phone.get_by_role("link", name="Start").click()

    # 1 About you: the date of birth is already filled in from her record.
    expect(phone.get_by_role("heading", name="About you")).to_be_visible()
    expect(phone.get_by_label("Date of birth")).to_have_value("1985-06-15")
    phone.get_by_label("Height in centimetres").fill("168")
    phone.get_by_label("Lower legs").check()
    phone.get_by_label("Thin red, purple or blue lines").check()
    screenshot(phone, "intake-1-about-you-phone")
    next_step(phone)

    # 2 Pregnancy: the follow-up appears only after "Yes".
    expect(phone.get_by_role("heading", name="Pregnancy")).to_be_visible()
    answer(phone, "Are you pregnant now?", "No")
    expect(phone.get_by_label("If yes: when did the pregnancy end?")).to_be_hidden()
    answer(phone, "Have you been pregnant in the last 3 months?", "Yes")
    expect(phone.get_by_label("If yes: when did the pregnancy end?")).to_be_visible()
    answer(phone, "Have you been pregnant in the last 3 months?", "No")
    answer(phone, "Are you breastfeeding?", "No")
    next_step(phone)

    # 3 Circulation: she forgets one question first; the error sits by it, her answers stay.
    answer(phone, "blood clot in a vein", "No")
    answer(phone, "blood clots too easily", "No")
    answer(phone, "sore, red, hard vein", "No")
    answer(phone, "arteries in your legs are narrowed", "No")
    answer(phone, "hole in your heart", "No")
    next_step(phone)
    error = phone.locator("#div_id_migraine_with_aura").get_by_text("Please choose an answer.")
    expect(error).to_be_visible()
    expect(phone.get_by_role("group", name=re.compile("hole in your heart")).get_by_label("No", exact=True)).to_be_checked()
    screenshot(phone, "intake-3-error-phone")
    answer(phone, "migraines that start with warning signs", "Yes")
    next_step(phone)

    # 4 Medicines
    answer(phone, "Do you take a blood thinner?", "No")
    phone.get_by_label("Which medicines do you take now").fill("none")
    answer(phone, "Do you use hormones?", "No")
    phone.get_by_label("Are you allergic to anything?").fill("none")
    next_step(phone)

    # 5 General health
    answer(phone, "Do you have diabetes?", "No")
    answer(phone, "Do you have cancer now", "No")
    answer(phone, "Do you have a blood condition?", "No")
    answer(phone, "any other serious health condition", "No")
    phone.get_by_label("I walk normally").check()
    answer(phone, "major operation", "No")
    answer(phone, "Is the skin where you'd like treatment infected", "No")
    answer(phone, "Do you have a fever", "No")
    next_step(phone)

    # 6 Legs and plans
    answer(phone, "open sore", "No")
    answer(phone, "often ache, throb or swell", "No")
    answer(phone, "vein injections (sclerotherapy) before", "No")
    answer(phone, "Do you smoke?", "No")
    answer(phone, "planning a flight", "No")
    screenshot(phone, "intake-6-plans-phone")
    next_step(phone)

    # 7 Check, sign and send
    expect(phone.get_by_role("heading", name="Check and send")).to_be_visible()
    viewport_shot(phone, "intake-7-top-viewport")
    phone.get_by_label("I have read the consent form").check()
    phone.get_by_label("Type your full name to sign").fill("alice  walker")
    phone.get_by_role("button", name="Sign and send my answers").scroll_into_view_if_needed()
    viewport_shot(phone, "intake-7-sign-viewport")
    phone.get_by_role("button", name="Sign and send my answers").click()

    expect(phone.get_by_role("heading", name="A clinician will look at your answers")).to_be_visible()
    expect(phone.get_by_text("within 2 working days")).to_be_visible()
    expect(phone.get_by_text("You get migraines with aura")).to_be_visible()
    screenshot(phone, "intake-result-review-phone")
    log_out(phone)

    # The clinician, also on a phone.
    log_in(phone, "dr.patel@example.org")
    if phone.get_by_role("button", name="Show menu").is_visible():
        phone.get_by_role("button", name="Show menu").click()
    phone.get_by_role("link", name="Reviews").click()
    screenshot(phone, "intake-review-queue-phone")
    phone.get_by_role("link", name=re.compile("Alice Walker")).click()
    flagged = phone.locator("[data-flagged=true]")
    expect(flagged).to_have_count(1)
    expect(flagged).to_contain_text("migraines that start with warning signs")
    expect(flagged).to_contain_text("Yes")
    screenshot(phone, "intake-clinician-screening-phone")
    viewport_shot(phone, "intake-clinician-top-viewport")
    flagged.scroll_into_view_if_needed()
    viewport_shot(phone, "intake-clinician-flagged-viewport")
    phone.get_by_label("Clear for treatment").check()
    phone.get_by_label("Note for the record (why)").fill("Aura without other shunt signs; no foam planned.")
    phone.get_by_role("button", name="Save decision").click()
    expect(phone.get_by_text("Decision saved.")).to_be_visible()
    assert Screening.objects.get().decision == "clear"
    log_out(phone)

    # Alice sees she is cleared.
    log_in(phone, "alice@example.org")
    expect(phone.get_by_text("You're cleared for treatment")).to_be_visible()
    screenshot(phone, "intake-patient-home-cleared-phone")
    phone.get_by_role("link", name="See my screening").click()
    expect(phone.get_by_role("heading", name="You're cleared for treatment")).to_be_visible()
    screenshot(phone, "intake-result-cleared-phone")

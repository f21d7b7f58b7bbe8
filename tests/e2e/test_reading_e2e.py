"""Issue 13 in a real browser: a patient ticks "no" to blood thinners and writes "Eliquis 5mg twice
daily" in the allergy box on her phone; it counts as a blood thinner taken, so she is not cleared; a clinician on a desktop
sees the word marked where it stands and the contradiction explained."""

import re

import pytest
from playwright.sync_api import expect

from clinic.models import Role
from intake.models import Screening
from tests.e2e.conftest import screenshot
from tests.e2e.helpers import log_in, log_out
from tests.factories import ClinicFactory, PatientFactory, make_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
DESKTOP = {"viewport": {"width": 1366, "height": 900}}


def answer(page, question, choice):
    page.get_by_role("group", name=re.compile(re.escape(question))).get_by_label(choice, exact=True).check()


def next_step(page, heading):
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name=heading)).to_be_visible()


def test_eliquis_in_the_allergy_box_is_not_cleared_and_the_clinician_sees_why(phone, browser, live_site):
    ClinicFactory()
    PatientFactory(first_name="Alice", last_name="Walker", user__email="alice@example.org")
    make_staff(Role.CLINICIAN, email="dr.patel@example.org", first_name="Priya", last_name="Patel")

    log_in(phone, "alice@example.org")
    phone.goto("/intake/step/1/")
    phone.get_by_label("Lower legs").check()
    phone.get_by_label("Thin red, purple or blue lines").check()
    next_step(phone, "Pregnancy")
    for question in ("Are you pregnant now?", "pregnant in the last 3 months", "Are you breastfeeding?"):
        answer(phone, question, "No")
    next_step(phone, "Blood clots and circulation")
    for question in ("blood clot in a vein", "blood clots too easily", "sore, red, hard vein",
                     "arteries in your legs are narrowed", "hole in your heart", "migraines that start with warning signs"):
        answer(phone, question, "No")
    next_step(phone, "Medicines and allergies")
    answer(phone, "Do you take a blood thinner?", "No")
    phone.get_by_label("Which medicines do you take now").fill("none")
    answer(phone, "Do you use hormones?", "No")
    phone.get_by_label("Are you allergic to anything?").fill("Eliquis 5mg twice daily")
    next_step(phone, "General health")
    for question in ("Do you have diabetes?", "Do you have cancer now", "Do you have a blood condition?",
                     "any other serious health condition", "major operation",
                     "Is the skin where you'd like treatment infected", "Do you have a fever"):
        answer(phone, question, "No")
    phone.get_by_label("I walk normally").check()
    next_step(phone, "Your legs, earlier treatment and plans")
    for question in ("open sore", "often ache, throb or swell", "vein injections (sclerotherapy) before",
                     "Do you smoke?", "planning a flight"):
        answer(phone, question, "No")
    expect(phone.get_by_label("Is there anything else we should know?")).to_be_visible()
    next_step(phone, "Check and send")
    phone.get_by_label("I have read the consent form").check()
    phone.get_by_label("Type your full name to sign").fill("Alice Walker")
    phone.get_by_role("button", name="Sign and send my answers").click()

    expect(phone.get_by_role("heading", name="This treatment isn't right for you here")).to_be_visible()
    expect(phone.get_by_text("We couldn't tell whether you're allergic to it or take it")).to_be_visible()
    expect(phone.get_by_text("you answered No about taking a blood thinner")).to_be_visible()
    screenshot(phone, "reading-result-phone")
    assert Screening.objects.get().outcome == "not_eligible"
    log_out(phone)

    desk = browser.new_context(base_url=live_site.url, **DESKTOP).new_page()
    log_in(desk, "dr.patel@example.org")
    desk.goto("/intake/reviews/")
    desk.get_by_role("link", name=re.compile("Alice Walker")).click()
    allergies = desk.locator("#answer-allergies")
    expect(allergies).to_have_attribute("data-flagged", "true")
    expect(allergies.locator("mark.hl-found")).to_have_text(re.compile(r"^Eliquis"))
    expect(allergies.locator(".typed-answer")).to_contain_text("5mg twice daily")
    table = desk.get_by_role("table")
    expect(table).to_contain_text("Do you take a blood thinner?")
    expect(table).to_contain_text("“Eliquis”")
    expect(table).to_contain_text("apixaban (anticoagulant)")
    screenshot(desk, "reading-clinician-desktop")
    desk.context.close()

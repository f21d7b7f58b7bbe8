"""The front desk runs a morning in a real browser: books from the grid, moves a visit by dragging
it, checks a patient in from the worklist, marks a no-show and takes it back; then the same day
list on a phone."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from booking.models import Appointment, Status
from clinic.models import Role
from tests.booking.factories import Calendar, local
from tests.booking.factories import appointment as make_appointment
from tests.e2e.conftest import PHONE, screenshot
from tests.e2e.helpers import log_in
from tests.factories import PatientFactory, make_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WED = date(2026, 3, 4)


@pytest.fixture
def morning():
    """Wednesday 4 March 2026, 09:05 in Los Angeles; the clock runs on from there."""
    with time_machine.travel(local(WED, "09:05"), tick=True):
        yield


@pytest.fixture
def clinic_day(morning):
    cal = Calendar()
    make_staff(Role.FRONT_DESK, email="desk@example.org")
    PatientFactory(first_name="Alice", last_name="Walker", phone="+13105550147")
    PatientFactory(first_name="Bruno", last_name="Diaz", phone="+13105550148")
    late = PatientFactory(first_name="Chloe", last_name="Martin")
    # Chloe's 08:45 visit has started and she is not here.
    make_appointment(patient=late, service=cal.consultation, clinician=cal.clinicians[1], room=cal.rooms[1],
                     start=local(WED, "08:45"))
    return cal


def book_from_grid(page, column: int, query: str):
    page.goto("/booking/desk/")
    page.locator(".cal-col").nth(column).locator(".cell-free a").first.click()
    expect(page.get_by_role("heading", name="Book for a patient")).to_be_visible()
    page.wait_for_function("() => window.htmx !== undefined")  # deferred: typing before it loads is not seen
    page.get_by_label("Find a patient").fill(query)  # results come as you type (htmx)
    page.locator("#patient-results a").first.click()
    expect(page.get_by_role("heading", name="2. Service")).to_be_visible()
    page.get_by_role("link", name=re.compile("Consultation")).click()
    expect(page.get_by_role("heading", name="4. Book it")).to_be_visible()
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_text("Booked Consultation for")).to_be_visible()


def test_the_desk_books_moves_checks_in_and_undoes_a_no_show_on_a_laptop(browser, live_site, clinic_day):
    context = browser.new_context(base_url=live_site.url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, "desk@example.org")
    book_from_grid(page, 0, "(310) 555-0147")  # the phone number as it is written
    book_from_grid(page, 0, "Diaz")
    assert Appointment.objects.filter(status=Status.BOOKED, patient__last_name__in=["Walker", "Diaz"]).count() == 2
    page.goto("/booking/desk/")
    screenshot(page, "desk-grid-laptop")

    # Move Alice's visit by dragging it onto a later free time of the same column.
    alice = Appointment.objects.get(patient__last_name="Walker")
    page.locator(".cell-visit", has_text="Alice Walker").drag_to(page.locator(".cal-col").nth(0).locator(".cell-free").nth(8))
    expect(page.get_by_role("heading", name="Move Alice Walker's visit")).to_be_visible()
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_text("Moved. The patient gets an e-mail")).to_be_visible()
    moved = Appointment.objects.get(pk=alice.pk)
    assert moved.start > alice.start

    # One click on the worklist checks Bruno in; the arrivals card redraws itself.
    page.goto("/staff/")
    page.get_by_role("button", name="Check in Bruno Diaz").click()
    expect(page.get_by_text("Bruno Diaz is checked in.")).to_be_visible()
    assert Appointment.objects.get(patient__last_name="Diaz").status == Status.CHECKED_IN
    screenshot(page, "desk-worklist-laptop")

    # Chloe's visit has started: a no-show, then taken back with a reason.
    page.get_by_role("link", name="Chloe Martin").click()
    page.get_by_role("button", name="No-show").click()
    expect(page.get_by_text("Marked as a no-show.")).to_be_visible()
    page.get_by_label(re.compile("Undo")).fill("She was in the waiting room")
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("Undone. The history keeps the reason.")).to_be_visible()
    expect(page.get_by_text("She was in the waiting room")).to_be_visible()
    assert Appointment.objects.get(patient__last_name="Martin").status == Status.BOOKED
    context.close()


def test_on_a_phone_the_grid_is_a_day_list_with_the_same_actions(browser, live_site, clinic_day):
    context = browser.new_context(base_url=live_site.url, **PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, "desk@example.org")
    page.goto("/booking/desk/")
    chips = page.locator(".cal-col").nth(0).locator(".cell-free a")
    expect(chips.first).to_be_visible()
    assert chips.first.bounding_box()["height"] >= 40  # a thumb-sized target
    screenshot(page, "desk-day-list-phone")
    book_from_grid(page, 0, "Walker")
    alice = Appointment.objects.get(patient__last_name="Walker")
    # Move it the phone way: Move, then one of the times where it fits.
    page.get_by_role("link", name="Move", exact=True).click()
    expect(page.get_by_text(re.compile("Moving Alice Walker"))).to_be_visible()
    page.locator(".cell-target a").last.click()
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_text("Moved. The patient gets an e-mail")).to_be_visible()
    assert Appointment.objects.get(pk=alice.pk).start > alice.start + timedelta(minutes=15)
    context.close()

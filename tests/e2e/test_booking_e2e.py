"""A patient books on a phone in a few taps; the desk sees it on the day calendar."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from booking.models import Appointment, Status
from clinic.models import Role
from tests.booking.factories import Calendar
from tests.e2e.conftest import screenshot
from tests.e2e.helpers import log_in
from tests.factories import PatientFactory, make_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_alice_books_a_consultation_on_her_phone_and_the_desk_sees_it(phone, browser, live_site):
    cal = Calendar()
    PatientFactory(first_name="Alice", last_name="Walker", user__email="alice@example.org")
    log_in(phone, "alice@example.org")
    phone.get_by_role("link", name="Book a visit").first.click()
    expect(phone.get_by_role("heading", name="Book a visit")).to_be_visible()
    screenshot(phone, "booking-services-phone")
    phone.get_by_role("link", name=re.compile("Consultation")).click()
    expect(phone.get_by_role("heading", name="Consultation")).to_be_visible()
    screenshot(phone, "booking-slots-phone")
    first_time = phone.locator(".slot-grid button.slot").first
    chosen = first_time.inner_text()
    first_time.click()
    expect(phone.get_by_role("heading", name="Confirm your visit")).to_be_visible()
    expect(phone.get_by_text(chosen, exact=False).first).to_be_visible()
    screenshot(phone, "booking-confirm-phone")
    phone.get_by_role("button", name="Confirm booking").click()
    expect(phone.get_by_role("heading", name="Your visit")).to_be_visible()
    expect(phone.get_by_text("You're booked")).to_be_visible()
    screenshot(phone, "booking-booked-phone")
    booked = Appointment.objects.get(status=Status.BOOKED)

    desk = browser.new_context(base_url=live_site.url, viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    make_staff(Role.FRONT_DESK, email="desk@example.org")
    log_in(page, "desk@example.org")
    page.goto(f"/booking/desk/?date={timezone.localtime(booked.start, cal.clinic.tzinfo).date().isoformat()}")
    expect(page.get_by_role("link", name=re.compile("Alice Walker"))).to_be_visible()
    screenshot(page, "booking-desk-calendar")
    page.get_by_role("link", name=re.compile("Alice Walker")).click()
    # The visit is a day or more away: check-in waits for its day, and the page says so.
    expect(page.get_by_role("button", name="Check in")).to_be_disabled()
    expect(page.get_by_text("on the day of the visit")).to_be_visible()
    desk.close()
    booked.refresh_from_db()
    assert booked.status == Status.BOOKED

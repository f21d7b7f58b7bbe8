"""In a real browser, on a phone and a desktop: the front desk's red banner when reminders stop,
the staff home's card, and the clinic admin's *Text messages* settings tab."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clinic.models import OutboxHealth, Role
from tests.e2e.conftest import screenshot
from tests.e2e.helpers import log_in, log_out
from tests.factories import ClinicFactory, make_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESKTOP = {"viewport": {"width": 1366, "height": 900}}


def dispatcher_ran(minutes_ago):
    OutboxHealth.row()
    OutboxHealth.objects.filter(pk=1).update(last_run_at=timezone.now() - timedelta(minutes=minutes_ago))


@pytest.fixture
def desktop(browser, live_site):
    context = browser.new_context(base_url=live_site.url, **DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_desk_sees_the_banner_when_reminders_stop_and_the_admin_sets_quiet_hours(request, live_site, device):
    page = request.getfixturevalue(device)
    ClinicFactory()
    desk = make_staff(Role.FRONT_DESK, email="desk@example.org").user
    admin = make_staff(Role.CLINIC_ADMIN, email="admin@example.org").user

    dispatcher_ran(1)
    log_in(page, desk.email)
    expect(page.get_by_role("heading", name="Reminders going out")).to_be_visible()
    expect(page.get_by_text("Working")).to_be_visible()
    expect(page.get_by_text("Reminders are not going out")).to_have_count(0)
    screenshot(page, f"reminders-staff-home-ok-{device}")

    dispatcher_ran(7)
    page.goto("/aftercare/staff/messages/problems/")
    banner = page.get_by_role("alert").filter(has_text="Reminders are not going out")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("7 minutes ago")
    screenshot(page, f"reminders-banner-{device}")
    banner.get_by_role("link", name="Details").click()
    expect(page.get_by_text("Stopped")).to_be_visible()
    screenshot(page, f"reminders-staff-home-stopped-{device}")
    log_out(page)

    log_in(page, admin.email)
    page.goto("/settings/")
    page.get_by_role("navigation", name="Clinic settings").get_by_role("link", name="Text messages").click()
    expect(page.get_by_role("heading", name="Text messages")).to_be_visible()
    page.get_by_label("No text messages from").fill("21:00")
    page.get_by_label("Until").fill("21:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The quiet hours must start and end at different times.")).to_be_visible()
    expect(page.get_by_label("No text messages from")).to_have_value("21:00")
    screenshot(page, f"reminders-settings-error-{device}")
    page.get_by_label("Until").fill("07:30")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(page.get_by_text("Now: no texts from 21:00 until 07:30")).to_be_visible()
    screenshot(page, f"reminders-settings-saved-{device}")

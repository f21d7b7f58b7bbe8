"""Browser steps shared by the journeys. Every step waits for the page it leads to.

A click that starts a navigation returns before the next page has loaded; the step after it must
not run against the old page. On a busy machine, a log-out that had not finished yet sent the next
log-in to the staff home instead of the login form. So each helper ends by waiting for proof that
the new page is there (its URL and a landmark on it), never for a fixed time.
"""

import re

from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.second_factor import confirmed_device, fresh_code

LOGIN_PATH = "/accounts/login/"
SECOND_FACTOR_PATH = "/accounts/two-factor/"


def log_in(page, email: str, password: str = PASSWORD) -> None:
    """Logs in from the login form and waits until the browser has left it, logged in.

    Staff then answer the second-factor prompt the way a person does: with the code their
    authenticator app shows, computed here with pyotp from their device's key (a staff member
    without a device gets one first, as if they had enrolled earlier).
    """
    device = _staff_device(email)
    page.goto(LOGIN_PATH)
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: LOGIN_PATH not in url)
    if device is not None:
        answer_second_factor(page, device)
    expect(page.get_by_role("button", name="Log out", include_hidden=True)).to_be_attached()


def answer_second_factor(page, device) -> None:
    """On the "Enter your code" page: types the app's current code and waits to be let through."""
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Code from your authenticator app").fill(fresh_code(device))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: SECOND_FACTOR_PATH not in url)


def _staff_device(email: str):
    from clinic.access import needs_second_factor
    from clinic.models import User

    user = User.objects.filter(email__iexact=email).first()
    return confirmed_device(user) if user is not None and needs_second_factor(user) else None


def log_out(page) -> None:
    """Logs out with the menu's button and waits for the logged-out login page."""
    menu = page.get_by_role("button", name="Show menu")
    if menu.is_visible():
        menu.click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(re.escape(LOGIN_PATH) + r"$"))
    expect(page.get_by_role("button", name="Log out", include_hidden=True)).to_have_count(0)
    expect(page.get_by_label("E-mail address")).to_be_visible()

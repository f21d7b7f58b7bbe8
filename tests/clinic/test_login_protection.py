"""Lockout (django-axes, by account and address together), rate limits (django-ratelimit) and the
audit of every login (issue 11.2, 11.3)."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("urgent_mail_sent_at_once")]

HOME, ELSEWHERE = "203.0.113.7", "198.51.100.23"


def attempt(email, password, ip=HOME):
    return Client(REMOTE_ADDR=ip).post(reverse("login"), {"username": email, "password": password})


def fail(times, email="alice@example.org", ip=HOME):
    """Wrong passwords; the one that reaches the limit is already answered with the lockout page."""
    return [attempt(email, "wrong-password", ip).status_code for _ in range(times)]


def test_five_wrong_passwords_lock_the_account_from_that_address_even_for_the_right_one(patient, settings):
    assert fail(settings.AXES_FAILURE_LIMIT - 1) == [200] * 4
    assert attempt("alice@example.org", PASSWORD).status_code == 302  # four wrong, then right: in
    assert fail(settings.AXES_FAILURE_LIMIT) == [200] * 4 + [429]
    response = attempt("ALICE@example.org", PASSWORD)  # any case of the address counts as the same
    assert response.status_code == 429
    page = response.content.decode()
    assert "Login paused for this account" in page and "You can try again after" in page and "in 15 minutes" in page
    assert response["Retry-After"] == "900"


def test_the_lockout_is_for_that_account_from_that_address_only(patient, other_patient, settings):
    """A stranger failing on Alice's address elsewhere cannot lock Alice out at home."""
    fail(settings.AXES_FAILURE_LIMIT, ip=ELSEWHERE)
    assert attempt("alice@example.org", PASSWORD, ip=ELSEWHERE).status_code == 429
    assert attempt("alice@example.org", PASSWORD, ip=HOME).status_code == 302
    assert attempt("bob@example.org", PASSWORD, ip=ELSEWHERE).status_code == 302


def test_the_lockout_ends_one_cool_off_after_the_last_try(patient, settings):
    fail(settings.AXES_FAILURE_LIMIT)
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert attempt("alice@example.org", PASSWORD).status_code == 429  # and this try starts the wait again
    with time_machine.travel(timezone.now() + timedelta(minutes=20)):
        assert attempt("alice@example.org", PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=34)):  # the try at 20 min ends the lockout at 35
        assert attempt("alice@example.org", PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=51)):
        assert attempt("alice@example.org", PASSWORD).status_code == 302


def test_every_login_failed_or_not_is_on_the_audit_record(patient, settings):
    fail(settings.AXES_FAILURE_LIMIT)
    attempt("nobody@example.org", "guess")
    attempt("alice@example.org", PASSWORD, ip=ELSEWHERE)
    failed = AuditEvent.objects.filter(action="clinic.login.failed")
    assert failed.count() == settings.AXES_FAILURE_LIMIT + 1
    assert {e.details["email"] for e in failed} == {"alice@example.org", "nobody@example.org"}
    assert all("wrong-password" not in str(e.details) for e in failed)
    assert AuditEvent.objects.filter(action="clinic.login.locked_out", details__ip=HOME).exists()
    success = AuditEvent.objects.get(action="clinic.login.succeeded")
    assert (success.actor, success.details["ip"]) == (patient.user, ELSEWHERE)


def test_behind_the_load_balancer_the_client_address_comes_from_x_forwarded_for(patient, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    lb = "10.0.0.5"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client(REMOTE_ADDR=lb, HTTP_X_FORWARDED_FOR=f"1.2.3.4, {HOME}").post(
            reverse("login"), {"username": "alice@example.org", "password": "nope"})
    locked = Client(REMOTE_ADDR=lb, HTTP_X_FORWARDED_FOR=HOME).post(reverse("login"), {"username": "alice@example.org", "password": PASSWORD})
    assert locked.status_code == 429
    other = Client(REMOTE_ADDR=lb, HTTP_X_FORWARDED_FOR=ELSEWHERE).post(reverse("login"), {"username": "alice@example.org", "password": PASSWORD})
    assert other.status_code == 302


# --- rate limits ------------------------------------------------------------------------------------


def over_limit(response):
    return response.status_code == 429 and "Too many tries" in response.content.decode()


def test_password_reset_e_mails_are_limited_per_address(patient, django_capture_on_commit_callbacks):
    browser = Client(REMOTE_ADDR=HOME)
    with django_capture_on_commit_callbacks(execute=True):
        answers = [browser.post(reverse("password_reset"), {"email": "Alice@example.org"}) for _ in range(4)]
    assert [r.status_code for r in answers[:3]] == [302, 302, 302]
    assert over_limit(answers[3])
    assert len(mail.outbox) == 3
    # Another address from the same place still works: the limit is per address.
    other = Client(REMOTE_ADDR=HOME).post(reverse("password_reset"), {"email": "bob@example.org"})
    assert other.status_code == 302


def test_password_reset_is_limited_per_client_address(db):
    browser = Client(REMOTE_ADDR=HOME)
    answers = [browser.post(reverse("password_reset"), {"email": f"n{i}@example.org"}) for i in range(11)]
    assert all(r.status_code == 302 for r in answers[:10]) and over_limit(answers[10])


def test_sign_up_is_limited_per_client_address(db):
    from tests.clinic.test_accounts import SIGN_UP

    browser = Client(REMOTE_ADDR=HOME)
    answers = [browser.post(reverse("sign_up"), {**SIGN_UP, "email": f"new{i}@example.org"}) for i in range(11)]
    assert all(r.status_code == 302 for r in answers[:10]) and over_limit(answers[10])


def test_sign_up_notices_to_one_address_are_limited(patient, django_capture_on_commit_callbacks):
    from tests.clinic.test_accounts import SIGN_UP

    with django_capture_on_commit_callbacks(execute=True):
        answers = [Client(REMOTE_ADDR=f"192.0.2.{i}").post(reverse("sign_up"), {**SIGN_UP, "email": "alice@example.org"})
                   for i in range(4)]
    assert over_limit(answers[3])
    assert len(mail.outbox) == 3


def test_login_attempts_from_one_address_are_limited_across_accounts(db):
    browser = Client(REMOTE_ADDR=HOME)
    answers = [browser.post(reverse("login"), {"username": f"u{i}@example.org", "password": "x"}) for i in range(31)]
    assert all(r.status_code == 200 for r in answers[:30]) and over_limit(answers[30])


def test_verification_e_mails_are_limited_per_address(client, patient, django_capture_on_commit_callbacks):
    patient.user.email_verified_at = None
    patient.user.save()
    client.force_login(patient.user)
    with django_capture_on_commit_callbacks(execute=True):
        answers = [client.post(reverse("resend_verification")) for _ in range(4)]
    assert [r.status_code for r in answers[:3]] == [302, 302, 302]
    assert over_limit(answers[3])
    assert len(mail.outbox) == 3


def test_the_public_signed_link_pages_are_limited(db):
    browser = Client(REMOTE_ADDR=HOME)
    answers = [browser.get(reverse("booking:link_manage", args=[f"guess-{i}"])) for i in range(61)]
    assert all(r.status_code == 404 for r in answers[:60]) and over_limit(answers[60])


def test_booking_holds_are_limited_per_patient(client, patient):
    from tests.booking.factories import Calendar

    Calendar()
    client.force_login(patient.user)
    url = reverse("booking:service", args=["consultation"])
    answers = [client.post(url, {"start": "not-a-time"}) for _ in range(31)]
    assert all(r.status_code == 200 for r in answers[:30]) and over_limit(answers[30])


def test_the_too_many_page_says_what_to_do_in_plain_words(db):
    browser = Client(REMOTE_ADDR=HOME)
    for i in range(11):
        response = browser.post(reverse("password_reset"), {"email": f"n{i}@example.org"})
    page = response.content.decode()
    assert "Too many tries: please wait a little" in page and "try again" in page
    assert response["Retry-After"]


def test_rate_limits_count_in_redis_when_production_says_so(patient, settings):
    """Production's CACHE_URL (README) is Redis, shared by every web process: the limits hold there."""
    import redis

    from tests.services import redis_broker_url

    url = redis_broker_url()
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url, "KEY_PREFIX": "ratelimit-test"}}
    from django.core.cache import caches

    caches["default"].delete_pattern("*")  # only this test's keys (KEY_PREFIX); the broker's stay
    answers = [Client(REMOTE_ADDR=HOME).post(reverse("password_reset"), {"email": "alice@example.org"}) for _ in range(4)]
    assert over_limit(answers[3]) and all(r.status_code == 302 for r in answers[:3])
    assert redis.Redis.from_url(url).keys("ratelimit-test*")
    caches["default"].delete_pattern("*")

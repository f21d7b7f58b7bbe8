"""The pieces that django-axes and django-ratelimit call back into, and the limits in one place.

Every count here is keyed the same way: the client's address as ``client_ip`` reads it (behind
TRUSTED_PROXY_COUNT proxies), and an e-mail address lower-cased, so "Ann@x.org" and "ann@x.org"
share one counter.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone

# Limits per client address (ip) or per e-mail address (address); "N/period" as django-ratelimit
# reads it (s, m, h, d). Generous for people, tight for scripts.
RATES = {
    "login": "30/5m",  # per address: many accounts from one place (axes locks one account)
    "sign_up": "10/h",
    "sign_up_address": "3/h",  # "someone tried to sign up with your address" e-mails
    "password_reset": "10/h",
    "password_reset_address": "3/h",
    "verification_address": "3/h",
    "second_factor": "20/5m",
    "hold": "30/h",  # per patient: a script holding every free time
    "signed_link": "60/5m",  # the public pages behind a link in an e-mail
}


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind trusted proxies the entry they added."""
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"


def login_username(request, credentials) -> str:
    """The e-mail address a login attempt named, the way accounts compare them (any case)."""
    username = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD) or request.POST.get("username", "")
    return str(username).strip().lower()


def posted_address(group, request) -> str:
    """Rate-limit key: the e-mail address in the form, lower-cased (empty posts share one key)."""
    return request.POST.get("email", "").strip().lower()


def user_address(group, request) -> str:
    """Rate-limit key: the logged-in person's e-mail address."""
    return request.user.email.lower() if request.user.is_authenticated else ""


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out login gets: what happened, and from when to try again.

    Each failure during a lockout starts the cool-off again (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT),
    so the lockout ends one cool-off after this attempt.
    """
    cool_off: timedelta = settings.AXES_COOLOFF_TIME
    until = timezone.localtime(timezone.now() + cool_off)
    context = {"until": until, "minutes": int(cool_off.total_seconds() // 60), "failure_limit": settings.AXES_FAILURE_LIMIT}
    response = render(request, "clinic/locked_out.html", context, status=429)
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


def limit(name: str, *, key="ip", method=("POST",)):
    """View decorator: over RATES[name], the request gets the 429 page (RATELIMIT_VIEW)."""
    from django_ratelimit.decorators import ratelimit

    return ratelimit(group=f"clinic.{name}", key=key, rate=RATES[name], method=list(method), block=True)

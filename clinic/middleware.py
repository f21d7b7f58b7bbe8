import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django_permissions_policy import PermissionsPolicyMiddleware as BasePermissionsPolicyMiddleware

from . import access, audit, scope
from .models import Clinic

SESSION_STARTED = "clinic.session_started"
SESSION_SEEN = "clinic.session_seen"
# Writing the session on every request would be a database write per click; a minute of
# activity is still counted to within this many seconds.
SEEN_RESOLUTION_SECONDS = 5


class ClinicTimeZoneMiddleware:
    """Show every date and time in the clinic's zone, whoever is looking and from wherever."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with scope.request():  # reads done once for the whole request (the clinic row, ...)
            timezone.activate(Clinic.objects.current_time_zone())
            try:
                return self.get_response(request)
            finally:
                timezone.deactivate()


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every page the app renders.

    Nearly every page shows someone's data (a patient's visits, answers, a signed link's
    booking); marking them one by one misses the next new page. Static files are served before
    this runs (whitenoise) and keep their long cache. A view that sets Cache-Control itself keeps
    it: caching is opted into, never out of.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response:
            add_never_cache_headers(response)
        elif "no-store" not in response["Cache-Control"] and request.user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response


class PermissionsPolicyMiddleware(BasePermissionsPolicyMiddleware):
    """django-permissions-policy's header, opened up under the path prefixes in
    ``PERMISSIONS_POLICY_BY_PATH`` (e.g. the camera on the pages where photos are taken)."""

    @property
    def by_path(self) -> list[tuple[str, str]]:  # a few prefixes: computed per request, follows settings
        policies = []
        for prefix, features in getattr(settings, "PERMISSIONS_POLICY_BY_PATH", {}).items():
            policy = {**getattr(settings, "PERMISSIONS_POLICY", {}), **features}
            policies.append((prefix, self.compute_header_value(policy, name=f"PERMISSIONS_POLICY_BY_PATH[{prefix!r}]")))
        return sorted(policies, key=lambda item: -len(item[0]))  # the longest prefix wins

    def __call__(self, request):
        response = self.get_response(request)
        for prefix, value in self.by_path:
            if request.path_info.startswith(prefix):
                response._permissions_policy_override = value
                break
        return self._apply_headers(response)


def start_session_clock(session) -> None:
    """At login: the 12-hour and the idle clocks start now."""
    session[SESSION_STARTED] = session[SESSION_SEEN] = time.time()


def idle_limit_seconds(user) -> int:
    minutes = settings.SESSION_IDLE_MINUTES_STAFF if access.needs_second_factor(user) else settings.SESSION_IDLE_MINUTES_PATIENT
    return minutes * 60


class SessionTimeoutMiddleware:
    """Automatic logoff: after the idle limit of the person's audience, and SESSION_MAX_HOURS
    after logging in whatever happens. A request to the session status page (the warning's
    script asking how long is left) is not activity; everything else is."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            now = time.time()
            session = request.session
            started = session.setdefault(SESSION_STARTED, now)
            seen = session.setdefault(SESSION_SEEN, now)
            idle_limit = idle_limit_seconds(user)
            if now - started >= settings.SESSION_MAX_HOURS * 3600:
                self._end(request, user, "max_age", _("For your safety you were logged out %(hours)s hours after logging in. Please log in again.") % {"hours": settings.SESSION_MAX_HOURS})
            elif now - seen >= idle_limit:
                self._end(request, user, "idle", _("You were logged out after %(minutes)s minutes without activity, to keep records private. Please log in again.") % {"minutes": idle_limit // 60})
            elif now - seen >= SEEN_RESOLUTION_SECONDS and not self._is_status_probe(request):
                session[SESSION_SEEN] = now
        return self.get_response(request)

    @staticmethod
    def _is_status_probe(request) -> bool:
        return request.method in ("GET", "HEAD") and request.path_info == reverse("session_status")

    @staticmethod
    def _end(request, user, reason: str, message: str) -> None:
        audit.record(actor=user, action="clinic.session.expired", details={"reason": reason})
        logout(request)
        messages.info(request, message)


class SecondFactorMiddleware:
    """A staff session that has not passed the second factor reaches only the second-factor pages.

    Staff views and the admin check it again (clinic.access); this catches every other page too,
    e.g. a password change, so a stolen password alone opens nothing.
    """

    ALLOWED = {"two_factor_setup", "two_factor_verify", "logout", "session_status"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if access.second_factor_pending(request.user):
            try:
                name = resolve(request.path_info).url_name
            except Resolver404:
                name = None
            if name not in self.ALLOWED:
                return access.redirect_to_second_factor(request)
        return self.get_response(request)

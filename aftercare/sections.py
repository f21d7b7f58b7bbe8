"""Aftercare's parts of the clinic app's pages (see clinic/sections.py)."""

from django.db.models import Count, Q

from clinic import sections
from clinic.models import PROBLEM_STATUSES, MessageStatus, OutboxMessage

from . import selectors


def _open_counts(request, page):
    """Shown in the staff menu and on the staff home: counted once per request."""
    if not (request.user.has_perm("aftercare.view_checkin") or request.user.has_perm("clinic.view_delivery_log")):
        return None
    if not hasattr(request, "_aftercare_open_counts"):
        request._aftercare_open_counts = selectors.open_counts()
    return request._aftercare_open_counts


def _patient_home(request, page):
    return {"aftercare": selectors.aftercare_status(page["patient"])}


def _patient_detail(request, page):
    if not request.user.has_perm("clinic.view_delivery_log"):
        return None
    counts = OutboxMessage.objects.filter(patient=page["patient"]).aggregate(
        messages_sent=Count("pk", filter=Q(status=MessageStatus.SENT)),
        messages_waiting=Count("pk", filter=Q(status__in=[MessageStatus.PENDING, MessageStatus.QUEUED, MessageStatus.SENDING])),
        messages_problems=Count("pk", filter=Q(status__in=PROBLEM_STATUSES)),
    )
    return counts


def _settings_nav(request, page):
    return {} if request.user.has_perm("aftercare.change_messagesettings") else None


def register() -> None:
    sections.register("staff_nav", "aftercare/_staff_nav.html", order=30, context=_open_counts)
    sections.register("staff_home", "aftercare/_staff_home.html", order=30, context=_open_counts)
    sections.register("patient_nav", "aftercare/_patient_nav.html", order=20)
    sections.register("patient_home", "aftercare/_patient_home.html", order=30, context=_patient_home)
    sections.register("patient_detail", "aftercare/_patient_detail.html", order=30, context=_patient_detail)
    sections.register("settings_nav", "aftercare/_settings_nav.html", order=30, context=_settings_nav)

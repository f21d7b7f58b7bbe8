"""Aftercare's parts of the clinic app's pages (see clinic/sections.py)."""

from clinic import sections
from clinic.models import PROBLEM_STATUSES, MessageStatus, OutboxMessage

from . import selectors
from .models import CheckIn


def _open_counts(request, page):
    """Shown in the staff menu and on the staff home."""
    if not (request.user.has_perm("aftercare.view_checkin") or request.user.has_perm("clinic.view_delivery_log")):
        return None
    return selectors.open_counts()  # read once per request, with the page's other figures (clinic.chrome)


def _patient_home(request, page):
    return {"aftercare": selectors.aftercare_status(page["patient"])}


MESSAGES_SHOWN = 8


def _patient_detail(request, page):
    """The chart's aftercare part: messages sent (one query, counted here) and, for clinicians,
    the check-ins with their urgency (one more)."""
    if not request.user.has_perm("clinic.view_delivery_log"):
        return None
    patient = page["patient"]
    messages = list(OutboxMessage.objects.filter(patient=patient).only("kind", "channel", "status", "send_at", "sent_at")
                    .order_by("-send_at", "-pk"))
    waiting = {MessageStatus.PENDING, MessageStatus.QUEUED, MessageStatus.SENDING}
    context = {
        "messages_sent": sum(m.status == MessageStatus.SENT for m in messages),
        "messages_waiting": sum(m.status in waiting for m in messages),
        "messages_problems": sum(m.status in PROBLEM_STATUSES for m in messages),
        "recent_messages": [m for m in messages if m.status == MessageStatus.SENT or m.status in PROBLEM_STATUSES][
            :MESSAGES_SHOWN
        ],
    }
    if request.user.has_perm("aftercare.view_checkin"):
        context["check_ins"] = list(CheckIn.objects.filter(patient=patient).order_by("-submitted_at")
                                    .only("urgency", "submitted_at", "handled_at"))
    return context


def _settings_nav(request, page):
    return {} if request.user.has_perm("aftercare.change_messagesettings") else None


def register() -> None:
    sections.register("staff_nav", "aftercare/_staff_nav.html", order=30, context=_open_counts)
    sections.register("staff_home", "aftercare/_staff_home.html", order=30, context=_open_counts)
    sections.register("patient_nav", "aftercare/_patient_nav.html", order=20)
    sections.register("patient_home", "aftercare/_patient_home.html", order=30, context=_patient_home)
    sections.register("patient_detail", "aftercare/_patient_detail.html", order=30, context=_patient_detail)
    sections.register("settings_nav", "aftercare/_settings_nav.html", order=30, context=_settings_nav)

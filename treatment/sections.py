"""Treatment's parts of other apps' pages (see clinic/sections.py): the chart on the patient's
page, the record's state on the desk's visit page, the settings tabs and the staff menu."""

from django.utils import timezone

from booking.models import ServiceKind
from clinic import sections

from . import selectors, services


def _chart(request, page):
    """Computed once per request for the two parts of the chart that show it."""
    user = request.user
    if not (user.has_perm("treatment.view_record_status") or user.has_perm("treatment.view_treatmentrecord")):
        return None
    if not hasattr(request, "_treatment_chart"):
        request._treatment_chart = selectors.chart(page["patient"], user=user, now=timezone.now())
    return {"chart": request._treatment_chart, "may_read_records": user.has_perm("treatment.view_treatmentrecord")}


def _notes(request, page):
    if not request.user.has_perm("treatment.view_clinicalnote"):
        return None
    return _chart(request, page)


def _visit(request, page):
    appointment = page.get("appointment")
    user = request.user
    if appointment is None or appointment.service.kind != ServiceKind.SESSION:
        return None
    may_read = user.has_perm("treatment.view_treatmentrecord")
    if not (may_read or user.has_perm("treatment.view_record_status")):
        return None
    record = selectors.current_record(appointment)
    if record is not None and may_read:
        services.record_viewed(viewer=user, record=record)  # the visit page shows its product and volume
    return {
        "record": record,
        "may_read_records": may_read,
        "recordable": appointment.status in selectors.RECORDABLE_STATUSES,
    }


def _settings_nav(request, page):
    user = request.user
    if not (user.has_perm("treatment.change_treatmentsettings") or user.has_perm("treatment.view_doselimit")):
        return None
    return {}


def _staff_nav(request, page):
    return {} if request.user.has_perm("treatment.view_lot") else None


def register() -> None:
    sections.register("patient_detail", "treatment/_chart.html", order=25, context=_chart)
    sections.register("patient_detail", "treatment/_chart_notes.html", order=40, context=_notes)
    sections.register("desk_appointment", "treatment/_visit.html", order=10, context=_visit)
    sections.register("settings_nav", "treatment/_settings_nav.html", order=40, context=_settings_nav)
    sections.register("staff_nav", "treatment/_staff_nav.html", order=40, context=_staff_nav)

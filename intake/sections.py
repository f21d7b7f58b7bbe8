"""Intake's parts of the clinic app's pages (see clinic/sections.py)."""

from django.utils import timezone

from clinic import sections

from . import eligibility, selectors


def _may_see_screening(request, page):
    if not request.user.has_perm("intake.view_screening"):
        return None
    return {"chart": selectors.chart_screening(page["patient"], now=timezone.now())}


def _reviews_waiting(request, page):
    """The worklist line: how many screenings wait for a clinician, and since when (one query)."""
    if not request.user.has_perm("intake.review_screening"):
        return None
    waiting = selectors.review_queue_summary()
    return {"reviews_waiting": waiting["count"], "oldest_waiting_since": waiting["oldest"]}


def _may_change_settings(request, page):
    return {} if request.user.has_perm("intake.change_intakesettings") else None


def _flight_on_visit(request, page):
    """The desk's visit page: a session booked in the days before the patient's long flight."""
    visit = page.get("appointment")
    if visit is None or not request.user.has_perm("intake.view_screening") or not visit.service.needs_screening:
        return None
    notice = eligibility.flight_notice(visit.patient, starts_at=visit.start)
    return {"flight_notice": notice, "staff": True} if notice else None


def register() -> None:
    sections.register("staff_nav", "intake/_staff_nav.html", order=20)
    sections.register("patient_home", "intake/_patient_home.html", order=10)
    sections.register("patient_detail", "intake/_patient_status.html", order=10, context=_may_see_screening)
    sections.register("staff_home", "intake/_staff_home.html", order=20, context=_reviews_waiting)
    sections.register("desk_appointment", "intake/_flight_notice.html", order=10, context=_flight_on_visit)
    sections.register("settings_nav", "intake/_settings_nav.html", order=40, context=_may_change_settings)

"""Booking's parts of the clinic app's pages (see clinic/sections.py).

The staff home is the front desk's worklist: booking adds today's arrivals, the sessions whose
"anything changed?" re-confirmation is missing, the overdue courses and the waiting patients a
free time now matches. Each line links to the action that resolves it. One query each, plus the
clinic and its rules once per request.
"""

from django.utils import timezone

from clinic import sections

from . import desk_selectors, selectors, visits
from .models import WaitlistEntry, WaitlistStatus

PAST_SHOWN = 5
WORKLIST_SHOWN = 5


def _clinic(request):
    """The clinic and its booking rules, read once per request for all of booking's sections
    (None before the clinic is set up: the worklist then has nothing of booking's to show)."""
    if not hasattr(request, "_booking_clinic"):
        try:
            request._booking_clinic = selectors.current_clinic()
        except LookupError:
            request._booking_clinic = None
    return request._booking_clinic


def _patient_home(request, page):
    upcoming, _ = selectors.appointments_for_patient(page["patient"], now=timezone.now())
    return {"upcoming": upcoming[:3], "more": max(0, len(upcoming) - 3)}


def _patient_detail(request, page):
    if not request.user.has_perm("booking.view_appointment"):
        return None
    upcoming, past = selectors.appointments_for_patient(page["patient"], now=timezone.now())
    return {"upcoming": upcoming, "past": past[:PAST_SHOWN], "more_past": max(0, len(past) - PAST_SHOWN)}


def _arrivals(request, page):
    clinic = _clinic(request)
    if clinic is None or not request.user.has_perm("booking.view_appointment"):
        return None
    return arrivals_context(request)


def arrivals_context(request) -> dict:
    """Today's visits, each with the status changes allowed now (the worklist's first card)."""
    clinic = _clinic(request)
    now = timezone.now()
    today = timezone.localdate(now)
    rows, total = desk_selectors.arrivals(day=today, tz=clinic.tzinfo)
    lines = []
    for a in rows:
        offered = visits.available(visits.Visit(a.status, a.start, a.status_changed_at, a.checked_in_at), now=now, tz=clinic.tzinfo)
        lines.append({"a": a, "can": {k.value: v is None for k, v in offered.items()}})
    return {"arrivals": lines, "arrivals_total": total, "arrivals_more": total - len(rows), "today": today}


def _reconfirmations(request, page):
    if _clinic(request) is None or not request.user.has_perm("booking.view_appointment"):
        return None
    missing = desk_selectors.reconfirmations_missing(now=timezone.now())
    return {"reconfirm_missing": missing[:WORKLIST_SHOWN], "reconfirm_more": max(0, len(missing) - WORKLIST_SHOWN),
            "reconfirm_count": len(missing)}


def _overdue(request, page):
    clinic = _clinic(request)
    if clinic is None or not request.user.has_perm("booking.view_treatmentcourse"):
        return None
    policy = selectors.policy_for(clinic)
    courses = desk_selectors.overdue_courses(today=timezone.localdate(), tz=clinic.tzinfo, rule=policy.spacing_rule,
                                             limit=WORKLIST_SHOWN + 1)
    return {"overdue": courses[:WORKLIST_SHOWN], "overdue_more": len(courses) > WORKLIST_SHOWN}


def _waitlist(request, page):
    if _clinic(request) is None or not request.user.has_perm("booking.view_waitlistentry"):
        return None
    now = timezone.now()
    matched = list(
        WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING, match_start__gt=now)
        .select_related("patient", "service", "match_clinician__staff__user")
        .order_by("match_start", "pk")[: WORKLIST_SHOWN + 1]
    )
    return {"waitlist_matched": matched[:WORKLIST_SHOWN], "waitlist_more": len(matched) > WORKLIST_SHOWN}


def _settings_tab(perm):
    def context(request, page):
        return {} if request.user.has_perm(perm) else None

    return context


def register() -> None:
    sections.register("staff_nav", "booking/_staff_nav.html", order=10)
    sections.register("patient_nav", "booking/_patient_nav.html", order=10)
    sections.register("patient_home", "booking/_patient_section.html", order=20, context=_patient_home)
    sections.register("patient_detail", "booking/_patient_detail.html", order=20, context=_patient_detail)
    sections.register("staff_home", "booking/worklist/arrivals.html", order=10, context=_arrivals)
    sections.register("staff_home", "booking/worklist/reconfirmations.html", order=15, context=_reconfirmations)
    sections.register("staff_home", "booking/worklist/overdue.html", order=40, context=_overdue)
    sections.register("staff_home", "booking/worklist/waitlist.html", order=45, context=_waitlist)
    sections.register("settings_nav", "booking/settings/_nav_rules.html", order=10,
                      context=_settings_tab("booking.change_bookingpolicy"))
    sections.register("settings_nav", "booking/settings/_nav_hours.html", order=20,
                      context=_settings_tab("booking.change_workinghours"))
    sections.register("settings_nav", "booking/settings/_nav_time_off.html", order=30,
                      context=_settings_tab("booking.change_timeoff"))

"""What the front desk and clinicians do: the calendar grid, booking from a free time, moving on
the grid, the visit's status (check-in, no-show, completed, undo), the day sheet, the waiting list
and the overdue courses.

Thin views: who may come in (staff_required), the object fetched for this user (get_for_user),
a form, one service call, a redirect. Every rule lives in services.py and booking/visits.py.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic import selectors as clinic_selectors
from clinic import services as clinic_services
from clinic.access import get_for_user, get_patient_for_user, staff_required
from clinic.forms import StaffPatientForm
from clinic.models import Clinician, Room

from . import desk_selectors, selectors, services, visits
from .forms import (
    CalendarForm,
    ContactForm,
    DeskBookForm,
    DeskCancelForm,
    DeskMoveForm,
    StopCourseForm,
    UndoForm,
    WaitlistOfferForm,
    in_range,
    parse_day,
)
from .models import Appointment, Service, Status, TreatmentCourse, WaitlistEntry
from .pickers import slot_page

PATIENT_SEARCH_LIMIT = 20


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def _hour_label(minute: int) -> str:
    hour = minute // 60
    return f"{(hour - 1) % 12 + 1} {'AM' if hour < 12 else 'PM'}"


def _week_of(day: date) -> list[date]:
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=n) for n in range(7)]


def _parse_start(value: str | None) -> datetime | None:
    """A slot start from a grid link (ISO 8601 with its offset), or None when unusable."""
    if not value:
        return None
    try:
        start = datetime.fromisoformat(value.replace(" ", "+"))
    except ValueError:
        return None
    if start.tzinfo is None or not in_range(start.date()):
        return None
    return start


# --- the calendar ------------------------------------------------------------------------------


@never_cache
@require_GET
@staff_required("booking.view_appointment")
def calendar(request):
    """The time grid: a day of every clinician (or room), or a week of one; ``move`` = move mode."""
    form = CalendarForm(request.GET)
    form.is_valid()  # a bad value is shown next to its field; the rest still applies
    data = form.cleaned_data
    now = timezone.now()
    today = timezone.localdate(now)
    day = data.get("date") or today
    by = data.get("by") or desk_selectors.BY_CLINICIAN
    view = data.get("view") or "day"
    moving = None
    if data.get("move"):
        moving = get_for_user(request.user, Appointment.objects.select_related("service", "patient", "course"), pk=data["move"])
        if moving.status != Status.BOOKED:
            messages.info(request, _("Only a booked visit can be moved."))
            moving = None
        else:
            by = desk_selectors.BY_CLINICIAN  # where it fits is worked out per clinician
    days = _week_of(day) if view == "week" else [day]
    only = data.get("who") if view == "week" else None
    if view == "week" and only is None:  # a week shows one clinician (or room): the first, to start with
        first = desk_selectors.first_resource(by)
        if first is not None:
            query = {"date": day.isoformat(), "by": by, "view": "week", "who": first, **({"move": moving.pk} if moving else {})}
            return redirect(f"{reverse('booking:desk_calendar')}?{urlencode(query)}")
    desk = desk_selectors.desk_grid(days=days, by=by, now=now, only=only, moving=moving)
    step = timedelta(days=7 if view == "week" else 1)
    keep = {"by": by, "view": view, **({"who": only} if only else {}), **({"move": moving.pk} if moving else {})}

    def link(target: date, **changes) -> str:
        return "?" + urlencode({"date": target.isoformat(), **keep, **changes})

    return render(
        request,
        "booking/desk/calendar.html",
        {
            "clinic": desk.clinic,
            "desk": desk,
            "form": form,
            "day": day,
            "today": today,
            "by": by,
            "view": view,
            "only": only,
            "moving": moving,
            "links": {
                "previous": link(day - step),
                "next": link(day + step),
                "today": link(today),
                "by_clinician": "?" + urlencode({"date": day.isoformat(), "view": view, "by": "clinician"}),
                "by_room": "?" + urlencode({"date": day.isoformat(), "view": view, "by": "room"}),
                "day_view": "?" + urlencode({"date": day.isoformat(), "by": by, **({"move": moving.pk} if moving else {})}),
                "week_view": "?" + urlencode({"date": day.isoformat(), "by": by, "view": "week",
                                              **({"move": moving.pk} if moving else {})}),
            },
            "keep": keep,
            "row_count": desk.frame.rows,
            "axis": [(row, _hour_label(minute)) for row, minute in desk.frame.hours()],
            "book_url": reverse("booking:desk_book"),
            # "<prefix><pk>/": reversed once per page, not once per visit drawn
            "appt_prefix": reverse("booking:desk_appointment", args=[0]).removesuffix("0/"),
            "move_url": reverse("booking:desk_move", args=[moving.pk]) if moving else "",
            "can_book": request.user.has_perm("booking.add_appointment"),
            "count": sum(1 for a in desk.appointments if a.status != Status.HELD),
        },
    )


@never_cache
@require_GET
@staff_required("booking.view_appointment")
def day_sheet(request):
    """Each clinician's day on paper (the print stylesheet drops the menus and buttons)."""
    day = parse_day(request.GET.get("date")) or timezone.localdate()
    who = request.GET.get("clinician", "")
    clinician_id = int(who) if who.isdigit() and len(who) < 10 else None
    clinic, sheets = desk_selectors.day_sheet(day=day, clinician_id=clinician_id, now=timezone.now())
    return render(request, "booking/desk/day_sheet.html", {"clinic": clinic, "day": day, "sheets": sheets})


# --- booking for a patient ---------------------------------------------------------------------


def _book_query(**params) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required("booking.add_appointment")
def book(request):
    """Book for a patient: find (or add) them, pick the service, pick one of the free times, book.

    Arriving from the grid brings the clinician, the room and the time that was clicked; nothing
    is typed blind: the free times of the chosen service are shown around it.
    """
    now = timezone.now()
    clinic = selectors.current_clinic()
    tz = clinic.tzinfo
    get = request.GET
    start = _parse_start(get.get("start"))
    clinician = Clinician.objects.filter(pk=get["clinician"]).select_related("staff__user").first() \
        if get.get("clinician", "").isdigit() and len(get["clinician"]) < 10 else None
    room = Room.objects.filter(pk=get["room"]).first() if get.get("room", "").isdigit() and len(get["room"]) < 10 else None
    carry = {"start": start.isoformat() if start else "", "clinician": clinician.pk if clinician else "",
             "room": room.pk if room else ""}
    patient = None
    if get.get("patient", "").isdigit() and len(get["patient"]) < 10:
        patient = get_patient_for_user(request.user, int(get["patient"]))
    services_list = list(Service.objects.filter(is_active=True).order_by("position", "name"))
    service = next((s for s in services_list if s.slug == get.get("service")), None)
    context = {
        "clinic": clinic, "patient": patient, "service": service, "services": services_list, "start": start,
        "clinician": clinician, "room": room, "carry": carry, "tz": tz,
        # Links inside the picker keep the patient, the service and the room; each sets its own time.
        "base_query": _book_query(patient=patient.pk if patient else "", service=service.slug if service else "",
                                  room=room.pk if room else ""),
        "carry_hidden": {"patient": patient.pk if patient else "", "service": service.slug if service else "",
                         "room": room.pk if room else ""},
    }
    if patient is None:
        query = get.get("q", "").strip()[:100]
        context["query"] = query
        context["patients"] = list(clinic_selectors.patient_search(query, limit=PATIENT_SEARCH_LIMIT)) if query else []
        context["pick_query"] = "".join(f"&{k}={quote(str(v))}" for k, v in carry.items() if v)
        context["new_patient_form"] = StaffPatientForm()
        if request.htmx and request.htmx.target == "patient-results":
            return render(request, "booking/desk/_patient_results.html", context)
        return render(request, "booking/desk/book.html", context)

    from intake.selectors import screening_status  # the desk sees the status, never the answers

    context["screening"] = screening_status(patient, now=now)
    if service is None:
        return render(request, "booking/desk/book.html", context)
    window = None
    if service.is_course_session:
        policy = selectors.policy_for(clinic)
        state = selectors.course_state(selectors.course_active(patient, service), policy=policy, tz=tz)
        context["course"] = state
        window = state.window
    can_override = request.user.has_perm("booking.override_spacing")
    params = get
    if start is not None and "day" not in get:
        # Open the picker on the day that was clicked, with the grid's clinician.
        params = {**get.dict(), "day": start.astimezone(tz).date().isoformat(), "clinician": clinician.pk if clinician else ""}
    context.update(slot_page(params, service=service, now=now, within=None if can_override else window,
                             staff=True, room_id=room.pk if room else None))
    context["chosen_fits"] = start is not None and any(
        s.start == start and (clinician is None or s.clinician_id == clinician.pk) for s in context["day_slots"]
    )
    form = DeskBookForm(
        request.POST or None, can_override=can_override, is_session=service.is_course_session,
        initial={"start": start.isoformat() if start else None, "clinician": clinician, "room": room},
    )
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        context["start"] = data["start"]
        try:
            if data.get("whole_course") and service.is_course_session:
                course = services.course_book_all(
                    patient=patient, service=service, start=data["start"], by=request.user,
                    clinician_id=data["clinician"].pk if data["clinician"] else None,
                    planned_sessions=data.get("planned_sessions"),
                )
                messages.success(request, _("Booked all %(n)s sessions for %(name)s.") % {"n": course.planned_sessions, "name": patient.full_name})
                first = course.appointments.filter(status=Status.BOOKED).order_by("sequence").first()
                return redirect("booking:desk_appointment", pk=first.pk)
            appointment = services.appointment_book(
                patient=patient, service=service, start=data["start"], by=request.user,
                clinician_id=data["clinician"].pk if data["clinician"] else None,
                room_id=data["room"].pk if data["room"] else None,
                override_reason=data.get("override_reason", ""), planned_sessions=data.get("planned_sessions"),
            )
        except services.BookingError as exc:
            form.add_error(None, exc.message)
            context["error"] = exc
        else:
            messages.success(request, _("Booked %(service)s for %(name)s.") % {"service": appointment.service.name, "name": patient.full_name})
            return redirect("booking:desk_appointment", pk=appointment.pk)
    return render(request, "booking/desk/book.html", context)


@require_POST
@staff_required("booking.add_appointment", "clinic.add_patient")
def patient_new(request):
    """A new patient, added while booking: back to the booking page with them chosen."""
    form = StaffPatientForm(request.POST)
    carry = {k: request.POST.get(k, "") for k in ("start", "clinician", "room", "service")}
    if form.is_valid():
        try:
            patient = clinic_services.patient_register(
                email=form.cleaned_data["email"], details=form.patient_details(), by=request.user
            )
        except clinic_services.ClinicError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(name)s is added.") % {"name": patient.full_name})
            return redirect(f"{reverse('booking:desk_book')}?{_book_query(patient=patient.pk, **carry)}")
    clinic = selectors.current_clinic()
    start = _parse_start(carry["start"])
    context = {"clinic": clinic, "patient": None, "new_patient_form": form, "show_new": True, "query": "", "patients": [],
               "carry": {**carry, "start": start.isoformat() if start else ""}, "start": start, "tz": clinic.tzinfo}
    return render(request, "booking/desk/book.html", context, status=200)


# --- one visit ---------------------------------------------------------------------------------


def _appointment(request, pk) -> Appointment:
    return get_for_user(
        request.user,
        Appointment.objects.select_related("patient", "service", "clinician__staff__user", "room", "course", "override_by"),
        pk=pk,
    )


HISTORY_WORDS = {
    "booked": _("booked"),
    "moved": _("moved"),
    "cancelled": _("cancelled"),
    "checked_in": _("checked in"),
    "completed": _("marked completed"),
    "no_show": _("marked as a no-show"),
    "not_treated": _("came, not treated"),
    "checked_in.undone": _("check-in undone"),
    "completed.undone": _("completion undone"),
    "no_show.undone": _("no-show undone"),
    "not_treated.undone": _("\"not treated\" undone"),
}

REFUSAL_TEXTS = {
    visits.Refusal.NOT_TODAY: _("on the day of the visit"),
    visits.Refusal.NOT_STARTED: _("once the visit has started"),
    visits.Refusal.STARTED: _("only before the visit starts"),
}


@never_cache
@require_GET
@staff_required("booking.view_appointment")
def appointment(request, pk):
    a = _appointment(request, pk)
    clinic = selectors.current_clinic()
    now = timezone.now()
    course_sessions = []
    if a.course_id:
        course_sessions = list(a.course.appointments.exclude(status=Status.HELD).exclude(
            status=Status.CANCELLED, booked_at__isnull=True).order_by("sequence", "start"))
    offered = visits.available(services._visit(a), now=now, tz=clinic.tzinfo) if a.status != Status.HELD else {}
    if not a.service.is_course_session:  # "came, not treated" is for treatment sessions only
        offered.pop(visits.Action.NOT_TREATED, None)
    return render(
        request,
        "booking/desk/appointment.html",
        {
            "clinic": clinic,
            "appointment": a,
            "log": [(entry, HISTORY_WORDS.get(entry.action.removeprefix("booking.appointment."), entry.action))
                    for entry in selectors.appointment_history(a)],
            "course_sessions": course_sessions,
            "undo_form": UndoForm(),
            "actions": {action.value: refusal for action, refusal in offered.items()},
            "waits": {action.value: REFUSAL_TEXTS.get(refusal, "") for action, refusal in offered.items() if refusal},
            "is_upcoming": a.end > now,
        },
    )


ACTIONS = {
    "check_in": (services.appointment_check_in, _("%(name)s is checked in.")),
    "complete": (services.appointment_complete, _("Marked completed.")),
    "no_show": (services.appointment_mark_no_show, _("Marked as a no-show.")),
}


@require_POST
@staff_required("booking.change_appointment")
def action(request, pk, action):
    """Check in, completed, no-show, cancel or undo; back to where the button was (``next``).

    From the worklist with htmx, the arrivals card is redrawn in place with the outcome.
    """
    if action not in (*ACTIONS, "cancel", "undo", "not_treated"):
        raise Http404
    a = _appointment(request, pk)
    back = _safe_next(request, reverse("booking:desk_appointment", args=[a.pk]))
    in_place = bool(request.htmx) and request.htmx.target == "wl-arrivals-card"
    try:
        if action == "cancel":
            form = DeskCancelForm(request.POST)
            if not form.is_valid():
                raise services.BookingError("cancel_reason")
            services.appointment_cancel(appointment=a, by=request.user, reason=form.cleaned_data["reason"])
            outcome = _("Cancelled. The patient gets an e-mail.")
        elif action == "not_treated":
            form = UndoForm(request.POST)  # a reason, as for an undo
            if not form.is_valid():
                raise services.BookingError("not_treated_reason")
            services.appointment_mark_not_treated(appointment=a, by=request.user, reason=form.cleaned_data["reason"])
            outcome = _("Marked as not treated. No aftercare goes out, and the session can be booked again.")
        elif action == "undo":
            form = UndoForm(request.POST)
            if not form.is_valid():
                raise services.BookingError("undo_reason")
            services.appointment_undo(appointment=a, by=request.user, reason=form.cleaned_data["reason"])
            outcome = _("Undone. The history keeps the reason.")
        else:
            func, text = ACTIONS[action]
            a = func(appointment=a, by=request.user)
            outcome = text % {"name": a.patient.full_name}
    except services.BookingError as exc:
        if in_place:
            return _arrivals_card(request, error=exc.message)
        messages.error(request, exc.message)
    else:
        if in_place:
            return _arrivals_card(request, done=outcome)
        messages.success(request, outcome)
    return redirect(back)


def _arrivals_card(request, *, done: str = "", error: str = ""):
    """The worklist's arrivals, redrawn after a one-click check-in (htmx): its counts stay true."""
    from .sections import arrivals_context

    return render(request, "booking/worklist/arrivals.html", {**arrivals_context(request), "done": done, "error": error})


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required("booking.change_appointment")
def move(request, pk):
    """Move a visit: choose the new time on the grid (or in the list below); confirm here."""
    a = _appointment(request, pk)
    clinic = selectors.current_clinic()
    tz = clinic.tzinfo
    now = timezone.now()
    can_override = request.user.has_perm("booking.override_spacing")
    start = _parse_start(request.GET.get("start"))
    target_clinician = request.GET.get("clinician", "")
    target_room = request.GET.get("room", "")
    if request.method == "GET" and start is None and "day" not in request.GET:
        # Straight to the grid in move mode, on the visit's day.
        day = a.start.astimezone(tz).date()
        return redirect(f"{reverse('booking:desk_calendar')}?{urlencode({'date': day.isoformat(), 'move': a.pk})}")
    form = DeskMoveForm(
        request.POST or None, can_override=can_override,
        initial={"start": start.isoformat() if start else None,
                 "clinician": target_clinician if target_clinician.isdigit() and len(target_clinician) < 10 else None,
                 "room": target_room if target_room.isdigit() and len(target_room) < 10 else None},
    )
    context = {"clinic": clinic, "appointment": a, "form": form, "start": start, "tz": tz}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        context["start"] = start = data["start"]
        try:
            services.appointment_move(
                appointment=a, start=data["start"], by=request.user,
                clinician_id=data["clinician"].pk if data["clinician"] else None,
                room_id=data["room"].pk if data["room"] else None,
                override_reason=data.get("override_reason", ""), move_following=data["move_following"],
            )
        except services.BookingError as exc:
            context["error"] = exc
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Moved. The patient gets an e-mail with the new time."))
            return redirect("booking:desk_appointment", pk=a.pk)
    window = None
    if a.course_id and a.sequence and a.sequence > 1 and not can_override:
        state = selectors.course_state(a.course, policy=selectors.policy_for(clinic), tz=tz)
        window = selectors.window_for_sequence(state, a.sequence, policy=selectors.policy_for(clinic), tz=tz)
    params = request.GET
    if start is not None and "day" not in request.GET:
        params = {**request.GET.dict(), "day": start.astimezone(tz).date().isoformat()}
    context.update(slot_page(params, service=a.service, now=now, within=window, staff=True, exclude_appointment_id=a.pk))
    context["base_query"] = ""
    return render(request, "booking/desk/move.html", context)


# --- waiting list and overdue courses -------------------------------------------------------------


@never_cache
@require_GET
@staff_required("booking.view_waitlistentry")
def waitlist(request):
    """Who is waiting for what dates, the first free time that matches each, and what to do."""
    now = timezone.now()
    clinic = selectors.current_clinic()
    return render(request, "booking/desk/waitlist.html", {
        "clinic": clinic,
        "matches": desk_selectors.waitlist_with_matches(now=now),
        "offer_form": WaitlistOfferForm(),
        "look_ahead": 14,
    })


@require_POST
@staff_required("booking.change_waitlistentry")
def waitlist_offer(request, pk):
    entry = get_for_user(request.user, WaitlistEntry.objects.select_related("patient"), pk=pk)
    form = WaitlistOfferForm(request.POST)
    if form.is_valid():
        try:
            services.waitlist_offer(entry=entry, day=form.cleaned_data["day"], by=request.user)
        except services.BookingError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(name)s gets an e-mail about %(day)s.") % {
                "name": entry.patient.full_name, "day": form.cleaned_data["day"].strftime("%A %d %B")})
    else:
        messages.error(request, form.errors.get("day", [_("Choose a day.")])[0])
    return redirect(_safe_next(request, reverse("booking:desk_waitlist")))


@require_POST
@staff_required("booking.change_waitlistentry")
def waitlist_remove(request, pk):
    entry = get_for_user(request.user, WaitlistEntry.objects.select_related("patient"), pk=pk)
    services.waitlist_leave(entry=entry, by=request.user)
    messages.success(request, _("%(name)s is off the waiting list.") % {"name": entry.patient.full_name})
    return redirect(_safe_next(request, reverse("booking:desk_waitlist")))


@never_cache
@require_GET
@staff_required("booking.view_treatmentcourse")
def overdue(request):
    clinic = selectors.current_clinic()
    policy = selectors.policy_for(clinic)
    today = timezone.localdate()
    courses = desk_selectors.overdue_courses(today=today, tz=clinic.tzinfo, rule=policy.spacing_rule, limit=200)
    return render(request, "booking/desk/overdue.html", {
        "clinic": clinic, "courses": courses, "contact_form": ContactForm(), "stop_form": StopCourseForm(),
        "policy": policy,
    })


def _course(request, pk) -> TreatmentCourse:
    return get_for_user(request.user, TreatmentCourse.objects.select_related("patient", "service"), pk=pk)


@require_POST
@staff_required("booking.add_coursecontact")
def course_contact(request, pk):
    course = _course(request, pk)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.course_contact_record(course=course, by=request.user, **form.cleaned_data)
        except services.BookingError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Noted for %(name)s.") % {"name": course.patient.full_name})
    else:
        messages.error(request, next(iter(form.errors.values()))[0])
    return redirect(_safe_next(request, reverse("booking:desk_overdue")))


@require_POST
@staff_required("booking.change_treatmentcourse")
def course_stop(request, pk):
    course = _course(request, pk)
    form = StopCourseForm(request.POST)
    if form.is_valid():
        try:
            services.course_stop(course=course, by=request.user, reason=form.cleaned_data["reason"])
        except services.BookingError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(name)s's course is stopped.") % {"name": course.patient.full_name})
    else:
        messages.error(request, form.errors["reason"][0])
    return redirect(_safe_next(request, reverse("booking:desk_overdue")))


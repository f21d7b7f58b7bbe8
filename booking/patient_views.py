"""What patients do: pick a service, a day and a time, confirm; see, move and cancel their visits.

Thin views: who may come in (patient_required, or a signed link), the object fetched for this
patient (404 otherwise), one service call, a redirect. Every rule lives in services.py.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.access import get_for_user, patient_required
from clinic.security import limit

from . import links, selectors, services
from .clearance import clearance_for, flight_notice_for, flight_plan_for
from .forms import CancelForm, SlotForm, WaitlistForm
from .models import Appointment, Service, ServiceKind, Status, WaitlistEntry, WaitlistStatus
from .pickers import slot_page


def _error_context(exc: services.BookingError) -> dict:
    return {"error": exc, "nearest": exc.nearest}


# --- booking ---------------------------------------------------------------------------------


@require_GET
@patient_required
def start(request):
    now = timezone.now()
    upcoming, _ = selectors.appointments_for_patient(request.patient, now=now)
    return render(
        request,
        "booking/start.html",
        {"services": selectors.services_bookable_online(), "upcoming": upcoming[:3], "patient": request.patient},
    )


@require_http_methods(["GET", "POST"])
@patient_required
@limit("hold", key="user")  # a POST here holds a time: a script must not hold them all
def service_slots(request, slug):
    service = get_object_or_404(Service, slug=slug, is_active=True, bookable_online=True)
    patient = request.patient
    now = timezone.now()
    clinic = selectors.current_clinic()
    policy = selectors.policy_for(clinic)
    context: dict = {"service": service, "patient": patient, "policy": policy}

    if request.method == "POST":
        form = SlotForm(request.POST)
        if form.is_valid():
            try:
                hold = services.appointment_hold(
                    patient=patient, service=service, start=form.cleaned_data["start"], by=request.user,
                    clinician_id=form.cleaned_data["clinician"], now=now,
                    planned_sessions=form.cleaned_data["planned_sessions"],
                )
            except services.BookingError as exc:
                context.update(_error_context(exc))
            else:
                return redirect("booking:hold", pk=hold.pk)
        else:
            context["error"] = services.BookingError("off_grid")

    clearance = clearance_for(patient, needs_screening=service.needs_screening, starts_at=now + policy.notice, now=now)
    context["clearance"] = clearance
    if not clearance.allowed:
        context["consultation"] = Service.objects.filter(kind=ServiceKind.CONSULTATION, is_active=True, bookable_online=True).first()
        return render(request, "booking/service.html", context)

    window = None
    if service.is_course_session:
        state = selectors.course_state(selectors.course_active(patient, service), policy=policy, tz=clinic.tzinfo)
        context["course"] = state
        if state.next_sequence is None:
            return render(request, "booking/service.html", context)
        window = state.window
    context.update(slot_page(request.GET, service=service, now=now, within=window))
    if service.needs_screening:
        context["flight_plan"] = flight_plan_for(patient)
    context["waitlist_form"] = WaitlistForm(
        initial={"earliest": timezone.localdate(now), "latest": timezone.localdate(now) + timedelta(days=14)}
    )
    context["waiting"] = WaitlistEntry.objects.filter(patient=patient, service=service, status=WaitlistStatus.WAITING).first()
    return render(request, "booking/service.html", context)


@require_http_methods(["GET", "POST"])
@patient_required
def hold(request, pk):
    appointment = get_for_user(
        request.user, Appointment.objects.select_related("service", "clinician__staff__user", "room", "course"), pk=pk
    )
    now = timezone.now()
    if appointment.status == Status.BOOKED:
        return redirect("booking:appointment", pk=appointment.pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "release":
                services.hold_release(appointment=appointment, by=request.user, now=now)
                return redirect("booking:service", slug=appointment.service.slug)
            if action == "course":
                course = services.course_book_all(
                    patient=request.patient, service=appointment.service, start=appointment.start, by=request.user,
                    hold=appointment, now=now,
                )
                messages.success(request, f"All {course.planned_sessions} sessions are booked. We sent the details by e-mail.")
                return redirect("booking:my_appointments")
            booked = services.appointment_confirm(appointment=appointment, by=request.user, now=now)
        except services.BookingError as exc:
            messages.error(request, exc.message)
            if exc.nearest or exc.code in ("taken", "no_room", "hold_gone"):
                return render(
                    request, "booking/hold.html", {"appointment": appointment, **_error_context(exc), "expired": True}
                )
            return redirect("booking:service", slug=appointment.service.slug)
        messages.success(request, "You're booked. We sent a confirmation with a calendar file to your e-mail.")
        return redirect("booking:appointment", pk=booked.pk)
    if appointment.status != Status.HELD:
        messages.info(request, "That time is no longer held for you. Please choose a time again.")
        return redirect("booking:service", slug=appointment.service.slug)
    policy = selectors.policy_for(selectors.current_clinic())
    context = {"appointment": appointment, "seconds_left": max(0, int((appointment.hold_expires_at - now).total_seconds()))}
    if appointment.service.needs_screening:
        context["flight_notice"] = flight_notice_for(request.patient, starts_at=appointment.start)
    if appointment.course is not None and appointment.sequence == 1 and appointment.course.planned_sessions > 1:
        context["course_sessions"] = appointment.course.planned_sessions
        context["spacing"] = policy
    return render(request, "booking/hold.html", context)


@require_GET
@patient_required
def my_appointments(request):
    now = timezone.now()
    upcoming, past = selectors.appointments_for_patient(request.patient, now=now)
    waiting = WaitlistEntry.objects.filter(patient=request.patient, status=WaitlistStatus.WAITING).select_related("service")
    return render(request, "booking/my_appointments.html", {"upcoming": upcoming, "past": past[:20], "waiting": waiting})


@require_POST
@patient_required
def waitlist_join(request, slug):
    service = get_object_or_404(Service, slug=slug, is_active=True, bookable_online=True)
    form = WaitlistForm(request.POST)
    if form.is_valid():
        try:
            services.waitlist_join(
                patient=request.patient, service=service, earliest=form.cleaned_data["earliest"],
                latest=form.cleaned_data["latest"], by=request.user,
            )
        except services.BookingError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "You're on the waiting list. We'll e-mail you as soon as a time frees up.")
    else:
        messages.error(request, services.MESSAGES["waitlist_dates"])
    return redirect("booking:service", slug=service.slug)


@require_POST
@patient_required
def waitlist_leave(request, pk):
    entry = get_for_user(request.user, WaitlistEntry, pk=pk)
    services.waitlist_leave(entry=entry, by=request.user)
    messages.success(request, "You've left the waiting list.")
    return redirect("booking:my_appointments")


# --- one appointment: by account or by signed link --------------------------------------------


class _Ref:
    """Where the manage pages of one appointment live: under the account or under a signed link."""

    def __init__(self, appointment: Appointment, *, token: str | None = None):
        self.appointment = appointment
        self.token = token

    def url(self, name: str) -> str:
        if self.token:
            return reverse(f"booking:link_{name}", args=[self.token])
        return reverse("booking:appointment" if name == "manage" else f"booking:appointment_{name}", args=[self.appointment.pk])

    @property
    def url_manage(self) -> str:
        return self.url("manage")

    @property
    def url_move(self) -> str:
        return self.url("move")

    @property
    def url_cancel(self) -> str:
        return self.url("cancel")

    @property
    def by(self):
        return self.appointment.patient.user


def _own(request, pk) -> _Ref:
    appointment = get_for_user(
        request.user, Appointment.objects.select_related("service", "clinician__staff__user", "room", "course", "patient"), pk=pk
    )
    return _Ref(appointment)


def _linked(token: str) -> _Ref:
    try:
        appointment = links.appointment_from_token(token, now=timezone.now())
    except links.LinkExpired:
        raise Http404("This link has expired.") from None
    return _Ref(appointment, token=token)


def _manage(request, ref: _Ref):
    appointment = ref.appointment
    if appointment.status == Status.HELD:
        return redirect("booking:hold", pk=appointment.pk)
    now = timezone.now()
    clinic = selectors.current_clinic()
    policy = selectors.policy_for(clinic)
    changeable = appointment.status == Status.BOOKED
    within_notice = changeable and appointment.start - now < policy.notice
    course_sessions = []
    if appointment.course_id:
        course_sessions = list(
            appointment.course.appointments.exclude(status=Status.CANCELLED).exclude(status=Status.HELD).order_by("sequence")
        )
    return render(
        request,
        "booking/manage.html",
        {
            "appointment": appointment,
            "ref": ref,
            "changeable": changeable and not within_notice,
            "within_notice": within_notice,
            "course_sessions": course_sessions,
            "policy": policy,
            "cancel_form": CancelForm(),
            "flight_notice": _flight_notice(appointment) if changeable else None,
        },
    )


def _flight_notice(appointment: Appointment):
    if not appointment.service.needs_screening:
        return None
    return flight_notice_for(appointment.patient, starts_at=appointment.start)


def _cancel(request, ref: _Ref):
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.appointment_cancel(
            appointment=ref.appointment, by=ref.by, reason=reason, now=timezone.now(), via_link=bool(ref.token)
        )
    except services.BookingError as exc:
        messages.error(request, exc.message)
        return redirect(ref.url("manage"))
    messages.success(request, "Your visit is cancelled. We sent a confirmation by e-mail.")
    return redirect(ref.url("manage") if ref.token else reverse("booking:my_appointments"))


def _move(request, ref: _Ref):
    appointment = ref.appointment
    now = timezone.now()
    clinic = selectors.current_clinic()
    policy = selectors.policy_for(clinic)
    context: dict = {"appointment": appointment, "ref": ref, "service": appointment.service}
    if appointment.status != Status.BOOKED or appointment.start - now < policy.notice:
        return redirect(ref.url("manage"))
    if request.method == "POST":
        form = SlotForm(request.POST)
        if form.is_valid():
            try:
                moved = services.appointment_move(
                    appointment=appointment, start=form.cleaned_data["start"], clinician_id=form.cleaned_data["clinician"],
                    by=ref.by, now=now, move_following=form.cleaned_data["move_following"], via_link=bool(ref.token),
                )
            except services.BookingError as exc:
                context.update(_error_context(exc))
                if exc.code == "following_outside_window":
                    context["retry"] = form.cleaned_data
            else:
                messages.success(request, "Your visit has moved. We sent the new time by e-mail.")
                return redirect(_Ref(moved, token=ref.token).url("manage"))
        else:
            context["error"] = services.BookingError("off_grid")
    window = None
    if appointment.course_id and appointment.sequence and appointment.sequence > 1:
        state = selectors.course_state(appointment.course, policy=policy, tz=clinic.tzinfo)
        window = selectors.window_for_sequence(state, appointment.sequence, policy=policy, tz=clinic.tzinfo)
    context.update(slot_page(request.GET, service=appointment.service, now=now, within=window, exclude_appointment_id=appointment.pk))
    return render(request, "booking/move.html", context)


@require_GET
@patient_required
def appointment_detail(request, pk):
    return _manage(request, _own(request, pk))


@require_POST
@patient_required
def appointment_cancel(request, pk):
    return _cancel(request, _own(request, pk))


@require_http_methods(["GET", "POST"])
@patient_required
def appointment_move(request, pk):
    return _move(request, _own(request, pk))


@require_GET
@limit("signed_link", method=("GET", "POST"))
def link_manage(request, token):
    try:
        ref = _linked(token)
    except Http404:
        return render(request, "booking/link_invalid.html", status=404)
    return _manage(request, ref)


@require_POST
@limit("signed_link", method=("GET", "POST"))
def link_cancel(request, token):
    return _cancel(request, _linked(token))


@require_http_methods(["GET", "POST"])
@limit("signed_link", method=("GET", "POST"))
def link_move(request, token):
    return _move(request, _linked(token))

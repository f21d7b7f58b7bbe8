"""The clinic admin's booking settings pages (tabs of /settings/, registered in booking.sections)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clinic.access import get_for_user, staff_required
from clinic.models import Clinician, Weekday

from . import selectors, settings_services
from .forms import BookingPolicyForm, ClosureForm, TimeOffForm, WorkingWeekForm
from .models import ClinicClosure, TimeOff, WorkingHours
from .services import BookingError


@require_http_methods(["GET", "POST"])
@staff_required("booking.change_bookingpolicy")
def rules(request):
    clinic = selectors.current_clinic()
    policy = selectors.policy_for(clinic)
    form = BookingPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            settings_services.policy_update(changes=form.cleaned_data, by=request.user)
        except BookingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The booking rules are saved. They apply to every booking from now on."))
            return redirect("booking:settings_rules")
    return render(request, "booking/settings/rules.html", {"clinic": clinic, "form": form})


def _week_at_a_glance():
    """Every clinician's hours, one row per clinician, one cell per weekday (two queries)."""
    clinicians = list(Clinician.objects.filter(staff__is_active=True).select_related("staff__user"))
    hours: dict[int, dict[int, list]] = {c.pk: {d.value: [] for d in Weekday} for c in clinicians}
    for h in WorkingHours.objects.filter(clinician__in=clinicians).order_by("weekday", "starts"):
        hours[h.clinician_id][h.weekday].append(h)
    return [(c, [hours[c.pk][d.value] for d in Weekday]) for c in clinicians]


@require_http_methods(["GET"])
@staff_required("booking.change_workinghours")
def hours(request):
    return render(request, "booking/settings/hours.html", {
        "clinic": selectors.current_clinic(), "week": _week_at_a_glance(), "weekdays": Weekday.labels,
    })


@require_http_methods(["GET", "POST"])
@staff_required("booking.change_workinghours")
def hours_edit(request, pk):
    clinician = get_for_user(request.user, Clinician.objects.filter(staff__is_active=True).select_related("staff__user"),
                             perm="booking.change_workinghours", pk=pk)
    form = WorkingWeekForm(request.POST or None, initial=WorkingWeekForm.initial_from(clinician.working_hours.order_by("weekday", "starts")))
    if request.method == "POST" and form.is_valid():
        try:
            settings_services.working_week_set(clinician=clinician, spans=form.cleaned_data["spans"], by=request.user)
        except BookingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("%(name)s's hours are saved.") % {"name": clinician})
            return redirect("booking:settings_hours")
    return render(request, "booking/settings/hours_edit.html", {
        "clinic": selectors.current_clinic(), "clinician": clinician, "form": form,
    })


@require_http_methods(["GET", "POST"])
@staff_required("booking.change_timeoff")
def time_off(request):
    """Time off of each clinician and the days the clinic is closed: the coming ones, add, remove."""
    clinic = selectors.current_clinic()
    now = timezone.now()
    time_off_form = TimeOffForm(request.POST if request.POST.get("form") == "time_off" else None, prefix="off")
    closure_form = ClosureForm(request.POST if request.POST.get("form") == "closure" else None, prefix="closed")
    if request.method == "POST":
        try:
            if request.POST.get("form") == "time_off" and time_off_form.is_valid():
                data = time_off_form.cleaned_data
                added, affected = settings_services.time_off_add(
                    clinician=data["clinician"], start=data["start"], end=data["end"], reason=data["reason"], by=request.user
                )
                _report(request, _("Time off added for %(name)s.") % {"name": added.clinician}, affected)
                return redirect("booking:settings_time_off")
            if request.POST.get("form") == "closure" and closure_form.is_valid():
                data = closure_form.cleaned_data
                _closure, affected = settings_services.closure_add(day=data["date"], reason=data["reason"], by=request.user,
                                                                   tz=clinic.tzinfo)
                _report(request, _("The clinic is closed on %(day)s.") % {"day": data["date"].strftime("%A %d %B %Y")}, affected)
                return redirect("booking:settings_time_off")
        except BookingError as exc:
            (time_off_form if request.POST.get("form") == "time_off" else closure_form).add_error(None, exc.message)
    return render(request, "booking/settings/time_off.html", {
        "clinic": clinic,
        "time_off": TimeOff.objects.filter(end__gt=now).select_related("clinician__staff__user").order_by("start")[:200],
        "closures": ClinicClosure.objects.filter(clinic=clinic, date__gte=timezone.localdate(now)).order_by("date")[:200],
        "time_off_form": time_off_form,
        "closure_form": closure_form,
    })


def _report(request, text: str, affected) -> None:
    messages.success(request, text)
    if affected:
        names = ", ".join(f"{a.patient.full_name} ({timezone.localtime(a.start):%a %d %b %H:%M})" for a in affected[:5])
        messages.warning(request, _("Already booked in that time, to move: %(names)s%(more)s.") % {
            "names": names, "more": _(" and %(n)s more") % {"n": len(affected) - 5} if len(affected) > 5 else ""})


@require_POST
@staff_required("booking.delete_timeoff")
def time_off_remove(request, pk):
    item = get_for_user(request.user, TimeOff, perm="booking.delete_timeoff", pk=pk)
    settings_services.time_off_remove(time_off=item, by=request.user)
    messages.success(request, _("Time off removed."))
    return redirect(reverse("booking:settings_time_off"))


@require_POST
@staff_required("booking.delete_clinicclosure")
def closure_remove(request, pk):
    item = get_for_user(request.user, ClinicClosure, perm="booking.delete_clinicclosure", pk=pk)
    settings_services.closure_remove(closure=item, by=request.user)
    messages.success(request, _("The clinic is open that day again."))
    return redirect(reverse("booking:settings_time_off"))

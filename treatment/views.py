"""The clinician's pages of one visit's treatment record: record, sign, amend, not treated,
close the visit; and clinical notes. Every page that shows a record is audited and never cached."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from booking import services as booking_services
from booking.models import Appointment, ServiceKind
from clinic.access import get_for_user, get_patient_for_user, staff_required
from intake.selectors import sclerosant_allergies

from . import diagram, dose, selectors, services
from .forms import AmendmentReasonForm, NoteForm, NotTreatedForm, RecordForm
from .models import ClinicalNote, Outcome, TreatmentRecord
from .services import TreatmentError

_VISIT_FIELDS = ("patient", "service", "clinician__staff__user", "room")


def _visit(request, pk, perm: str) -> Appointment:
    visit = get_for_user(request.user, Appointment.objects.select_related(*_VISIT_FIELDS), perm=perm, pk=pk)
    if visit.service.kind != ServiceKind.SESSION:
        raise Http404  # only treatment sessions have a record
    return visit


def _record(request, pk, perm: str) -> TreatmentRecord:
    return get_for_user(
        request.user,
        TreatmentRecord.objects.select_related(*(f"appointment__{f}" for f in _VISIT_FIELDS), "lot", "signed_by", "created_by"),
        owner="appointment__patient", perm=perm, pk=pk,
    )


def finding_text(finding: dose.Finding) -> str:
    return _(finding.template).format(**finding.params)


def _show_refusal(form, exc: TreatmentError) -> None:
    """Each finding next to its field; warnings become the boxes to tick."""
    form.set_warnings(exc.findings)
    blocks = [f for f in exc.findings if f.is_block]
    # At the top, where the eye is after saving: what is wrong, in one line each...
    form.add_error(None, exc.message)
    for finding in blocks:
        form.add_error(None, finding_text(finding))
    # ...and again next to the field to change.
    for finding in blocks:
        if finding.field == "areas":
            form.area_errors.append(finding_text(finding))
        elif finding.field in form.fields:
            form.add_error(finding.field, finding_text(finding))


def _form_context(visit: Appointment, form, **extra) -> dict:
    day = selectors.session_day(visit)
    return {
        "visit": visit,
        "patient": visit.patient,
        "form": form,
        "limits": selectors.dose_limits(),
        "clinic_max": selectors.clinic_max_volume(),
        "allergies": sorted(sclerosant_allergies(visit.patient)),
        "known_lots": selectors.usable_lots(day=day),
        "views": diagram.views(),
        "viewbox": diagram.VIEWBOX,
        **extra,
    }


def _initial_for_new(visit: Appointment) -> dict:
    """A new record starts from the product and compression of the patient's last signed one,
    and from a weight already recorded today."""
    initial: dict = {}
    last = (
        TreatmentRecord.objects.current()
        .filter(appointment__patient=visit.patient, outcome=Outcome.TREATED, signed_at__isnull=False)
        .exclude(appointment=visit)
        .select_related("lot")
        .order_by("-session_day", "-pk")
        .first()
    )
    if last is not None:
        initial = {k: v for k, v in RecordForm.initial_from(last).items()
                   if k in ("sclerosant", "concentration_percent", "form", "foam_ratio", "compression", "compression_days")}
    weight = selectors.weight_on(patient=visit.patient, day=selectors.session_day(visit))
    if weight is not None:
        initial["weight_kg"] = weight
    return initial


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required("treatment.add_treatmentrecord")
def record_edit(request, appointment_pk):
    visit = _visit(request, appointment_pk, "treatment.add_treatmentrecord")
    current = selectors.current_record(visit)
    if current is not None and (current.is_signed or not current.is_treated):
        return redirect("treatment:record_detail", pk=current.pk)
    if request.method == "POST":
        form = RecordForm(request.POST)
        if form.is_valid():
            sign = request.POST.get("action") == "sign"
            try:
                record = services.record_save(appointment=visit, data=form.to_input(), by=request.user, sign=sign)
            except TreatmentError as exc:
                _show_refusal(form, exc)
            else:
                messages.success(request, _("Signed. The record is now locked.") if sign else _("Saved as a draft. Sign it when it is complete."))
                return redirect("treatment:record_detail", pk=record.pk)
    else:
        form = RecordForm(initial=RecordForm.initial_from(current) if current else _initial_for_new(visit))
        if current is not None:
            services.record_viewed(viewer=request.user, record=current)
    return render(request, "treatment/record_form.html", _form_context(visit, form, record=current))


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required("treatment.add_treatmentrecord", "treatment.sign_treatmentrecord")
def not_treated(request, appointment_pk):
    visit = _visit(request, appointment_pk, "treatment.add_treatmentrecord")
    current = selectors.current_record(visit)
    if current is not None and current.is_signed:
        return redirect("treatment:record_detail", pk=current.pk)
    form = NotTreatedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.record_save(appointment=visit, data=form.to_input(), by=request.user, sign=True)
        except TreatmentError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Recorded and signed: not treated."))
            return redirect("treatment:record_detail", pk=record.pk)
    return render(request, "treatment/not_treated.html", {"visit": visit, "patient": visit.patient, "form": form,
                                                           "draft": current})


@never_cache
@require_safe
@staff_required("treatment.view_treatmentrecord")
def record_detail(request, pk):
    record = _record(request, pk, "treatment.view_treatmentrecord")
    all_versions = selectors.versions(record.appointment)
    shown = next(v for v in all_versions if v.pk == record.pk)
    services.record_viewed(viewer=request.user, record=shown)
    return render(request, "treatment/record_detail.html", {
        "record": shown,
        "visit": record.appointment,
        "patient": record.appointment.patient,
        "versions": all_versions,
        "is_current": shown.pk == all_versions[-1].pk,
        "limits": selectors.dose_limits(),
    })


@require_POST
@staff_required("treatment.sign_treatmentrecord")
def record_sign(request, pk):
    record = _record(request, pk, "treatment.sign_treatmentrecord")
    try:
        services.record_sign(record=record, by=request.user)
    except TreatmentError as exc:
        messages.error(request, " ".join([exc.message, *(finding_text(f) for f in exc.findings)]))
    else:
        messages.success(request, _("Signed. The record is now locked."))
    return redirect("treatment:record_detail", pk=record.pk)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required("treatment.amend_treatmentrecord")
def record_amend(request, pk):
    record = _record(request, pk, "treatment.amend_treatmentrecord")
    visit = record.appointment
    current = selectors.current_record(visit)
    if current is None or current.pk != record.pk or not record.is_signed:
        messages.info(request, _("Only the latest signed version can be amended."))
        return redirect("treatment:record_detail", pk=current.pk if current else record.pk)
    as_treated = request.GET.get("as", "treated" if record.is_treated else "not_treated") == "treated"
    form_class = RecordForm if as_treated else NotTreatedForm
    if request.method == "POST":
        form = form_class(request.POST)
        reason = AmendmentReasonForm(request.POST)
        if form.is_valid() and reason.is_valid():
            try:
                amendment = services.record_amend(record=current, data=form.to_input(), by=request.user,
                                                  reason=reason.cleaned_data["amendment_reason"])
            except TreatmentError as exc:
                if isinstance(form, RecordForm):
                    _show_refusal(form, exc)
                else:
                    form.add_error(None, exc.message)
            else:
                messages.success(request, _("Amended. The earlier version is kept with the record."))
                return redirect("treatment:record_detail", pk=amendment.pk)
    else:
        same_kind = record.is_treated == as_treated
        form = form_class(initial=form_class.initial_from(current) if same_kind else None)
        reason = AmendmentReasonForm()
        services.record_viewed(viewer=request.user, record=current)
    context = {"record": current, "reason_form": reason, "amending": True, "as_treated": as_treated}
    if as_treated:
        return render(request, "treatment/record_form.html", _form_context(visit, form, **context))
    return render(request, "treatment/not_treated.html", {"visit": visit, "patient": visit.patient, "form": form, **context})


@require_POST
@staff_required("booking.change_appointment")
def visit_complete(request, appointment_pk):
    """Closes the visit through booking's own services, which ask this app's check first: completed
    after a signed treatment, "came, not treated" after a signed record of no treatment."""
    visit = _visit(request, appointment_pk, "booking.change_appointment")
    record = selectors.current_signed_record(visit)
    try:
        if record is not None and not record.is_treated:
            booking_services.appointment_mark_not_treated(appointment=visit, by=request.user,
                                                          reason=record.not_treated_reason)
            done = _("The visit is closed as not treated: no aftercare goes out, and the session can be booked again.")
        else:
            booking_services.appointment_complete(appointment=visit, by=request.user)
            done = _("The visit is marked completed.")
    except booking_services.BookingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("booking:desk_appointment", pk=visit.pk)


@require_POST
@staff_required("treatment.add_clinicalnote")
def note_add(request, patient_pk):
    patient = get_patient_for_user(request.user, patient_pk)
    form = NoteForm(request.POST)
    target = reverse("patient_detail", args=[patient.pk]) + "#notes"
    if not form.is_valid():
        messages.error(request, _("Write the note first."))
        return redirect(target)
    corrects = None
    if form.cleaned_data.get("corrects"):
        corrects = ClinicalNote.objects.filter(pk=form.cleaned_data["corrects"], patient=patient).first()
        if corrects is None:
            raise Http404
    try:
        services.note_add(patient=patient, text=form.cleaned_data["text"], by=request.user, corrects=corrects)
    except TreatmentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Note added to the chart."))
    return redirect(target)


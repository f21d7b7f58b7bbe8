"""Lots and recalls: the clinic's list of sclerosant lots, and "which patients received lot X
(between two dates)", on screen and as a CSV file for the recall."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from clinic.access import staff_required

from . import dose, selectors, services
from .forms import LotForm, RecallForm
from .services import TreatmentError

# A cell starting with one of these is a formula to a spreadsheet: "=HYPERLINK(...)" in a
# patient's name must stay text (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_safe(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required("treatment.view_lot")
def lots(request):
    form = LotForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("treatment.add_lot"):
            raise PermissionDenied
        if form.is_valid():
            try:
                lot = services.lot_add(**form.cleaned_data, by=request.user)
            except TreatmentError as exc:
                form.add_error("lot_number", exc.message)
            else:
                messages.success(request, _("Lot %(number)s added.") % {"number": lot.lot_number})
                return redirect("treatment:lots")
    return render(request, "treatment/lots.html", {
        "form": form, "lots": selectors.lots_with_use(), "today": timezone.localdate(),
    }, status=400 if form.is_bound and form.errors else 200)


@never_cache
@require_safe
@staff_required("treatment.recall_lot")
def recall(request):
    form = RecallForm(request.GET or None)
    records = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        records = selectors.recall(lot_number=data["lot"], first_day=data.get("first_day"), last_day=data.get("last_day"))
        exported = request.GET.get("format") == "csv"
        services.recall_searched(by=request.user, lot_number=data["lot"], first_day=data.get("first_day"),
                                 last_day=data.get("last_day"), records=records, exported=exported)
        if exported:
            return _recall_csv(records, data["lot"])
    return render(request, "treatment/recall.html", {"form": form, "records": records},
                  status=400 if form.is_bound and form.errors else 200)


def _recall_csv(records, lot_number: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    safe_name = "".join(c for c in lot_number if c.isalnum() or c in "-_")[:40] or "lot"
    response["Content-Disposition"] = f'attachment; filename="recall-{safe_name}.csv"'
    writer = csv.writer(response)
    writer.writerow(["session_day", "patient", "date_of_birth", "email", "phone", "lot", "product", "concentration_percent",
                     "expires_on", "volume_ml", "clinician", "signed", "record_id"])
    for r in records:
        patient = r.appointment.patient
        writer.writerow([csv_safe(v) for v in (
            r.session_day.isoformat(), patient.full_name, patient.date_of_birth.isoformat(), patient.email,
            patient.phone.as_e164 if patient.phone else "", r.lot.lot_number, r.lot.get_sclerosant_display(),
            dose.fmt(r.lot.concentration_percent), r.lot.expires_on.isoformat(), dose.fmt(r.total_volume_ml),
            str(r.appointment.clinician), "yes" if r.is_signed else "no", r.pk,
        )])
    return response

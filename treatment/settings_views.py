"""The clinic admin's treatment settings: the per-session maximum, and the dose-limit table
(read-only: the figures and their sources come from CLINICAL_RULES.md by migration)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from clinic.access import staff_required

from . import selectors, services
from .forms import SettingsForm
from .models import TreatmentSettings
from .services import TreatmentError


@require_http_methods(["GET", "POST"])
@staff_required("treatment.change_treatmentsettings")
def treatment_settings(request):
    current = TreatmentSettings.for_clinic()
    form = SettingsForm(request.POST or None, initial={"max_volume_ml": current.max_volume_ml})
    if request.method == "POST" and form.is_valid():
        try:
            services.settings_save(max_volume_ml=form.cleaned_data["max_volume_ml"], by=request.user)
        except TreatmentError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Saved. New treatment records use this maximum."))
            return redirect("treatment:settings")
    return render(request, "treatment/settings.html", {"form": form, "current": current},
                  status=400 if form.is_bound and form.errors else 200)


@require_safe
@staff_required("treatment.view_doselimit")
def dose_limits(request):
    return render(request, "treatment/dose_limits.html", {
        "limits": selectors.dose_limits(), "clinic_max": selectors.clinic_max_volume(),
    })

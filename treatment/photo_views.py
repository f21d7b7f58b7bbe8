"""Clinical photos: consent, upload from a phone or tablet camera, the permission-checked and
audited image view (never cached), and one area side by side across sessions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clinic.access import get_for_user, get_patient_for_user, staff_required

from . import areas, selectors, services
from .forms import PhotoConsentForm, PhotoForm
from .models import Photo
from .services import TreatmentError
from .views import _visit


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required("treatment.view_photo")
def visit_photos(request, appointment_pk):
    visit = _visit(request, appointment_pk, "treatment.view_photo")
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not request.user.has_perm("treatment.add_photo"):
            raise PermissionDenied
        if form.is_valid():
            try:
                photo = services.photo_add(appointment=visit, area=form.cleaned_data["area"], kind=form.cleaned_data["kind"],
                                           upload=form.cleaned_data["image"], by=request.user)
            except TreatmentError as exc:
                field = "image" if exc.code == "bad_photo" else None
                form.add_error(field, exc.message)
            else:
                messages.success(request, _("Photo added: %(area)s.") % {"area": photo.get_area_display()})
                return redirect("treatment:visit_photos", appointment_pk=visit.pk)
    record = selectors.current_record(visit)
    treated = [a.area for a in record.areas.all()] if record is not None else []
    if not form.is_bound and treated:
        form.fields["area"].initial = treated[0]
    photos = list(visit.clinical_photos.select_related("uploaded_by").order_by("area", "kind", "taken_at"))
    return render(request, "treatment/photos.html", {
        "visit": visit, "patient": visit.patient, "form": form, "photos": photos, "treated_areas": treated,
        "consent": selectors.photo_consent(visit.patient), "consent_form": PhotoConsentForm(),
    }, status=400 if form.is_bound and form.errors else 200)


@require_POST
@staff_required("treatment.add_photoconsent")
def photo_consent(request, patient_pk):
    patient = get_patient_for_user(request.user, patient_pk)
    form = PhotoConsentForm(request.POST)
    if form.is_valid():
        try:
            services.photo_consent_record(patient=patient, given=form.cleaned_data["given"], how=form.cleaned_data["how"],
                                          by=request.user)
        except TreatmentError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Photo consent recorded."))
    else:
        messages.error(request, _("Choose the patient's answer and say how they gave it."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = patient.get_absolute_url()
    return redirect(target)


@never_cache
@require_safe
@login_required
def photo_file(request, pk):
    """The image itself: staff with the permission, or the patient it shows (404 for anyone
    else, so ids cannot be probed). Every view is audited."""
    photo = get_for_user(request.user, Photo.objects.select_related("patient"), perm="treatment.view_photo", pk=pk)
    services.photo_viewed(viewer=request.user, photo=photo)
    try:
        handle = photo.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="photo-{photo.pk}.jpg"'
    return response


@never_cache
@require_safe
@staff_required("treatment.view_photo")
def photo_compare(request, patient_pk):
    patient = get_patient_for_user(request.user, patient_pk)
    area = request.GET.get("area", "")
    available = dict(
        (code, n) for code, n in Photo.objects.filter(patient=patient).values_list("area").annotate(n=Count("pk"))
    )
    if area not in areas.BY_CODE:
        area = next(iter(sorted(available)), "")
    columns = selectors.photos_of_area(patient, area) if area else []
    return render(request, "treatment/photo_compare.html", {
        "patient": patient, "area": area, "area_label": areas.label(area) if area else "", "columns": columns,
        "available": [(code, areas.label(code), n) for code, n in sorted(available.items())],
    })

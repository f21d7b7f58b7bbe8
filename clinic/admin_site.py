"""The Django admin, held to the app's rules.

- It opens only to staff who passed the second factor (the login itself is the app's login page).
- Every change made through it (add, change, delete, on any model) goes on the audit record,
  with who and which fields: register() wraps each ModelAdmin in AuditedChanges.
- Pages that list or show health-related records (screenings, check-ins) are audited as views
  (AuditedViews), like the app's own pages.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from . import audit
from .access import redirect_to_second_factor, second_factor_pending


def _changed_fields(message) -> list[str]:
    """The field names in an admin change message (Django's JSON list of {"changed": {"fields": [...]}})."""
    try:
        entries = json.loads(message) if isinstance(message, str) else message
    except ValueError:
        return []
    fields = []
    for entry in entries or []:
        for verb in ("changed", "added", "deleted"):
            if isinstance(entry, dict) and verb in entry:
                fields += [str(f) for f in entry[verb].get("fields", [])] or [str(entry[verb].get("name", verb))]
    return fields


def _patient_of(obj):
    from .models import Patient

    if isinstance(obj, Patient):
        return obj
    patient = getattr(obj, "patient", None)
    return patient if isinstance(patient, Patient) else None


class AuditedChanges:
    """Mixed into every ModelAdmin by ClinicAdminSite.register()."""

    def _audit(self, request, obj, verb: str, fields: list[str] | None = None) -> None:
        details = {"via": "admin"}
        if fields:
            details["fields"] = fields
        audit.record(actor=request.user, action=f"admin.{obj._meta.label_lower}.{verb}", patient=_patient_of(obj),
                     obj=obj, details=details)

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        self._audit(request, obj, "added", _changed_fields(message))
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        self._audit(request, obj, "changed", _changed_fields(message))
        return entry

    def log_deletions(self, request, queryset):
        entries = super().log_deletions(request, queryset)
        for obj in queryset:
            self._audit(request, obj, "deleted")
        return entries


class AuditedViews:
    """For admin pages of health-related records: every list page and detail view is on the record.

    Set ``audit_view_action`` (e.g. "intake.screening.viewed").
    """

    audit_view_action = ""

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            audit.record_views(actor=request.user, action=self.audit_view_action, objects=list(changelist.result_list),
                               patient_of=_patient_of)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        original = getattr(response, "context_data", {}).get("original")
        if original is not None:
            audit.record(actor=request.user, action=self.audit_view_action, patient=_patient_of(original), obj=original,
                         details={"via": "admin"})
        return response


class ClinicAdminSite(admin.AdminSite):
    site_header = "Clinic administration"
    site_title = "Clinic admin"

    def admin_view(self, view, cacheable=False):
        # Every admin page takes GET and POST (and HEAD); other methods get 405, as everywhere.
        return require_http_methods(["GET", "HEAD", "POST"])(super().admin_view(view, cacheable))

    def has_permission(self, request):
        return super().has_permission(request) and not second_factor_pending(request.user)

    def login(self, request, extra_context=None):
        """One login page for everyone (rate limits, lockout, second factor): the app's."""
        if request.user.is_authenticated and second_factor_pending(request.user):
            return redirect_to_second_factor(request)
        target = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        return redirect(f"{reverse('login')}?{urlencode({'next': target})}")

    def register(self, model_or_iterable, admin_class=None, **options):
        base = admin_class or admin.ModelAdmin
        if not issubclass(base, AuditedChanges):
            base = type(f"Audited{base.__name__}", (AuditedChanges, base), {"__module__": base.__module__})
        return super().register(model_or_iterable, base, **options)

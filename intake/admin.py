"""Admin for intake. Health answers and results are never shown here: reading them belongs to the
clinician pages, which check ``intake.view_health_answers`` and write the audit log. The admin
shows who, when and what status; nothing in it is editable except settings and new consent texts.
Opening these records here is audited like opening them in the app (clinic.admin_site.AuditedViews)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from clinic.admin_site import AuditedViews

from .models import Consent, ConsentText, IntakeSettings, Reconfirmation, Screening, ScreeningDecision


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what patients and clinicians did: written by the services, never by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IntakeSettings)
class IntakeSettingsAdmin(admin.ModelAdmin):
    list_display = ("clinic", "validity_days", "reconfirm_days", "review_working_days")
    search_fields = ("clinic__name",)


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    """A published text is never edited (patients signed those exact words): add a new version."""

    list_display = ("version", "title", "published_at")
    search_fields = ("version", "title")

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Screening)
class ScreeningAdmin(AuditedViews, ReadOnlyAdmin):
    audit_view_action = "intake.screening.viewed_in_admin"
    list_display = ("id", "patient", "status", "source", "outcome", "decision", "submitted_at", "expires_at",
                    "ruleset_version", "answers_link")
    list_filter = ("status", "outcome", "decision", "source", "ruleset_version")
    search_fields = ("patient__last_name", "patient__first_name", "patient__email")
    date_hierarchy = "submitted_at"
    list_select_related = ("patient",)
    fields = ("patient", "status", "source", "previous", "current_step", "outcome", "decision", "ruleset_version",
              "created_at", "submitted_at", "expires_at", "answers_link")
    readonly_fields = fields

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if request.user.has_perm("intake.view_health_answers") else [f for f in shown if f != "answers_link"]

    def get_fields(self, request, obj=None):
        shown = super().get_fields(request, obj)
        return shown if request.user.has_perm("intake.view_health_answers") else [f for f in shown if f != "answers_link"]

    @admin.display(description="Answers")
    def answers_link(self, screening):
        if screening.is_draft:
            return "—"
        return format_html('<a href="{}">Open (clinicians; audited)</a>',
                           reverse("intake:screening_answers", args=[screening.pk]))


@admin.register(ScreeningDecision)
class ScreeningDecisionAdmin(AuditedViews, ReadOnlyAdmin):
    audit_view_action = "intake.decision.viewed_in_admin"
    list_display = ("screening", "decision", "clinician", "decided_at")
    list_filter = ("decision",)
    search_fields = ("screening__patient__last_name", "screening__patient__first_name", "clinician__email")
    date_hierarchy = "decided_at"
    fields = ("screening", "decision", "clinician", "decided_at")  # the notes stay on the clinician pages


@admin.register(Consent)
class ConsentAdmin(AuditedViews, ReadOnlyAdmin):
    audit_view_action = "intake.consent.viewed_in_admin"
    list_display = ("patient", "text", "typed_name", "signed_at")
    list_filter = ("text",)
    search_fields = ("patient__last_name", "patient__first_name", "typed_name")
    date_hierarchy = "signed_at"


@admin.register(Reconfirmation)
class ReconfirmationAdmin(AuditedViews, ReadOnlyAdmin):
    audit_view_action = "intake.reconfirmation.viewed_in_admin"
    list_display = ("patient", "at", "changed", "screening", "resulting_screening")
    list_filter = ("changed",)
    search_fields = ("patient__last_name", "patient__first_name")
    date_hierarchy = "at"
    fields = ("patient", "at", "changed", "screening", "resulting_screening")  # not the answers

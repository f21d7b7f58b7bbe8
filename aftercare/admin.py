from django.contrib import admin

from clinic.admin_site import AuditedViews

from .models import CheckIn, MessageSettings, ReminderTemplate


@admin.register(ReminderTemplate)
class ReminderTemplateAdmin(admin.ModelAdmin):
    list_display = ("kind", "email_subject", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("kind", "email_subject", "email_body", "sms_body")
    readonly_fields = ("kind", "updated_at")

    def has_add_permission(self, request):
        return False  # one per kind, created by migration; the timeline decides when each goes

    def has_delete_permission(self, request, obj=None):
        return False  # switch one off instead


@admin.register(CheckIn)
class CheckInAdmin(AuditedViews, admin.ModelAdmin):
    # The answers are health data: they are read in the audited check-in queue, not here. What
    # was alarming and what staff did about it show only to those who read check-ins in the app.
    audit_view_action = "aftercare.check_in.viewed_in_admin"
    list_display = ("patient", "submitted_at", "urgency", "handled_at", "handled_by")
    list_filter = ("urgency",)
    search_fields = ("patient__last_name", "patient__first_name")
    exclude = ("answers",)
    readonly_fields = ("appointment", "patient", "urgency", "reasons", "submitted_at", "handled_at", "handled_by", "handling_note")
    DETAILS = ("reasons", "handling_note")

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if request.user.has_perm("aftercare.view_checkin") else [f for f in fields if f not in self.DETAILS]

    def has_change_permission(self, request, obj=None):
        return False  # handled in the check-in queue, which records who did what

    def has_add_permission(self, request):
        return False


@admin.register(MessageSettings)
class MessageSettingsAdmin(admin.ModelAdmin):
    list_display = ("clinic", "sms_quiet_start", "sms_quiet_end", "updated_at")

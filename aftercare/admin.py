from django.contrib import admin

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
class CheckInAdmin(admin.ModelAdmin):
    # The answers are health data: they are read in the audited check-in queue, not here.
    list_display = ("patient", "submitted_at", "urgency", "handled_at", "handled_by")
    list_filter = ("urgency",)
    search_fields = ("patient__last_name", "patient__first_name")
    exclude = ("answers",)
    readonly_fields = ("appointment", "patient", "urgency", "reasons", "submitted_at", "handled_at", "handled_by", "handling_note")

    def has_add_permission(self, request):
        return False


@admin.register(MessageSettings)
class MessageSettingsAdmin(admin.ModelAdmin):
    list_display = ("clinic", "sms_quiet_start", "sms_quiet_end", "updated_at")

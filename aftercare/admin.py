from django.contrib import admin

from clinic.admin_site import AuditedViews

from .models import CheckIn, DeliveryAttempt, Message, ReminderTemplate


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


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("at", "outcome", "detail", "by")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("kind", "channel", "patient", "send_at", "status", "attempts", "sent_at")
    list_filter = ("status", "channel", "kind")
    search_fields = ("patient__last_name", "patient__first_name", "patient__email", "recipient")
    date_hierarchy = "send_at"
    list_select_related = ("patient",)
    inlines = [DeliveryAttemptInline]
    readonly_fields = [f.name for f in Message._meta.fields]

    def has_add_permission(self, request):
        return False  # planned by booking events only

    def has_change_permission(self, request, obj=None):
        return False  # resend from the delivery log, which records who did it


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

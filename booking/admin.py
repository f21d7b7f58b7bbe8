from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from . import selectors
from .models import (
    Appointment,
    BookingPolicy,
    ClinicClosure,
    Service,
    TimeOff,
    TreatmentCourse,
    WaitlistEntry,
    WorkingHours,
)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "duration_minutes", "buffer_before_minutes", "buffer_after_minutes", "price",
                    "needs_screening", "needs_room", "bookable_online", "is_active")
    list_filter = ("kind", "needs_screening", "needs_room", "is_active")
    list_editable = ("price", "is_active")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("clinicians",)
    search_fields = ("name",)


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    list_display = ("clinician", "weekday", "starts", "ends")
    list_filter = ("clinician", "weekday")
    list_select_related = ("clinician__staff__user",)


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    list_display = ("clinician", "start", "end", "reason")
    list_filter = ("clinician",)
    date_hierarchy = "start"


@admin.register(ClinicClosure)
class ClinicClosureAdmin(admin.ModelAdmin):
    list_display = ("date", "clinic", "reason")
    date_hierarchy = "date"


@admin.register(BookingPolicy)
class BookingPolicyAdmin(admin.ModelAdmin):
    list_display = ("clinic", "min_days_between_sessions", "max_days_between_sessions", "notice_hours", "horizon_days",
                    "slot_step_minutes", "hold_minutes", "course_sessions_default")
    fieldsets = (
        (None, {"fields": ("clinic",)}),
        ("Spacing between course sessions (days, counted as calendar dates)",
         {"fields": ("min_days_between_sessions", "max_days_between_sessions")}),
        ("Course length", {"fields": ("course_sessions_default", "course_sessions_min", "course_sessions_max")}),
        ("Online booking", {"fields": ("notice_hours", "horizon_days", "slot_step_minutes", "hold_minutes",
                                       "waitlist_notify_count")}),
    )


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    """Read mostly: bookings change through the desk pages, which run every check."""

    list_display = ("start", "patient", "service", "clinician", "room", "status", "course", "sequence")
    list_filter = ("status", "service", "clinician")
    date_hierarchy = "start"
    search_fields = ("patient__last_name", "patient__first_name", "patient__email")
    list_select_related = ("patient", "service", "clinician__staff__user", "room", "course")
    readonly_fields = [f.name for f in Appointment._meta.fields] + ["history"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="History")
    def history(self, appointment):
        entries = selectors.appointment_history(appointment)
        return format_html_join(
            mark_safe("<br>"), "{} · {} · {}{}",
            ((timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M"), e.action, e.actor or "patient link",
              f" · {e.note}" if e.note else "") for e in entries),
        ) or "—"


@admin.register(TreatmentCourse)
class TreatmentCourseAdmin(admin.ModelAdmin):
    list_display = ("patient", "service", "planned_sessions", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("patient__last_name", "patient__first_name")


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ("patient", "service", "earliest", "latest", "clinician", "status", "created_at", "last_notified_at")
    list_filter = ("status", "service")

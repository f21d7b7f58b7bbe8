"""Admin for people and places. Nobody but a superuser grants power here: superuser and staff
flags, groups, permissions, staff roles, passwords and e-mail addresses of accounts are read-only
to everyone else, and a patient record's login is never re-pointed (it would hand that patient's
health answers to whoever owns the new login). Every change is audited (clinic.admin_site)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied

from . import services
from .models import (
    AuditEvent, Clinic, Clinician, DeliveryAttempt, OpeningHours, OutboxMessage, Patient, Room, StaffMember, User,
)


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "role_display", "email_verified_at", "is_active", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "staff__role")
    search_fields = ("email", "first_name", "last_name")
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Name", {"fields": ("first_name", "last_name")}),
        ("Status", {"fields": ("is_active", "email_verified_at", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)

    # Who holds which power, and how to log in as them: a superuser's business only.
    GRANTS = ("email", "is_active", "is_staff", "is_superuser", "groups", "user_permissions", "email_verified_at")

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return readonly if request.user.is_superuser else (*readonly, *self.GRANTS)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def user_change_password(self, request, id, form_url=""):
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    @admin.display(description="Role")
    def role_display(self, user):
        staff = getattr(user, "staff", None)
        return staff.get_role_display() if staff else "Patient" if hasattr(user, "patient") else "—"


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ("name", "phone", "email", "time_zone")
    search_fields = ("name",)
    inlines = [OpeningHoursInline, RoomInline]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "clinic", "is_active", "notes")
    list_filter = ("is_active", "clinic")
    search_fields = ("name", "notes")


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ("clinic", "weekday", "opens", "closes")
    list_filter = ("clinic", "weekday")


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "phone", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("user__email", "user__first_name", "user__last_name")
    autocomplete_fields = ("user",)

    def get_readonly_fields(self, request, obj=None):
        # A role is a set of permissions: only a superuser hands one out, changes or revives it.
        return () if request.user.is_superuser else ("user", "role", "is_active")

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        services.staff_member_save(staff=obj, by=request.user)  # keeps the account's groups in step with the role


@admin.register(Clinician)
class ClinicianAdmin(admin.ModelAdmin):
    list_display = ("__str__", "title", "is_bookable")
    list_filter = ("is_bookable",)
    search_fields = ("staff__user__email", "staff__user__first_name", "staff__user__last_name", "title")
    list_select_related = ("staff__user",)


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ("last_name", "first_name", "date_of_birth", "email", "phone", "preferred_channel", "sms_consent", "has_account")
    list_filter = ("preferred_channel", "sms_consent")
    search_fields = ("last_name", "first_name", "email", "phone")
    readonly_fields = ("sms_consent_at", "created_at", "updated_at")
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        # The login of an existing record never changes here; a new record gets none (the
        # patient signs up, or a superuser links an account that is not anyone's yet).
        if obj is not None or not request.user.is_superuser:
            return (*self.readonly_fields, "user")
        return self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.filter(patient__isnull=True, staff__isnull=True, is_staff=False, is_superuser=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(boolean=True, description="Account")
    def has_account(self, patient):
        return patient.user_id is not None


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: an audit trail that can be edited is not one."""

    list_display = ("at", "action", "actor", "patient", "object_type", "object_id")
    list_filter = ("action",)
    search_fields = ("action", "actor__email", "patient__last_name", "patient__first_name", "object_id")
    date_hierarchy = "at"
    list_select_related = ("actor", "patient")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("at", "outcome", "detail", "by")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("kind", "channel", "patient", "send_at", "status", "attempts", "sent_at")
    list_filter = ("status", "channel", "kind")
    search_fields = ("patient__last_name", "patient__first_name", "patient__email", "recipient")
    date_hierarchy = "send_at"
    list_select_related = ("patient",)
    inlines = [DeliveryAttemptInline]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

    def has_add_permission(self, request):
        return False  # asked for by the apps through clinic.outbox only

    def has_change_permission(self, request, obj=None):
        return False  # resend from the delivery log, which records who did it

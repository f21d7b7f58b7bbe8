from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.decorators.http import require_http_methods

from . import account_views, settings_views, views

admin.site.site_header = "Clinic administration"
admin.site.site_title = "Clinic admin"

# Django's class-based views answer PUT like POST; every page here takes GET and POST only.
get_post = require_http_methods(["GET", "POST"])

account_patterns = [
    path("login/", account_views.login, name="login"),
    path("logout/", require_http_methods(["POST"])(auth_views.LogoutView.as_view()), name="logout"),
    path("signup/", views.sign_up, name="sign_up"),
    path("signup/done/", views.sign_up_done, name="sign_up_done"),
    path("verify/<uidb64>/<token>/", views.verify_email, name="verify_email"),
    path("verify/resend/", account_views.resend_verification, name="resend_verification"),
    path("email/confirm/<str:token>/", account_views.email_change_confirm, name="email_change_confirm"),
    path("two-factor/", account_views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/setup/", account_views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/recovery-codes/", account_views.two_factor_recovery_codes, name="two_factor_recovery_codes"),
    path("session/", account_views.session_status, name="session_status"),
    path("password_change/", get_post(account_views.PasswordChangeView.as_view()), name="password_change"),
    path("password_change/done/", get_post(auth_views.PasswordChangeDoneView.as_view()), name="password_change_done"),
    path("password_reset/", account_views.password_reset, name="password_reset"),
    path("password_reset/done/", get_post(auth_views.PasswordResetDoneView.as_view()), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", get_post(account_views.PasswordResetConfirmView.as_view()), name="password_reset_confirm"),
    path("reset/done/", get_post(auth_views.PasswordResetCompleteView.as_view()), name="password_reset_complete"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health_check, name="health"),
    path("accounts/", include(account_patterns)),
    path("me/", views.patient_home, name="patient_home"),
    path("me/profile/", views.profile_edit, name="profile_edit"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("staff/", views.staff_home, name="staff_home"),
    path("settings/", views.clinic_settings, name="clinic_settings"),
    path("settings/staff/", settings_views.staff_security, name="staff_security"),
    path("settings/staff/<int:pk>/reset-two-factor/", settings_views.staff_second_factor_reset, name="staff_second_factor_reset"),
    path("settings/audit/", settings_views.audit_log, name="audit_log"),
    path("intake/", include("intake.urls")),
    path("booking/", include("booking.urls")),
    path("aftercare/", include("aftercare.urls")),
    path("treatment/", include("treatment.urls")),
    path("admin/", admin.site.urls),
]

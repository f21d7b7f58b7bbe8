from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .forms import EmailLoginForm

admin.site.site_header = "Clinic administration"
admin.site.site_title = "Clinic admin"

account_patterns = [
    path("login/", auth_views.LoginView.as_view(authentication_form=EmailLoginForm, redirect_authenticated_user=True), name="login"),
    path("signup/", views.sign_up, name="sign_up"),
    path("verify/<uidb64>/<token>/", views.verify_email, name="verify_email"),
    path("verify/resend/", views.resend_verification, name="resend_verification"),
    path("", include("django.contrib.auth.urls")),  # logout, password reset and change
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
    path("intake/", include("intake.urls")),
    path("booking/", include("booking.urls")),
    path("aftercare/", include("aftercare.urls")),
    path("admin/", admin.site.urls),
]

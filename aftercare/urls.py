from django.urls import path

from . import patient_views, staff_views

app_name = "aftercare"

urlpatterns = [
    path("", patient_views.today, name="today"),
    path("check-in/<int:pk>/", patient_views.check_in, name="check_in"),
    path("check-in/answers/<int:pk>/", patient_views.check_in_result, name="check_in_result"),
    path("staff/check-ins/", staff_views.check_in_queue, name="check_in_queue"),
    path("staff/check-ins/<int:pk>/done/", staff_views.check_in_handle, name="check_in_handle"),
    path("staff/patients/<int:patient_pk>/messages/", staff_views.delivery_log, name="delivery_log"),
    path("staff/messages/problems/", staff_views.problems, name="problems"),
    path("staff/messages/<int:pk>/resend/", staff_views.resend, name="resend"),
    path("settings/messages/", staff_views.message_settings, name="message_settings"),
]

from django.urls import path

from . import desk_views, patient_views, settings_views

app_name = "booking"

urlpatterns = [
    path("", patient_views.start, name="start"),
    path("appointments/", patient_views.my_appointments, name="my_appointments"),
    path("appointments/<int:pk>/", patient_views.appointment_detail, name="appointment"),
    path("appointments/<int:pk>/cancel/", patient_views.appointment_cancel, name="appointment_cancel"),
    path("appointments/<int:pk>/move/", patient_views.appointment_move, name="appointment_move"),
    path("holds/<int:pk>/", patient_views.hold, name="hold"),
    path("link/<str:token>/", patient_views.link_manage, name="link_manage"),
    path("link/<str:token>/cancel/", patient_views.link_cancel, name="link_cancel"),
    path("link/<str:token>/move/", patient_views.link_move, name="link_move"),
    path("waitlist/<int:pk>/leave/", patient_views.waitlist_leave, name="waitlist_leave"),
    # The front desk
    path("desk/", desk_views.calendar, name="desk_calendar"),
    path("desk/sheet/", desk_views.day_sheet, name="desk_sheet"),
    path("desk/book/", desk_views.book, name="desk_book"),
    path("desk/patients/new/", desk_views.patient_new, name="desk_patient_new"),
    path("desk/appointments/<int:pk>/", desk_views.appointment, name="desk_appointment"),
    path("desk/appointments/<int:pk>/move/", desk_views.move, name="desk_move"),
    path("desk/appointments/<int:pk>/<str:action>/", desk_views.action, name="desk_action"),
    path("desk/waitlist/", desk_views.waitlist, name="desk_waitlist"),
    path("desk/waitlist/<int:pk>/offer/", desk_views.waitlist_offer, name="desk_waitlist_offer"),
    path("desk/waitlist/<int:pk>/remove/", desk_views.waitlist_remove, name="desk_waitlist_remove"),
    path("desk/courses/overdue/", desk_views.overdue, name="desk_overdue"),
    path("desk/courses/<int:pk>/contact/", desk_views.course_contact, name="desk_course_contact"),
    path("desk/courses/<int:pk>/stop/", desk_views.course_stop, name="desk_course_stop"),
    # The clinic admin's settings (tabs of /settings/)
    path("settings/rules/", settings_views.rules, name="settings_rules"),
    path("settings/hours/", settings_views.hours, name="settings_hours"),
    path("settings/hours/<int:pk>/", settings_views.hours_edit, name="settings_hours_edit"),
    path("settings/time-off/", settings_views.time_off, name="settings_time_off"),
    path("settings/time-off/<int:pk>/remove/", settings_views.time_off_remove, name="settings_time_off_remove"),
    path("settings/closures/<int:pk>/remove/", settings_views.closure_remove, name="settings_closure_remove"),
    # Patients: a service's days and times (last: its slug would catch the paths above)
    path("<slug:slug>/waitlist/", patient_views.waitlist_join, name="waitlist_join"),
    path("<slug:slug>/", patient_views.service_slots, name="service"),
]

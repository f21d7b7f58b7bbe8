from django.urls import path

from . import desk_views, patient_views

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
    path("desk/", desk_views.calendar, name="desk_calendar"),
    path("desk/book/", desk_views.book, name="desk_book"),
    path("desk/appointments/<int:pk>/", desk_views.appointment, name="desk_appointment"),
    path("desk/appointments/<int:pk>/move/", desk_views.move, name="desk_move"),
    path("desk/appointments/<int:pk>/<str:action>/", desk_views.action, name="desk_action"),
    path("<slug:slug>/waitlist/", patient_views.waitlist_join, name="waitlist_join"),
    path("<slug:slug>/", patient_views.service_slots, name="service"),
]

from django.urls import path

from . import lot_views, photo_views, settings_views, views

app_name = "treatment"

urlpatterns = [
    path("visits/<int:appointment_pk>/record/", views.record_edit, name="record_edit"),
    path("visits/<int:appointment_pk>/not-treated/", views.not_treated, name="not_treated"),
    path("visits/<int:appointment_pk>/complete/", views.visit_complete, name="visit_complete"),
    path("visits/<int:appointment_pk>/photos/", photo_views.visit_photos, name="visit_photos"),
    path("records/<int:pk>/", views.record_detail, name="record_detail"),
    path("records/<int:pk>/sign/", views.record_sign, name="record_sign"),
    path("records/<int:pk>/amend/", views.record_amend, name="record_amend"),
    path("patients/<int:patient_pk>/notes/", views.note_add, name="note_add"),
    path("patients/<int:patient_pk>/photo-consent/", photo_views.photo_consent, name="photo_consent"),
    path("patients/<int:patient_pk>/photos/", photo_views.photo_compare, name="photo_compare"),
    path("photos/<int:pk>/", photo_views.photo_file, name="photo_file"),
    path("lots/", lot_views.lots, name="lots"),
    path("lots/recall/", lot_views.recall, name="recall"),
    path("settings/", settings_views.treatment_settings, name="settings"),
    path("settings/dose-limits/", settings_views.dose_limits, name="dose_limits"),
]

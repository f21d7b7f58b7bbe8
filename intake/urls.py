from django.urls import path

from . import patient_views, staff_views

app_name = "intake"

urlpatterns = [
    # Patients
    path("", patient_views.questionnaire, name="questionnaire"),
    path("step/<int:step>/", patient_views.step, name="step"),
    path("result/", patient_views.result, name="result"),
    path("my-answers/", patient_views.my_answers, name="my_answers"),
    path("update/", patient_views.update, name="update"),
    path("consent/", patient_views.consent, name="consent"),
    path("consent/<str:version>/", patient_views.consent_text, name="consent_text"),
    path("anything-changed/", patient_views.reconfirm, name="reconfirm"),
    # Staff
    path("reviews/", staff_views.review_queue, name="review_queue"),
    path("screenings/<int:pk>/", staff_views.screening_answers, name="screening_answers"),
    path("screenings/<int:pk>/decide/", staff_views.screening_decide, name="screening_decide"),
    path("settings/", staff_views.intake_settings, name="settings"),
]

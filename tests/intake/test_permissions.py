"""Intake permissions per role (from migrations), patient-page access, and the admin."""

import pytest

from clinic.models import Role
from tests.factories import make_staff
from tests.intake.factories import ScreeningFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (Role.FRONT_DESK, ["intake.view_screening"],
         ["intake.view_health_answers", "intake.review_screening", "intake.view_reconfirmation"]),
        (Role.CLINICIAN, ["intake.view_screening", "intake.view_health_answers", "intake.review_screening"],
         ["intake.change_screening", "intake.change_intakesettings"]),
        (Role.CLINIC_ADMIN, ["intake.view_screening", "intake.change_intakesettings", "intake.add_consenttext",
                             "clinic.view_auditevent"],
         ["intake.view_health_answers", "intake.review_screening", "intake.change_consenttext"]),
    ],
)
def test_each_role_gets_its_intake_permissions(role, allowed, refused):
    user = make_staff(role).user
    for perm in allowed:
        assert user.has_perm(perm), perm
    for perm in refused:
        assert not user.has_perm(perm), perm


PATIENT_PAGES = ["/intake/", "/intake/step/1/", "/intake/result/", "/intake/my-answers/", "/intake/update/",
                 "/intake/consent/", "/intake/anything-changed/"]


@pytest.mark.parametrize("url", PATIENT_PAGES)
@pytest.mark.parametrize("persona", ["front_desk", "clinician", "stranger"])
def test_patient_pages_are_for_patients_only(request, client, url, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", PATIENT_PAGES)
def test_patient_pages_send_visitors_to_log_in(client, url):
    assert client.get(url)["Location"].startswith("/accounts/login/")


def test_bob_only_ever_sees_his_own_screening(client, patient, other_patient, clinic):
    ScreeningFactory(patient=patient, answers={**ScreeningFactory.answers.function(), "smoker": "yes"})
    client.force_login(other_patient.user)
    assert client.get("/intake/my-answers/")["Location"] == "/intake/"  # he has none
    assert client.get(f"/patients/{patient.pk}/").status_code == 404


@pytest.mark.parametrize("model", ["screening", "screeningdecision", "consent", "consenttext", "reconfirmation",
                                   "intakesettings"])
def test_the_admin_lists_every_intake_model_without_health_answers(admin_client, patient, model):
    ScreeningFactory(patient=patient, answers={**ScreeningFactory.answers.function(), "medications": "Xarelto"})
    response = admin_client.get(f"/admin/intake/{model}/")
    assert response.status_code == 200
    assert "Xarelto" not in response.text


def test_the_screening_admin_page_shows_status_not_answers(admin_client, patient):
    screening = ScreeningFactory(patient=patient, answers={**ScreeningFactory.answers.function(), "medications": "Xarelto"})
    response = admin_client.get(f"/admin/intake/screening/{screening.pk}/change/")
    assert response.status_code == 200
    assert "Xarelto" not in response.text and "Not eligible" in response.text


def test_the_audit_log_is_read_only_in_the_admin(admin_client):
    assert admin_client.get("/admin/clinic/auditevent/").status_code == 200
    assert admin_client.get("/admin/clinic/auditevent/add/").status_code == 403

"""Who may open which page: the patient, another patient, front desk, clinician, admin, a stranger."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def get(client, user, url):
    if user is not None:
        client.force_login(user)
    return client.get(url)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("patient", 200), ("other_patient", 404), ("front_desk", 200), ("clinician", 200), ("clinic_admin", 200), ("stranger", 404)],
)
def test_patient_profile_is_seen_only_by_the_patient_and_staff(client, request, patient, persona, status):
    user = request.getfixturevalue(persona)
    user = getattr(user, "user", user)  # patient fixtures are Patient rows
    response = get(client, user, reverse("patient_detail", args=[patient.pk]))
    assert response.status_code == status
    if status == 200:
        assert "Alice Walker" in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, patient):
    response = client.get(reverse("patient_detail", args=[patient.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_patient_asking_for_a_missing_id_gets_404(client, patient):
    assert get(client, patient.user, reverse("patient_detail", args=[999999])).status_code == 404


@pytest.mark.parametrize(("persona", "status"), [("patient", 403), ("stranger", 403), ("front_desk", 200), ("clinician", 200)])
def test_staff_home_is_for_staff(client, request, persona, status):
    user = request.getfixturevalue(persona)
    assert get(client, getattr(user, "user", user), reverse("staff_home")).status_code == status


@pytest.mark.parametrize(("persona", "status"), [("patient", 200), ("front_desk", 403), ("stranger", 403)])
def test_patient_pages_are_for_patients(client, request, persona, status):
    user = request.getfixturevalue(persona)
    user = getattr(user, "user", user)
    assert get(client, user, reverse("patient_home")).status_code == status
    client.logout()
    assert get(client, user, reverse("profile_edit")).status_code == status


def test_front_desk_finds_patients_by_name_email_or_phone(client, front_desk, patient, other_patient):
    client.force_login(front_desk)
    for query in ("alice walker", "ALICE@", "555-0147"[:3]):
        page = client.get(reverse("staff_home"), {"q": query}).content.decode()
        assert "Alice Walker" in page
    page = client.get(reverse("staff_home"), {"q": "walker"}).content.decode()
    assert "Bob Stone" not in page


def test_a_patient_profile_never_shows_another_patients_data_in_search(client, patient, other_patient):
    client.force_login(patient.user)
    assert client.get(reverse("staff_home"), {"q": "bob"}).status_code == 403


def test_the_base_layout_has_landmarks_a_skip_link_and_messages(client, clinic):
    page = client.get(reverse("home")).content.decode()
    assert 'href="#main"' in page and '<main id="main"' in page and "<nav" in page and "<footer" in page
    assert 'name="viewport"' in page
    assert "Test Vein Clinic" in page


@pytest.mark.parametrize(
    ("persona", "status"),
    [("patient", 403), ("stranger", 403), ("front_desk", 403), ("clinician", 403), ("clinic_admin", 200)],
)
def test_clinic_settings_are_for_the_clinic_admin(client, request, persona, status):
    user = request.getfixturevalue(persona)
    assert get(client, getattr(user, "user", user), reverse("clinic_settings")).status_code == status


# --- the one helper that fetches an object for this user -------------------------------------


def test_get_for_user_gives_a_patient_only_their_own_rows(patient, other_patient):
    from django.http import Http404

    from clinic.access import get_for_user
    from clinic.models import Patient

    assert get_for_user(patient.user, Patient, owner="", pk=patient.pk) == patient
    for pk in (other_patient.pk, 999999, "not-a-number"):
        with pytest.raises(Http404):
            get_for_user(patient.user, Patient, owner="", pk=pk)


def test_get_for_user_refuses_staff_without_the_permission_and_strangers_see_nothing(front_desk, stranger, patient):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from clinic.access import get_for_user
    from clinic.models import Patient

    assert get_for_user(front_desk, Patient, owner="", pk=patient.pk) == patient
    with pytest.raises(PermissionDenied):
        get_for_user(front_desk, Patient, owner="", perm="intake.view_health_answers", pk=patient.pk)
    with pytest.raises(Http404):
        get_for_user(stranger, Patient, owner="", pk=patient.pk)


def test_the_clinic_row_is_read_once_per_request_and_afresh_after_a_save(clinic, django_assert_num_queries):
    from clinic import scope
    from clinic.models import Clinic

    with scope.request():
        with django_assert_num_queries(1):
            assert Clinic.objects.current() is Clinic.objects.current()
        first = Clinic.objects.current()
        first.name = "Renamed"
        first.save()
        with django_assert_num_queries(1):
            assert Clinic.objects.current().name == "Renamed"
    with django_assert_num_queries(2):  # outside a request: read each time
        Clinic.objects.current()
        Clinic.objects.current()

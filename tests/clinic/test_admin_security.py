"""The Django admin cannot be used to escalate or to read around the rules (issue 11.6): each
escalation the attack report tried, as the roles that tried it."""

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth.models import Group
from django.urls import NoReverseMatch, reverse

from clinic.models import AuditEvent, Patient, Role, User

pytestmark = pytest.mark.django_db


def user_form(user, **changes):
    data = {"email": user.email, "first_name": user.first_name, "last_name": user.last_name, "is_active": "on",
            "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}
    data.update(changes)
    return data


def test_a_clinic_admin_cannot_make_anyone_a_superuser_or_give_roles_or_permissions(client, clinic_admin, front_desk):
    client.force_login(clinic_admin)
    url = reverse("admin:clinic_user_change", args=[front_desk.pk])
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page and 'name="groups"' not in page and 'name="user_permissions"' not in page
    admins = Group.objects.get(name="Clinic admins")
    client.post(url, user_form(front_desk, is_superuser="on", is_staff="on", groups=[admins.pk], first_name="Dana"))
    front_desk.refresh_from_db()
    assert front_desk.first_name == "Dana"  # what they may change, changed
    assert not front_desk.is_superuser and not front_desk.groups.filter(pk=admins.pk).exists()
    assert not front_desk.has_perm("clinic.change_staffmember")


def test_a_clinic_admin_cannot_change_a_role_or_add_staff(client, clinic_admin, front_desk):
    client.force_login(clinic_admin)
    staff = front_desk.staff
    client.post(reverse("admin:clinic_staffmember_change", args=[staff.pk]),
                {"user": front_desk.pk, "role": Role.CLINIC_ADMIN, "phone": "", "is_active": "on"})
    staff.refresh_from_db()
    assert staff.role == Role.FRONT_DESK
    assert client.get(reverse("admin:clinic_staffmember_add")).status_code == 403
    assert client.get(reverse("admin:clinic_user_add")).status_code == 403


def test_a_clinic_admin_cannot_take_over_an_account_by_password_or_address(client, clinic_admin, patient):
    client.force_login(clinic_admin)
    assert client.get(reverse("admin:auth_user_password_change", args=[patient.user.pk])).status_code == 403
    client.post(reverse("admin:clinic_user_change", args=[patient.user.pk]), user_form(patient.user, email="me@evil.example"))
    patient.user.refresh_from_db()
    assert patient.user.email == "alice@example.org"


@pytest.mark.parametrize("persona", ["front_desk", "clinic_admin"])
def test_a_patient_records_login_cannot_be_re_pointed(client, request, persona, patient, other_patient):
    """The attack: point Alice's record at one's own login, then read her answers as 'the patient'."""
    user = request.getfixturevalue(persona)
    client.force_login(user)
    url = reverse("admin:clinic_patient_change", args=[patient.pk])
    assert 'name="user"' not in client.get(url).content.decode()
    data = {"user": user.pk, "first_name": "Alice", "last_name": "Walker", "date_of_birth": "1985-06-15",
            "email": "alice@example.org", "phone": "+12065550147", "preferred_channel": "email"}
    client.post(url, data)
    patient.refresh_from_db()
    assert patient.user_id != user.pk and patient.user.email == "alice@example.org"


def test_a_superuser_grants_roles_and_every_change_is_audited(admin_client, front_desk):
    staff = front_desk.staff
    response = admin_client.post(reverse("admin:clinic_staffmember_change", args=[staff.pk]),
                                 {"user": front_desk.pk, "role": Role.CLINICIAN, "phone": "", "is_active": "on"})
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.role == Role.CLINICIAN and front_desk.groups.filter(name="Clinicians").exists()
    changed = AuditEvent.objects.get(action="admin.clinic.staffmember.changed")
    assert changed.actor.is_superuser and changed.details["fields"] == ["Role"]
    role = AuditEvent.objects.get(action="clinic.staff.role_changed", actor=changed.actor)
    assert role.details["before"]["role"] == "front_desk" and role.details["after"]["role"] == "clinician"

    admins = Group.objects.get(name="Clinic admins")
    admin_client.post(reverse("admin:clinic_user_change", args=[front_desk.pk]),
                      user_form(front_desk, is_staff="on", groups=[admins.pk]))
    event = AuditEvent.objects.filter(action="admin.clinic.user.changed").latest("pk")
    assert "Groups" in event.details["fields"] and event.object_id == str(front_desk.pk)


def test_health_details_stay_out_of_the_admin_for_roles_that_cannot_read_them(client, front_desk, clinic_admin, clinician, patient):
    from aftercare.models import CheckIn
    from tests.booking.factories import Calendar, appointment
    from tests.intake.factories import ScreeningFactory

    screening = ScreeningFactory(patient=patient)
    cal = Calendar()
    from django.utils import timezone

    visit = appointment(patient=patient, service=cal.session, clinician=cal.clinicians[0], start=timezone.now().replace(microsecond=0))
    check_in = CheckIn.objects.create(appointment=visit, patient=patient, answers={"pain": "severe"}, urgency=2,
                                      reasons=["pain_severe"], submitted_at=visit.start)
    client.force_login(front_desk)
    assert "Open (clinicians; audited)" not in client.get(reverse("admin:intake_screening_changelist")).content.decode()
    assert client.get(reverse("admin:aftercare_checkin_change", args=[check_in.pk])).status_code == 403
    client.force_login(clinic_admin)
    assert client.get(reverse("admin:aftercare_checkin_changelist")).status_code == 403
    client.force_login(clinician)
    page = client.get(reverse("admin:aftercare_checkin_change", args=[check_in.pk])).content.decode()
    assert "pain_severe" in page and "severe" not in page.replace("pain_severe", "")  # reasons, never the answers
    viewed = AuditEvent.objects.filter(action="aftercare.check_in.viewed_in_admin", actor=clinician)
    assert viewed.filter(patient=patient, object_id=str(check_in.pk)).exists()
    client.get(reverse("admin:intake_screening_changelist"))
    assert AuditEvent.objects.filter(action="intake.screening.viewed_in_admin", object_id=str(screening.pk), actor=clinician).exists()


ROLES = ("front_desk", "clinician", "clinic_admin", "admin_user")


@pytest.mark.parametrize("persona", ROLES)
def test_every_admin_page_answers_each_role_without_error(client, request, persona, patient):
    """Every registered model's list and add pages: allowed (200) or refused (403), never 500."""
    user = request.getfixturevalue(persona)
    client.force_login(user)
    for model, model_admin in site._registry.items():
        for view in ("changelist", "add"):
            try:
                url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")
            except NoReverseMatch:
                continue
            status = client.get(url).status_code
            assert status in (200, 302, 403), f"{url} as {persona}: {status}"
            if status == 200 and view == "changelist" and not user.is_superuser:
                assert user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}") or user.has_perm(
                    f"{model._meta.app_label}.change_{model._meta.model_name}")


def test_no_role_deletes_people_in_the_admin(client, clinic_admin, patient):
    client.force_login(clinic_admin)
    assert client.post(reverse("admin:clinic_user_delete", args=[patient.user.pk]), {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=patient.user.pk).exists() and Patient.objects.filter(pk=patient.pk).exists()

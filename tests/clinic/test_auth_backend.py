"""The clinic's auth backend answers like Django's ModelBackend, in fewer queries."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from clinic.auth import ClinicBackend
from clinic.models import Role
from tests.factories import UserFactory, make_staff

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", list(Role))
def test_a_roles_permissions_are_the_same_as_with_modelbackend(role):
    user = make_staff(role).user
    user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))  # one of the user's own
    assert ClinicBackend().get_all_permissions(ClinicBackend().get_user(user.pk)) == ModelBackend().get_all_permissions(
        ModelBackend().get_user(user.pk)
    )
    assert "clinic.view_auditevent" in ClinicBackend().get_all_permissions(ClinicBackend().get_user(user.pk))


def test_the_role_and_all_permissions_cost_two_queries(django_assert_num_queries):
    staff = make_staff(Role.CLINICIAN)
    with django_assert_num_queries(2):
        user = ClinicBackend().get_user(staff.user.pk)
        assert user.role == Role.CLINICIAN
        assert user.has_perm("clinic.view_patient") and user.has_perm("booking.view_appointment")
        assert not user.has_perm("clinic.delete_clinic")


def test_inactive_users_and_patients_are_as_before(patient):
    inactive = UserFactory(is_active=False)
    assert ClinicBackend().get_user(inactive.pk) is None
    user = ClinicBackend().get_user(patient.user.pk)
    assert user.role is None and user.patient == patient
    assert ClinicBackend().get_all_permissions(user) == set()


def test_superusers_have_every_permission():
    admin = UserFactory(is_superuser=True)
    assert len(ClinicBackend().get_all_permissions(admin)) == Permission.objects.count()

"""Each role's permissions come from migrations and follow the staff member's role."""

import pytest
from django.contrib.auth.models import Group

from clinic.models import ROLE_GROUPS, Role
from clinic.services import staff_member_save
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


def test_every_role_has_its_group_after_migrating():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLE_GROUPS.values())


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (Role.FRONT_DESK, ["clinic.add_patient", "clinic.change_patient", "clinic.view_room"],
         ["clinic.delete_patient", "clinic.change_room", "clinic.change_staffmember", "clinic.add_user"]),
        (Role.CLINICIAN, ["clinic.view_patient", "clinic.change_patient", "clinic.view_clinician"],
         ["clinic.add_patient", "clinic.delete_patient", "clinic.change_room", "clinic.change_clinic"]),
        (Role.CLINIC_ADMIN, ["clinic.change_room", "clinic.add_staffmember", "clinic.change_clinic", "clinic.add_user",
                             "clinic.change_openinghours"],
         ["auth.change_group", "clinic.delete_user"]),
    ],
)
def test_role_permissions(role, allowed, refused):
    user = make_staff(role).user
    for perm in allowed:
        assert user.has_perm(perm), perm
    for perm in refused:
        assert not user.has_perm(perm), perm


def test_changing_a_role_takes_the_old_permissions_away():
    staff = make_staff(Role.FRONT_DESK)
    staff.role = Role.CLINICIAN
    staff_member_save(staff=staff)
    user = type(staff.user).objects.get(pk=staff.user.pk)  # a fresh object: permissions are cached
    assert list(user.groups.values_list("name", flat=True)) == [ROLE_GROUPS[Role.CLINICIAN]]
    assert not user.has_perm("clinic.add_patient")
    assert hasattr(staff, "clinician")


def test_an_inactive_staff_member_keeps_no_staff_access():
    staff = make_staff(Role.CLINIC_ADMIN)
    staff.is_active = False
    staff_member_save(staff=staff)
    user = type(staff.user).objects.get(pk=staff.user.pk)
    assert user.role is None
    assert user.is_staff is False
    assert not user.has_perm("clinic.change_room")


def test_staff_members_may_use_the_admin_within_their_permissions():
    assert make_staff(Role.FRONT_DESK).user.is_staff is True

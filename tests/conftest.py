"""Shared fixtures: named personas for permission tests (healthchecks' alice/bob/charlie idea)."""

import pytest

from clinic.models import Role
from tests.factories import PASSWORD, ClinicFactory, PatientFactory, UserFactory, make_staff


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashing is slow by design; tests create many accounts."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clinic(db):
    return ClinicFactory()


@pytest.fixture
def patient(db):
    """The patient: Alice."""
    return PatientFactory(first_name="Alice", last_name="Walker", user__email="alice@example.org")


@pytest.fixture
def other_patient(db):
    """Another patient: Bob, who must never see Alice's records."""
    return PatientFactory(first_name="Bob", last_name="Stone", user__email="bob@example.org")


@pytest.fixture
def front_desk(db):
    return make_staff(Role.FRONT_DESK, email="desk@example.org").user


@pytest.fixture
def clinician(db):
    return make_staff(Role.CLINICIAN, email="clinician@example.org").user


@pytest.fixture
def clinic_admin(db):
    return make_staff(Role.CLINIC_ADMIN, email="admin@example.org").user


@pytest.fixture
def stranger(db):
    """An unrelated user: an account with neither a patient record nor a staff role."""
    return UserFactory(email="stranger@example.org")


@pytest.fixture
def password():
    return PASSWORD


def login(client, user):
    client.force_login(user)
    return client

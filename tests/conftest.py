"""Shared fixtures: named personas for permission tests (healthchecks' alice/bob/charlie idea)."""

import pytest
from django.core.cache import cache
from django.test import Client

from clinic.models import Role
from tests.factories import PASSWORD, ClinicFactory, PatientFactory, UserFactory, make_staff
from tests.second_factor import give_second_factor


class ClinicClient(Client):
    """The test client, logging staff in the way they really end up: password *and* second factor.

    ``force_login`` and ``login`` give a staff account a confirmed authenticator device and mark
    the session as having passed it, so tests about other things need not enter codes. Tests of
    the second factor itself use a plain ``django.test.Client`` (tests/clinic/test_second_factor.py).
    """

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        give_second_factor(self, user)

    def login(self, **credentials):
        from django.http import HttpRequest

        request = HttpRequest()  # django-axes needs a request to count and lock attempts
        request.META["REMOTE_ADDR"] = "127.0.0.1"
        from django.contrib.auth import authenticate

        user = authenticate(request, **credentials)
        if user is None:
            return False
        self.force_login(user)
        return True


@pytest.fixture
def client():
    return ClinicClient()


@pytest.fixture
def admin_client(db, admin_user):
    client = ClinicClient()
    client.force_login(admin_user)
    return client


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counters live in the cache: each test starts from none (and leaves none)."""
    cache.clear()
    yield
    cache.clear()


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


@pytest.fixture(scope="session", autouse=True)
def test_flush_may_empty_the_locked_tables():
    """Transactional tests end by emptying every table. PostgreSQL does it with TRUNCATE, which the
    row triggers of the audit trail and of signed treatment records let through; SQLite deletes
    row by row, which they refuse. So on SQLite, and only for this between-tests flush, those
    triggers step aside."""
    import importlib

    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    from django.db.backends.sqlite3.base import DatabaseWrapper

    from treatment import db_guards as treatment_guards

    DatabaseOperations = DatabaseWrapper.ops_class
    append_only = importlib.import_module("clinic.migrations.0005_audit_append_only")
    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with self.connection.cursor() as cursor:
            for statement in append_only.SQLITE_REVERSE:
                cursor.execute(statement)
        treatment_guards.uninstall(self.connection)
        try:
            original(self, sql_list)
        finally:
            with self.connection.cursor() as cursor:
                for statement in append_only.SQLITE:
                    cursor.execute(statement)
            treatment_guards.install(self.connection)

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    DatabaseOperations.execute_sql_flush = original


@pytest.fixture
def urgent_mail_sent_at_once(monkeypatch):
    """The worker's part of an urgent message, done in this process: the moment the change commits,
    what is due is dispatched and sent (into mail.outbox), as a worker would within a second.
    The real hand-over to a broker and a worker is tested in tests/clinic/test_outbox.py."""
    from clinic import outbox
    from tests.outbox import drain

    monkeypatch.setattr(outbox, "dispatch_urgent", lambda: drain())

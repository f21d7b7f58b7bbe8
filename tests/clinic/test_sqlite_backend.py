"""A migration that rebuilds a table on SQLite must not break the triggers of other tables that
read it (treatment's guards read the visit; booking's guards are on the visit itself)."""

import pytest
from django.db import connection, models

from booking import db_guards as booking_guards
from booking.models import Appointment

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def rebuilt_visits():
    """Rebuild booking_appointment the way an AlterField migration does on SQLite, and back."""
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite rebuilds a table to alter a column; PostgreSQL alters it in place")
    old = Appointment._meta.get_field("cancel_reason")
    new = models.CharField(max_length=250, blank=True)
    new.set_attributes_from_name("cancel_reason")
    new.model = Appointment

    def rebuild(before, after):
        with connection.schema_editor() as editor:
            editor.alter_field(Appointment, before, after)
        booking_guards.install(connection)  # triggers *on* the rebuilt table go with it

    rebuild(old, new)
    yield
    rebuild(new, old)


def test_a_rebuilt_visit_table_keeps_the_treatment_guards_that_read_it(rebuilt_visits):
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'treatment_%'")
        assert len(cursor.fetchall()) > 5
        cursor.execute("SELECT COUNT(*) FROM booking_appointment")  # the table is back, under its name
        assert cursor.fetchone()[0] == 0

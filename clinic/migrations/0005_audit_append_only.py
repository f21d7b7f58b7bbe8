"""The audit trail is append-only in the database itself: UPDATE and DELETE are refused by a
trigger, whoever asks (the app's own role included), on PostgreSQL and on SQLite.

On SQLite a migration that rebuilds clinic_auditevent (SQLite's way of altering a table) drops
its triggers with the old table: such a migration must run APPEND_ONLY_SQL again.
tests/clinic/test_audit.py checks that the triggers are there after every migration.
"""

from django.db import migrations

POSTGRES = """
CREATE OR REPLACE FUNCTION clinic_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % refused on clinic_auditevent', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS clinic_auditevent_append_only ON clinic_auditevent;
CREATE TRIGGER clinic_auditevent_append_only BEFORE UPDATE OR DELETE ON clinic_auditevent
    FOR EACH ROW EXECUTE FUNCTION clinic_auditevent_append_only();
"""
POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS clinic_auditevent_append_only ON clinic_auditevent;
DROP FUNCTION IF EXISTS clinic_auditevent_append_only();
"""
SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS clinic_auditevent_no_update BEFORE UPDATE ON clinic_auditevent
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE refused on clinic_auditevent'); END""",
    """CREATE TRIGGER IF NOT EXISTS clinic_auditevent_no_delete BEFORE DELETE ON clinic_auditevent
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE refused on clinic_auditevent'); END""",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS clinic_auditevent_no_update", "DROP TRIGGER IF EXISTS clinic_auditevent_no_delete"]


def APPEND_ONLY_SQL(vendor: str) -> list[str]:
    return {"postgresql": [POSTGRES], "sqlite": SQLITE}.get(vendor, [])


def forwards(apps, schema_editor):
    for sql in APPEND_ONLY_SQL(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)  # no parameters: the % in the PL/pgSQL message is literal


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": [POSTGRES_REVERSE], "sqlite": SQLITE_REVERSE}.get(vendor, []):
        schema_editor.execute(sql, params=None)  # no parameters: the % in the PL/pgSQL message is literal


class Migration(migrations.Migration):

    dependencies = [
        ("clinic", "0004_second_factor_reset_and_protected_audit"),
        # The booking history is copied in before the table closes to changes.
        ("booking", "0005_appointment_log_into_audit"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

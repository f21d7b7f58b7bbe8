"""The database refuses double bookings: exclusion constraints on PostgreSQL, triggers on SQLite.

See booking/db_guards.py for the rule and why holds are swept rather than filtered by now().
"""

from django.db import migrations

from booking import db_guards


def install(apps, schema_editor):
    # Only PostgreSQL can hold exclusion constraints (with btree_gist); SQLite gets triggers.
    for sql in db_guards.statements(schema_editor.connection.vendor, install=True):
        schema_editor.execute(sql)


def uninstall(apps, schema_editor):
    for sql in db_guards.statements(schema_editor.connection.vendor, install=False):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("booking", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]

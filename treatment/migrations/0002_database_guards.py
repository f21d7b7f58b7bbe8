"""The database's own guards on treatment records, their areas, lots and clinical notes:
triggers on SQLite and PostgreSQL (see treatment/db_guards.py for each rule)."""

from django.db import migrations

from treatment import db_guards


def install(apps, schema_editor):
    for sql in db_guards.statements(schema_editor.connection.vendor, install=True):
        schema_editor.execute(sql)


def uninstall(apps, schema_editor):
    for sql in db_guards.statements(schema_editor.connection.vendor, install=False):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    # The signing guards read intake's screenings.
    dependencies = [("treatment", "0001_initial"), ("intake", "0002_permissions_and_consent_text")]

    operations = [migrations.RunPython(install, uninstall)]

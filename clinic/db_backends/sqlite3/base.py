"""Django's SQLite backend, with one change to how migrations rebuild a table.

SQLite alters most columns by building a new table, copying the rows, dropping the old table and
renaming the new one to the old name. The app's guards are triggers (booking, treatment) whose
bodies read other tables (a treatment record's trigger reads the visit and the screening). With
``legacy_alter_table`` off (Django's setting), the final rename re-checks every trigger and fails
with "error in trigger …: no such table", because for a moment the table does not exist. The
table comes back under its own name, so the triggers' text stays right: the rebuild runs with the
legacy behaviour, which does not re-check them.

Triggers *on* the rebuilt table itself are dropped with it, whatever this setting: a migration that
changes such a table re-installs them (see booking/migrations/0004).
"""

from django.db.backends.sqlite3 import base, schema


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def _remake_table(self, model, create_field=None, delete_field=None, alter_fields=None):
        self.execute("PRAGMA legacy_alter_table = ON")
        try:
            super()._remake_table(model, create_field=create_field, delete_field=delete_field, alter_fields=alter_fields)
        finally:
            self.execute("PRAGMA legacy_alter_table = OFF")


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor

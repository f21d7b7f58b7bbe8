"""One append-only audit store (issue 11.9): the database refuses to change or remove entries,
booking writes its history there, and the clinic admin exports a date range as CSV that a
spreadsheet cannot run."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from clinic import audit
from clinic.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_the_database_refuses_to_change_or_delete_an_entry(patient):
    event = audit.record(actor=patient.user, action="tests.viewed", patient=patient)
    for attempt in (
        lambda: AuditEvent.objects.filter(pk=event.pk).update(action="tests.nothing"),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
        lambda: connection.cursor().execute("UPDATE clinic_auditevent SET details = '{}' WHERE id = %s", [event.pk]),
        lambda: connection.cursor().execute("DELETE FROM clinic_auditevent"),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    event.refresh_from_db()
    assert event.action == "tests.viewed"


def test_the_append_only_triggers_are_in_place_after_every_migration():
    """A later migration that rebuilds the table on SQLite would drop them silently."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'clinic_auditevent'::regclass AND NOT tgisinternal")
            assert [r[0] for r in cursor.fetchall()] == ["clinic_auditevent_append_only"]
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'clinic_auditevent'")
            assert sorted(r[0] for r in cursor.fetchall()) == ["clinic_auditevent_no_delete", "clinic_auditevent_no_update"]


def test_people_named_in_the_trail_are_switched_off_not_deleted(patient):
    from django.db.models import ProtectedError

    audit.record(actor=patient.user, action="tests.viewed", patient=patient)
    with pytest.raises(ProtectedError):
        patient.user.delete()


def test_nobody_edits_or_removes_entries_in_the_admin(admin_client, patient):
    event = audit.record(actor=patient.user, action="tests.viewed", patient=patient)
    assert admin_client.get(reverse("admin:clinic_auditevent_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:clinic_auditevent_change", args=[event.pk])).content.decode()
    assert 'name="_save"' not in page
    assert admin_client.post(reverse("admin:clinic_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


# --- the export -----------------------------------------------------------------------------------


def export(client, start, end, **extra):
    return client.get(reverse("audit_log"), {"start": start, "end": end, "download": "csv", **extra})


def rows_of(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_clinic_admin_exports_a_date_range_as_csv(client, clinic_admin, patient):
    today = timezone.localdate()
    old = audit.record(actor=patient.user, action="tests.long_ago", patient=patient, at=timezone.now() - timedelta(days=40))
    audit.record(actor=patient.user, action="intake.answers.viewed", patient=patient)
    client.force_login(clinic_admin)
    page = client.get(reverse("audit_log"), {"start": (today - timedelta(days=1)).isoformat(), "end": today.isoformat()})
    assert page.status_code == 200 and "Download CSV" in page.content.decode()
    response = export(client, (today - timedelta(days=1)).isoformat(), today.isoformat())
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = rows_of(response)
    assert rows[0] == ["at", "action", "actor_id", "actor_email", "patient_id", "patient", "object_type", "object_id", "details"]
    actions = [r[1] for r in rows[1:]]
    assert "intake.answers.viewed" in actions and old.action not in actions
    viewed = next(r for r in rows[1:] if r[1] == "intake.answers.viewed")
    assert viewed[3:6] == ["alice@example.org", str(patient.pk), "Alice Walker"]
    exported = AuditEvent.objects.get(action="clinic.audit.exported")
    assert exported.actor == clinic_admin and exported.details["from"] == (today - timedelta(days=1)).isoformat()


def test_a_spreadsheet_never_runs_a_cell_of_the_export(client, clinic_admin):
    """Names and addresses are typed by patients (or attackers) and may look like formulas."""
    from tests.factories import PatientFactory

    sneaky = PatientFactory(first_name='=HYPERLINK("http://evil.example","x")', last_name="Doe", user__email="=1+2@example.org")
    audit.record(actor=sneaky.user, action="tests.viewed", patient=sneaky)
    audit.record(actor=sneaky.user, action="-2+3", patient=sneaky)
    client.force_login(clinic_admin)
    today = timezone.localdate().isoformat()
    rows = rows_of(export(client, today, today))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert {"'=1+2@example.org", "'-2+3", "'=HYPERLINK(\"http://evil.example\",\"x\") Doe"} <= set(cells)


def test_the_csv_cell_guard(db):
    from clinic.settings_views import csv_safe

    assert [csv_safe(v) for v in ("=1+1", "+1", "-1", "@x", "\tx", "\rx", "plain", "", None, 5)] == [
        "'=1+1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "plain", "", "", "5"]


@pytest.mark.parametrize("persona", ["front_desk", "clinician", "patient"])
def test_only_the_clinic_admin_reads_the_audit_log(client, request, persona):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))
    today = timezone.localdate().isoformat()
    assert export(client, today, today).status_code == 403


def test_a_bad_range_is_explained_not_exported(client, clinic_admin):
    client.force_login(clinic_admin)
    response = export(client, "2026-05-02", "2026-05-01")
    assert response.status_code == 400 and "The end must be on or after the start." in response.content.decode()
    response = export(client, "9999-12-31", "9999-12-31")
    assert response.status_code == 400 and "between 2000 and 2100" in response.content.decode()


def test_the_export_streams_a_year_in_few_queries(client, clinic_admin, patient, django_assert_max_num_queries):
    AuditEvent.objects.bulk_create([AuditEvent(actor=patient.user, patient=patient, action="tests.viewed") for _ in range(300)])
    client.force_login(clinic_admin)
    today = timezone.localdate()
    with django_assert_max_num_queries(15):
        rows_of(export(client, (today - timedelta(days=365)).isoformat(), today.isoformat()))

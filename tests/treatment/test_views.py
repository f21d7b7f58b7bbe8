"""Every treatment page: who may open it (patient, front desk, clinician, clinic admin), wrong
methods, bad input, and the clinician's flow through the forms."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from booking.models import Status
from clinic.models import AuditEvent
from tests.factories import PatientFactory
from treatment import services
from treatment.models import Lot, TreatmentRecord, TreatmentSettings

from .conftest import TODAY, entry


@pytest.fixture
def signed(visit, doctor):
    return services.record_save(appointment=visit, data=entry(), by=doctor, sign=True)


@pytest.fixture
def people(patient, front_desk, doctor, clinic_admin):
    return {"patient": patient.user, "front_desk": front_desk, "clinician": doctor, "clinic_admin": clinic_admin}


# page -> expected status per persona
PAGES = {
    "record_edit": ({"clinician": 200}, lambda f: reverse("treatment:record_edit", args=[f["fresh"].pk])),
    "not_treated": ({"clinician": 200}, lambda f: reverse("treatment:not_treated", args=[f["fresh"].pk])),
    "record_detail": ({"clinician": 200}, lambda f: reverse("treatment:record_detail", args=[f["signed"].pk])),
    "record_amend": ({"clinician": 200}, lambda f: reverse("treatment:record_amend", args=[f["signed"].pk])),
    "visit_photos": ({"clinician": 200}, lambda f: reverse("treatment:visit_photos", args=[f["visit"].pk])),
    "photo_compare": ({"clinician": 200}, lambda f: reverse("treatment:photo_compare", args=[f["patient"].pk])),
    "lots": ({"clinician": 200, "clinic_admin": 200}, lambda f: reverse("treatment:lots")),
    "recall": ({"clinician": 200, "clinic_admin": 200}, lambda f: reverse("treatment:recall") + "?lot=PD-2026-A"),
    "settings": ({"clinic_admin": 200}, lambda f: reverse("treatment:settings")),
    "dose_limits": ({"clinic_admin": 200, "clinician": 200}, lambda f: reverse("treatment:dose_limits")),
}


@pytest.mark.parametrize("page", sorted(PAGES))
@pytest.mark.parametrize("who", ["patient", "front_desk", "clinician", "clinic_admin"])
def test_who_may_open_each_page(client, people, visit, signed, patient, make_visit, page, who):
    allowed, url = PAGES[page]
    client.force_login(people[who])
    fresh = make_visit(patient, hhmm="14:00")  # checked in, nothing recorded yet
    response = client.get(url({"visit": visit, "signed": signed, "patient": patient, "fresh": fresh}))
    assert response.status_code == allowed.get(who, 403)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_visitors_are_sent_to_log_in(client, visit, signed, patient, page):
    response = client.get(PAGES[page][1]({"visit": visit, "signed": signed, "patient": patient, "fresh": visit}))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", ["record_sign", "visit_complete", "note_add", "photo_consent"])
def test_actions_answer_only_post(client, doctor, signed, visit, patient, name):
    arg = {"record_sign": signed.pk, "visit_complete": visit.pk}.get(name, patient.pk)
    client.force_login(doctor)
    assert client.get(reverse(f"treatment:{name}", args=[arg])).status_code == 405


@pytest.mark.parametrize("url", [
    "/treatment/records/99999999999999999999999/", "/treatment/visits/99999999999999999999999/record/",
    "/treatment/records/0/", "/treatment/photos/99999999999999999999999/",
    "/treatment/patients/99999999999999999999999/photos/",
])
def test_unknown_or_absurd_ids_are_404(client, doctor, db, url):
    client.force_login(doctor)
    assert client.get(url).status_code == 404


def test_a_visit_that_is_not_a_session_has_no_record_page(client, doctor, make_visit, patient, cal):
    consultation = make_visit(patient, service=cal.consultation)
    client.force_login(doctor)
    assert client.get(reverse("treatment:record_edit", args=[consultation.pk])).status_code == 404


# --- the clinician's flow -------------------------------------------------------------------


def form_data(*volumes, **changes) -> dict:
    codes = ["right_front_calf", "left_front_calf", "right_back_thigh", "left_back_calf"]
    data = {
        "sclerosant": "polidocanol", "concentration_percent": "0.5", "form": "foam", "foam_ratio": "4:1",
        "lot_number": "PD-2026-A", "lot_expires_on": (TODAY + timedelta(days=200)).isoformat(), "weight_kg": "70",
        "injections": "24", "reactions": ["none"], "compression": "class_2", "compression_days": "3", "note": "",
    }
    for code, volume in zip(codes, volumes):
        data |= {f"area_{code}": "on", f"vein_{code}": "spider", f"volume_{code}": volume}
    return data | changes


def test_the_form_shows_the_limits_with_their_sources_before_anything_is_typed(client, doctor, visit):
    client.force_login(doctor)
    response = client.get(reverse("treatment:record_edit", args=[visit.pk]))
    html = response.content.decode()
    assert "At most 10 mL in all per session" in html
    assert "at most 2 mg per kg of body weight per day" in html and "Aethoxysklerol" in html
    assert "Polidocanol on spider veins (up to 1 mm): 0.5%" in html and "Asclera" in html
    assert 'accept="image/*"' not in html  # the camera is on the photos page
    assert 'class="leg-area"' in html and 'role="checkbox"' in html and 'tabindex="0"' in html
    assert "<script>" not in html and " onclick=" not in html  # CSP-ready: no inline script
    assert "no-store" in response["Cache-Control"]


def test_10_5_ml_is_refused_next_to_the_areas_and_nothing_typed_is_lost(client, doctor, visit):
    client.force_login(doctor)
    url = reverse("treatment:record_edit", args=[visit.pk])
    response = client.post(url, form_data("3", "3", "2.5", "2", action="sign"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "The total volume is 10.5 mL, above the maximum of 10 mL per session." in html
    assert "This cannot be saved: it is outside a safety limit." in html
    assert 'value="2.5"' in html and 'value="PD-2026-A"' in html  # what was typed is still there
    assert "volume.over_session_max" not in html and "record_total_within_limit" not in html
    assert not TreatmentRecord.objects.exists()
    response = client.post(url, form_data("3", "3", "2", "2", action="sign"))
    record = TreatmentRecord.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("treatment:record_detail", args=[record.pk])
    assert record.is_signed and record.total_volume_ml == Decimal("10.00")


def test_a_draft_then_sign_then_complete_the_visit(client, doctor, visit, after_the_visit):
    client.force_login(doctor)
    client.post(reverse("treatment:record_edit", args=[visit.pk]), form_data("1", "1", action="save"))
    record = TreatmentRecord.objects.get()
    assert not record.is_signed
    page = client.get(reverse("treatment:record_detail", args=[record.pk])).content.decode()
    assert "Draft, not signed" in page
    client.post(reverse("treatment:record_sign", args=[record.pk]))
    record.refresh_from_db()
    assert record.is_signed
    response = client.post(reverse("treatment:visit_complete", args=[visit.pk]))
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == Status.COMPLETED
    assert AuditEvent.objects.filter(action="treatment.record.viewed", object_id=str(record.pk)).exists()


def test_completing_without_a_signed_record_says_why(client, doctor, visit, after_the_visit):
    client.force_login(doctor)
    response = client.post(reverse("treatment:visit_complete", args=[visit.pk]), follow=True)
    assert "Record and sign the treatment first" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == Status.CHECKED_IN


def test_an_unusual_concentration_is_confirmed_with_a_tick(client, doctor, visit):
    client.force_login(doctor)
    url = reverse("treatment:record_edit", args=[visit.pk])
    html = client.post(url, form_data("1", concentration_percent="1", action="sign")).content.decode()
    assert "Please confirm" in html and "1% is above the usual 0.5% for spider veins with polidocanol" in html
    assert not TreatmentRecord.objects.exists()
    client.post(url, form_data("1", concentration_percent="1", action="sign", confirm=["concentration.unusual.spider"]))
    assert TreatmentRecord.objects.get().warnings_confirmed == ["concentration.unusual.spider"]


def test_an_expired_lot_is_refused_next_to_its_date(client, doctor, visit):
    client.force_login(doctor)
    html = client.post(reverse("treatment:record_edit", args=[visit.pk]),
                       form_data("1", lot_expires_on=(TODAY - timedelta(days=1)).isoformat(), action="sign")).content.decode()
    assert "This lot expired on" in html
    assert not TreatmentRecord.objects.exists() and not Lot.objects.exists()


@pytest.mark.parametrize(("changes", "says"), [
    ({"lot_expires_on": "9999-12-31"}, "Enter the expiry date printed on the box."),
    ({"lot_expires_on": "0001-01-01"}, "Enter the expiry date printed on the box."),
    ({"lot_expires_on": "2026-02-30"}, "Enter a valid date."),
    ({"concentration_percent": "abc"}, "Enter a number."),
    ({"concentration_percent": "1e309"}, "Ensure this value is less than or equal to 30."),
    ({"concentration_percent": "NaN"}, "Enter a number."),
    ({"volume_right_front_calf": "99999999999"}, "Ensure this value is less than or equal to 10."),
    ({"weight_kg": "-5"}, "Ensure this value is greater than or equal to 20."),
    ({"injections": "100000000000000000000"}, "Ensure this value is less than or equal to 500."),
    ({"sclerosant": "bleach"}, "Select a valid choice."),
    ({"vein_right_front_calf": ""}, "Choose the vein type."),
    ({"foam_ratio": ""}, "Choose the gas to liquid ratio of the foam."),
    ({"confirm": ["<script>"]}, "Select a valid choice."),
])
def test_bad_input_is_refused_with_a_message_and_never_a_500(client, doctor, visit, changes, says):
    client.force_login(doctor)
    response = client.post(reverse("treatment:record_edit", args=[visit.pk]), form_data("1", action="sign", **changes))
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not TreatmentRecord.objects.exists()


def test_the_polidocanol_form_asks_for_the_weight(client, doctor, visit):
    client.force_login(doctor)
    html = client.post(reverse("treatment:record_edit", args=[visit.pk]), form_data("1", weight_kg="", action="sign")).content.decode()
    assert "Enter the patient&#x27;s weight today" in html


def test_amend_through_the_form_keeps_the_original(client, doctor, signed):
    client.force_login(doctor)
    url = reverse("treatment:record_amend", args=[signed.pk])
    html = client.post(url, form_data("1", "1")).content.decode()
    assert "This field is required." in html  # the reason
    response = client.post(url, form_data("1", "1", amendment_reason="Second area was missing"))
    amendment = TreatmentRecord.objects.get(amends=signed)
    assert response.status_code == 302 and amendment.version == 2 and amendment.signed_by == doctor
    detail = client.get(reverse("treatment:record_detail", args=[signed.pk])).content.decode()
    assert "replaced by a later version" in detail and "Second area was missing" in detail
    # The old version cannot be amended again; the form sends you to the latest.
    again = client.get(url)
    assert again.status_code == 302 and again["Location"] == reverse("treatment:record_detail", args=[amendment.pk])


def test_amend_a_treatment_into_not_treated(client, doctor, signed):
    client.force_login(doctor)
    url = reverse("treatment:record_amend", args=[signed.pk]) + "?as=not_treated"
    client.post(url, {"reason": "patient unwell", "amendment_reason": "Recorded on the wrong visit"})
    assert TreatmentRecord.objects.get(amends=signed).outcome == "not_treated"


def test_not_treated_through_its_form(client, doctor, visit):
    client.force_login(doctor)
    url = reverse("treatment:not_treated", args=[visit.pk])
    assert "Write the reason." in client.post(url, {"reason": "other", "other_reason": " "}).content.decode()
    client.post(url, {"reason": "other", "other_reason": "needle phobia, will return"})
    record = TreatmentRecord.objects.get()
    assert record.not_treated_reason == "needle phobia, will return" and record.is_signed


def test_the_visit_page_shows_the_record_to_each_role(client, doctor, front_desk, visit):
    url = reverse("booking:desk_appointment", args=[visit.pk])
    client.force_login(doctor)
    assert "Record treatment" in client.get(url).content.decode()
    record = services.record_save(appointment=visit, data=entry("2.0", "1.5"), by=doctor, sign=True)
    assert "3.5 mL" in client.get(url).content.decode()
    assert AuditEvent.objects.filter(action="treatment.record.viewed", actor=doctor, object_id=str(record.pk)).exists()
    client.force_login(front_desk)
    html = client.get(url).content.decode()
    assert "Signed" in html and "Record treatment" not in html and "3.5 mL" not in html and "Polidocanol" not in html
    assert not AuditEvent.objects.filter(action="treatment.record.viewed", actor=front_desk).exists()


# --- lots and recalls -----------------------------------------------------------------------


def test_the_recall_finds_who_received_a_lot_between_dates(client, doctor, cal, make_visit, patient):
    other = PatientFactory(first_name="=HYPERLINK(\"http://x\")", last_name="Doe")
    early = make_visit(patient, day=TODAY - timedelta(days=40))
    late = make_visit(other, day=TODAY)
    services.record_save(appointment=early, data=entry(), by=doctor, sign=True)
    services.record_save(appointment=late, data=entry(), by=doctor, sign=True)
    services.record_save(appointment=make_visit(patient, hhmm="14:00"), data=entry(lot_number="OTHER-LOT"), by=doctor)
    client.force_login(doctor)
    url = reverse("treatment:recall")
    everyone = client.get(url, {"lot": "pd-2026-a"}).context["records"]
    assert [r.appointment.patient for r in everyone] == [patient, other]
    recent = client.get(url, {"lot": "PD-2026-A", "first_day": (TODAY - timedelta(days=7)).isoformat()}).context["records"]
    assert [r.appointment.patient for r in recent] == [other]
    response = client.get(url, {"lot": "PD-2026-A", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="recall-PD-2026-A.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["session_day", "patient", "date_of_birth"]
    assert rows[1][1] == "Alice Walker"
    assert rows[2][1] == "'=HYPERLINK(\"http://x\") Doe"  # a formula stays text in a spreadsheet
    actions = list(AuditEvent.objects.filter(action__startswith="treatment.recall.").values_list("action", flat=True))
    assert "treatment.recall.exported" in actions and "treatment.recall.searched" in actions


def test_recall_dates_in_the_wrong_order_are_refused(client, doctor, db):
    client.force_login(doctor)
    response = client.get(reverse("treatment:recall"), {"lot": "X", "first_day": "2026-05-01", "last_day": "2026-04-01"})
    assert response.status_code == 400 and "The end date is before the start date." in response.content.decode()
    assert client.get(reverse("treatment:recall"), {"lot": "X", "first_day": "9999-12-31"}).status_code == 200


def test_lots_are_added_once_and_every_record_links_to_its_lot(client, doctor, signed):
    client.force_login(doctor)
    url = reverse("treatment:lots")
    data = {"sclerosant": "polidocanol", "concentration_percent": "1", "lot_number": "NEW-1",
            "expires_on": (TODAY + timedelta(days=100)).isoformat(), "product": "Asclera 1%"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data | {"lot_number": "new-1"}).status_code == 400
    html = client.get(url).content.decode()
    assert "NEW-1" in html and "PD-2026-A" in html
    detail = client.get(reverse("treatment:record_detail", args=[signed.pk])).content.decode()
    assert reverse("treatment:recall") + "?lot=PD-2026-A" in detail


def test_the_clinic_admin_may_add_lots_and_front_desk_may_not(client, clinic_admin, front_desk, db):
    data = {"sclerosant": "sodium_tetradecyl_sulfate", "concentration_percent": "0.2", "lot_number": "FV-1",
            "expires_on": (TODAY + timedelta(days=100)).isoformat()}
    client.force_login(front_desk)
    assert client.post(reverse("treatment:lots"), data).status_code == 403
    client.force_login(clinic_admin)
    assert client.post(reverse("treatment:lots"), data).status_code == 302


# --- settings -------------------------------------------------------------------------------


def test_the_clinic_admin_sets_the_maximum_within_the_labels_limit(client, clinic_admin, cal):
    client.force_login(clinic_admin)
    url = reverse("treatment:settings")
    response = client.post(url, {"max_volume_ml": "10.1"})
    assert response.status_code == 400 and "less than or equal to 10" in response.content.decode()
    assert client.post(url, {"max_volume_ml": "8"}).status_code == 302
    assert TreatmentSettings.for_clinic().max_volume_ml == Decimal("8.00")
    event = AuditEvent.objects.get(action="treatment.settings.changed")
    assert event.details == {"max_volume_ml": ["10.00", "8"]}
    nav = client.get(reverse("clinic_settings")).content.decode()
    assert "Treatment dose" in nav and "Dose-limit table" in nav


def test_the_dose_table_is_shown_read_only_with_its_sources(client, clinic_admin, db):
    client.force_login(clinic_admin)
    response = client.get(reverse("treatment:dose_limits"))
    html = response.content.decode()
    assert "Aethoxysklerol (polidocanol) EU product information" in html and "warning to confirm" in html
    assert "<form" not in html.split('id="main"')[1]
    assert client.post(reverse("treatment:dose_limits")).status_code == 405


def test_the_visit_with_a_signed_not_treated_record_is_closed_as_not_treated(client, doctor, visit, after_the_visit):
    from treatment.services import RecordInput

    services.record_save(appointment=visit, data=RecordInput(outcome="not_treated", not_treated_reason="unwell"),
                         by=doctor, sign=True)
    client.force_login(doctor)
    response = client.post(reverse("treatment:visit_complete", args=[visit.pk]), follow=True)
    assert "closed as not treated" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == Status.NOT_TREATED

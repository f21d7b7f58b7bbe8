"""A clinician on a tablet records a session on both legs, is refused at 10.5 mL, signs and
amends; a photo is added from a phone; the lot is searched for a recall."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from booking.models import Status
from tests.booking.factories import Calendar, appointment
from tests.e2e.conftest import PHONE, screenshot
from tests.e2e.helpers import log_in
from tests.factories import PatientFactory
from tests.treatment.helpers import remove_locked_rows
from treatment.models import Photo, TreatmentRecord

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TABLET = {"viewport": {"width": 820, "height": 1180}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}


@pytest.fixture(autouse=True)
def locked_rows_removed(live_site):
    yield
    remove_locked_rows()  # signed records refuse the DELETE that empties the test database


def phone_photo() -> bytes:
    image = Image.new("RGB", (900, 1200), (196, 140, 130))
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (47.0, 36.0, 22.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_a_session_is_recorded_signed_amended_photographed_and_its_lot_searched(browser, live_site, private_storage):
    cal = Calendar()
    doctor = cal.clinicians[0].staff.user
    alice = PatientFactory(first_name="Alice", last_name="Walker", user__email="alice@example.org")
    start = timezone.now() - timedelta(minutes=20)
    visit = appointment(patient=alice, service=cal.session, clinician=cal.clinicians[0], room=cal.rooms[0], start=start,
                        status=Status.CHECKED_IN)
    expiry = (timezone.localdate() + timedelta(days=300)).isoformat()

    tablet = browser.new_context(base_url=live_site.url, **TABLET)
    tablet.set_default_timeout(10_000)
    page = tablet.new_page()
    log_in(page, doctor.email)
    page.goto(f"/booking/desk/appointments/{visit.pk}/")
    page.get_by_role("link", name="Record treatment").click()
    expect(page.get_by_role("heading", name=re.compile("Treatment record"))).to_be_visible()
    expect(page.get_by_text("At most 10 mL in all per session")).to_be_visible()  # before anything is typed

    page.get_by_label("Polidocanol").check()
    page.get_by_label("Concentration (%)").fill("0.5")
    page.get_by_label("Foam").check()
    page.get_by_label("Gas : liquid").select_option("4:1")
    page.get_by_label("Lot number").fill("AS05-E2E")
    page.get_by_label("Lot expiry date").fill(expiry)
    page.get_by_label("Weight today (kg)").fill("70")
    page.get_by_label("Number of injections").fill("28")
    # Both legs, on the diagram: by touch, and by keyboard (Space on a focused area).
    page.locator('.leg-area[data-area="right_front_calf"]').tap()
    page.locator('.leg-area[data-area="left_front_calf"]').tap()
    page.locator('.leg-area[data-area="right_back_thigh"]').focus()
    page.keyboard.press("Space")
    expect(page.locator('.leg-area[data-area="right_back_thigh"]')).to_have_attribute("aria-checked", "true")
    expect(page.locator("#id_area_right_back_thigh")).to_be_checked()
    for code, volume in (("right_front_calf", "4"), ("left_front_calf", "4"), ("right_back_thigh", "2.5")):
        page.locator(f"#id_vein_{code}").select_option("spider")
        page.locator(f"#id_volume_{code}").fill(volume)
    expect(page.locator("[data-total]")).to_have_text("10.5")
    page.get_by_label("None", exact=True).check()
    page.get_by_label("Compression prescribed").select_option("class_2")
    page.get_by_label("For how many days").fill("3")
    page.get_by_role("button", name="Save and sign").click()
    expect(page.get_by_text("The total volume is 10.5 mL, above the maximum of 10 mL per session.")).to_have_count(2)  # top and areas
    screenshot(page, "treatment-refused-10.5-tablet")
    assert not TreatmentRecord.objects.exists()

    page.locator("#id_volume_right_back_thigh").fill("2")
    page.get_by_role("button", name="Save and sign").click()
    expect(page.get_by_text("Signed. The record is now locked.")).to_be_visible()
    screenshot(page, "treatment-signed-tablet")
    page.get_by_role("link", name="Amend").click()
    page.locator("#id_volume_right_back_thigh").fill("1.5")
    page.get_by_label("Why are you amending this record?").fill("Thigh: 1.5 mL, counted again.")
    page.get_by_role("button", name="Sign the amendment").click()
    expect(page.get_by_text("Amended. The earlier version is kept with the record.")).to_be_visible()
    expect(page.get_by_text("Thigh: 1.5 mL, counted again.").first).to_be_visible()
    amended = TreatmentRecord.objects.current().get()
    assert amended.version == 2 and amended.total_volume_ml == Decimal("9.50")
    assert TreatmentRecord.objects.get(version=1).total_volume_ml == Decimal("10.00")
    page.get_by_role("button", name="Mark the visit completed").click()
    expect(page.get_by_text("The visit is marked completed.")).to_be_visible()

    page.goto("/treatment/lots/")
    page.get_by_role("link", name="AS05-E2E").click()
    expect(page.get_by_role("link", name="Alice Walker")).to_be_visible()
    screenshot(page, "treatment-recall-tablet")
    tablet.close()

    phone = browser.new_context(base_url=live_site.url, **PHONE)
    phone.set_default_timeout(10_000)
    page = phone.new_page()
    log_in(page, doctor.email)
    page.goto(f"/treatment/visits/{visit.pk}/photos/")
    page.get_by_label("The patient agrees to clinical photos").check()
    page.get_by_label("How did they tell you?").fill("signed the photo consent form")
    page.get_by_role("button", name="Record", exact=True).click()
    expect(page.get_by_text("Photo consent recorded.")).to_be_visible()
    assert page.locator("#id_image").get_attribute("accept") == "image/*"
    assert page.locator("#id_image").get_attribute("capture") is not None
    page.get_by_label("Area").select_option("right_back_thigh")
    page.locator("#id_image").set_input_files(files=[{"name": "IMG_0042.jpg", "mimeType": "image/jpeg", "buffer": phone_photo()}])
    page.get_by_role("button", name="Add the photo").click()
    expect(page.get_by_text("Photo added: Right thigh, back.")).to_be_visible()
    expect(page.locator(".photo-grid img")).to_have_count(1)
    assert page.locator(".photo-grid img").evaluate("img => img.naturalWidth") > 0
    screenshot(page, "treatment-photo-phone")
    phone.close()
    assert b"Exif" not in Photo.objects.get().file.read()

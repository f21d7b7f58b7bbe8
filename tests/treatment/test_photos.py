"""Clinical photos: metadata stripped on upload, private storage, consent, and who may see them."""

import io

import boto3
import moto
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from clinic.models import AuditEvent
from treatment import photos, services
from treatment.models import Photo
from treatment.services import TreatmentError

GPS_IFD = 0x8825


def jpeg_with_gps(size=(640, 480), colour=(180, 90, 90)) -> bytes:
    """A phone-like JPEG: camera make, time taken and a GPS position in its EXIF."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0132] = "2026:03:02 10:15:00"  # DateTime
    exif[0x0112] = 1  # Orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (47.0, 36.0, 22.0), 3: "W", 4: (122.0, 19.0, 55.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def upload(data: bytes, name="leg.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def consented(patient, doctor):
    return services.photo_consent_record(patient=patient, given=True, how="signed the photo consent form", by=doctor)


@pytest.fixture
def photo(visit, doctor, consented):
    return services.photo_add(appointment=visit, area="left_front_calf", kind="before", upload=upload(jpeg_with_gps()), by=doctor)


def test_the_test_photo_really_carries_gps():
    with Image.open(io.BytesIO(jpeg_with_gps())) as original:
        assert original.getexif().get_ifd(GPS_IFD)[2] == (47.0, 36.0, 22.0)


def test_exif_and_gps_are_stripped_on_upload(photo, private_storage):
    stored = photo.file.read()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
        assert image.size == (640, 480)
    assert b"Exif" not in stored and b"PhoneMaker" not in stored
    # On private storage under a random name, outside every public path.
    assert photo.file.name.startswith(f"photos/{photo.patient_id}/") and photo.file.name.endswith(".jpg")
    assert (private_storage / photo.file.name).is_file()
    assert photo.size_bytes == len(stored)


def test_a_sideways_phone_photo_is_stored_upright():
    image = Image.new("RGB", (400, 300), (10, 20, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    clean = photos.clean_image(upload(out.getvalue()))
    assert (clean.width, clean.height) == (300, 400)


def test_large_photos_are_scaled_down():
    clean = photos.clean_image(upload(jpeg_with_gps(size=(4000, 3000))))
    assert max(clean.width, clean.height) == photos.MAX_SIDE


@pytest.mark.parametrize(("data", "name", "says"), [
    (b"%PDF-1.4 not an image", "leg.jpg", "not a photo we can read"),
    (b"", "leg.jpg", "empty"),
])
def test_files_that_are_not_photos_are_refused_with_a_reason(visit, doctor, consented, data, name, says):
    with pytest.raises(TreatmentError) as refused:
        services.photo_add(appointment=visit, area="left_front_calf", kind="before", upload=upload(data, name), by=doctor)
    assert says in refused.value.message
    assert not Photo.objects.exists()


def test_an_image_format_we_do_not_keep_is_refused(visit, doctor, consented):
    out = io.BytesIO()
    Image.new("RGB", (50, 50)).save(out, format="GIF")
    with pytest.raises(TreatmentError) as refused:
        services.photo_add(appointment=visit, area="left_front_calf", kind="before", upload=upload(out.getvalue(), "a.gif"), by=doctor)
    assert "JPEG, PNG or WebP" in refused.value.message


def test_a_photo_over_the_size_limit_is_refused(visit, doctor, consented, monkeypatch):
    monkeypatch.setattr(photos, "MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(TreatmentError) as refused:
        services.photo_add(appointment=visit, area="left_front_calf", kind="before", upload=upload(jpeg_with_gps()), by=doctor)
    assert "the limit is" in refused.value.message


def test_photos_need_the_patients_photo_consent(visit, patient, doctor):
    with pytest.raises(TreatmentError) as refused:
        services.photo_add(appointment=visit, area="left_front_calf", kind="before", upload=upload(jpeg_with_gps()), by=doctor)
    assert refused.value.code == "no_photo_consent"
    services.photo_consent_record(patient=patient, given=True, how="said so in person", by=doctor)
    services.photo_consent_record(patient=patient, given=False, how="phoned to withdraw", by=doctor)
    with pytest.raises(TreatmentError):
        services.photo_add(appointment=visit, area="left_front_calf", kind="before", upload=upload(jpeg_with_gps()), by=doctor)
    assert [(c.given, c.recorded_by) for c in patient.photo_consents.all()] == [(False, doctor), (True, doctor)]


# --- who may see a photo ------------------------------------------------------------------------


def test_the_clinician_sees_the_photo_never_cached_and_audited(client, photo, doctor):
    client.force_login(doctor)
    response = client.get(reverse("treatment:photo_file", args=[photo.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    event = AuditEvent.objects.get(action="treatment.photo.viewed")
    assert (event.actor, event.patient_id, event.object_id) == (doctor, photo.patient_id, str(photo.pk))


def test_front_desk_gets_403(client, photo, front_desk):
    client.force_login(front_desk)
    assert client.get(reverse("treatment:photo_file", args=[photo.pk])).status_code == 403


def test_the_clinic_admin_gets_403(client, photo, clinic_admin):
    client.force_login(clinic_admin)
    assert client.get(reverse("treatment:photo_file", args=[photo.pk])).status_code == 403


def test_another_patient_gets_404(client, photo, other_patient):
    client.force_login(other_patient.user)
    assert client.get(reverse("treatment:photo_file", args=[photo.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action="treatment.photo.viewed").exists()


def test_the_patient_sees_their_own_photo(client, photo, patient):
    client.force_login(patient.user)
    response = client.get(reverse("treatment:photo_file", args=[photo.pk]))
    assert response.status_code == 200
    assert AuditEvent.objects.get(action="treatment.photo.viewed").details == {"own": True}


def test_a_visitor_is_sent_to_log_in(client, photo):
    response = client.get(reverse("treatment:photo_file", args=[photo.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_unknown_photo_is_404(client, doctor, db):
    client.force_login(doctor)
    assert client.get(reverse("treatment:photo_file", args=[987654])).status_code == 404


def test_the_side_by_side_view_shows_one_area_across_sessions(client, cal, patient, doctor, consented, make_visit):
    from datetime import timedelta

    from .conftest import TODAY

    first = make_visit(patient, day=TODAY - timedelta(days=28), hhmm="10:00")
    second = make_visit(patient, hhmm="11:00")
    for visit in (first, second):
        services.photo_add(appointment=visit, area="right_back_calf", kind="before", upload=upload(jpeg_with_gps()), by=doctor)
    services.photo_add(appointment=second, area="left_front_thigh", kind="after", upload=upload(jpeg_with_gps()), by=doctor)
    client.force_login(doctor)
    response = client.get(reverse("treatment:photo_compare", args=[patient.pk]), {"area": "right_back_calf"})
    assert response.status_code == 200
    columns = response.context["columns"]
    assert [v.pk for v, _ in columns] == [first.pk, second.pk]
    assert all(p.area == "right_back_calf" for _, ps in columns for p in ps)
    assert "no-store" in response["Cache-Control"]


def test_photos_go_to_an_s3_bucket_when_configured(settings, visit, doctor, consented):
    """django-storages against a mocked S3 (moto): the bucket is private, the object has no EXIF."""
    with moto.mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="clinic-private")
        settings.STORAGES = {**settings.STORAGES, "private": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
            "bucket_name": "clinic-private", "region_name": "us-east-1", "access_key": "test", "secret_key": "test",
            "default_acl": "private", "location": "private", "file_overwrite": False, "querystring_auth": True,
        }}}
        photo = services.photo_add(appointment=visit, area="left_front_calf", kind="before", upload=upload(jpeg_with_gps()), by=doctor)
        key = f"private/{photo.file.name}"
        body = s3.get_object(Bucket="clinic-private", Key=key)["Body"].read()
        assert body[:2] == b"\xff\xd8" and b"Exif" not in body
        grants = s3.get_object_acl(Bucket="clinic-private", Key=key)["Grants"]
        assert all("AllUsers" not in str(g.get("Grantee", {})) for g in grants)
        assert photo.file.read() == body


def test_the_private_storage_is_chosen_from_the_environment(tmp_path):
    from tests.utils import run_django

    show = "from django.conf import settings; print(settings.STORAGES['private'])"
    base = {"DEBUG": "true"}
    s3 = run_django(show, {**base, "PRIVATE_STORAGE": "s3", "PRIVATE_S3_BUCKET": "photos", "PRIVATE_S3_REGION": "eu-west-1",
                           "PRIVATE_S3_ENDPOINT_URL": "https://s3.example.org"}, tmp_path)
    assert s3.returncode == 0, s3.stderr
    assert "storages.backends.s3.S3Storage" in s3.stdout and "'bucket_name': 'photos'" in s3.stdout
    assert "'default_acl': 'private'" in s3.stdout and "https://s3.example.org" in s3.stdout
    files = run_django(show, base, tmp_path)
    assert "FileSystemStorage" in files.stdout and "var/private" in files.stdout
    missing = run_django(show, {**base, "PRIVATE_STORAGE": "s3"}, tmp_path)
    assert missing.returncode != 0 and "PRIVATE_S3_BUCKET" in missing.stderr

"""The access matrix (tests/access_matrix.py), generated from the URL configuration: every URL
pattern × {anonymous, the patient on her own object, another patient on it, front desk,
clinician, clinic admin} answers as listed, and a URL without a line fails the suite."""

from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.access_matrix import MATRIX, NOT_IN_MATRIX, PERSONAS

pytestmark = pytest.mark.django_db


def url_names(resolver=None, namespace="") -> set[str]:
    """Every named URL pattern of the project, as "namespace:name"."""
    names = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= url_names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}{entry.name}")
    return names


def test_every_url_has_a_line_in_the_access_matrix():
    listed = set(MATRIX)
    names = {n for n in url_names() if n.split(":")[0] not in NOT_IN_MATRIX or n in listed}
    missing = sorted(names - listed)
    assert not missing, f"URLs without a line in tests/access_matrix.py: {missing}"
    assert not sorted(listed - names), "lines for URLs that no longer exist"


@pytest.fixture
def world(patient, other_patient, front_desk, clinician, clinic_admin, settings, tmp_path):
    """Alice's records, one of each kind a URL can name. Bob (other_patient) has none of his own."""
    from aftercare.models import CheckIn
    from clinic.models import OutboxMessage
    from booking import links
    from booking.models import ClinicClosure, Status, TimeOff, TreatmentCourse, WaitlistEntry
    from clinic.models import StaffMember
    from intake.models import ConsentText
    from tests.booking.factories import Calendar, appointment
    from tests.intake.factories import ScreeningFactory, sign_consent

    cal = Calendar()
    now = timezone.now()
    doc = cal.clinicians[0]
    screening = ScreeningFactory(patient=patient)
    sign_consent(patient)
    booked = appointment(patient=patient, service=cal.consultation, clinician=doc, room=cal.rooms[0],
                         start=(now + timedelta(days=10)).replace(microsecond=0))
    held = appointment(patient=patient, service=cal.consultation, clinician=doc, room=cal.rooms[0],
                       start=(now + timedelta(days=12)).replace(microsecond=0), status=Status.HELD,
                       hold_expires_at=now + timedelta(minutes=10))
    done = appointment(patient=patient, service=cal.session, clinician=doc, room=cal.rooms[1],
                       start=(now - timedelta(days=3)).replace(microsecond=0), status=Status.COMPLETED)
    check_in = CheckIn.objects.create(appointment=done, patient=patient, answers={"pain": "none"}, urgency=0,
                                      submitted_at=now - timedelta(days=1))
    message = OutboxMessage.objects.create(about=booked, patient=patient, kind="booking_confirmation", channel="email",
                                           send_at=now, planned_for=booked.start, status="failed")
    waitlist = WaitlistEntry.objects.create(patient=patient, service=cal.consultation, earliest=now.date(),
                                            latest=now.date() + timedelta(days=20), created_at=now)
    treatment = _treatment_world(done, cal, clinician, settings, tmp_path)
    course = TreatmentCourse.objects.create(patient=patient, service=cal.session, planned_sessions=3)
    time_off = TimeOff.objects.create(clinician=doc, start=now + timedelta(days=30), end=now + timedelta(days=31))
    closure = ClinicClosure.objects.create(clinic=cal.clinic, date=(now + timedelta(days=40)).date())
    return {
        **treatment, "course": course.pk, "time_off": time_off.pk, "closure": closure.pk, "clinician_row": doc.pk,
        "patient": patient.pk, "appointment": booked.pk, "hold": held.pk, "screening": screening.pk,
        "completed_session": done.pk, "checkin": check_in.pk, "message": message.pk, "waitlist": waitlist.pk,
        "link_token": links.manage_token(booked), "consent_version": ConsentText.current().version,
        "desk_staff": StaffMember.objects.get(user=front_desk).pk,
        "patient_uid": urlsafe_base64_encode(force_bytes(patient.user.pk)),
    }


def _treatment_world(done, cal, clinician, settings, tmp_path) -> dict:
    """A signed record of Alice's past session, a draft for a session she is in today, and a photo."""
    from decimal import Decimal

    from django.core.files.base import ContentFile

    from booking.models import Status
    from tests.booking.factories import appointment
    from treatment.models import Lot, Photo, TreatedArea, TreatmentRecord

    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "private")}}}
    now = timezone.now()
    lot = Lot.objects.create(sclerosant="polidocanol", concentration_percent=Decimal("0.5"), lot_number="M1",
                             expires_on=(now + timedelta(days=365)).date())

    def record(visit):
        made = TreatmentRecord.objects.create(
            appointment=visit, session_day=timezone.localdate(visit.start), sclerosant="polidocanol",
            concentration_percent=Decimal("0.5"), form="liquid", lot=lot, weight_kg=Decimal("70"),
            volume_limit_ml=Decimal("10"), injections=4, created_by=clinician)
        TreatedArea.objects.create(record=made, area="left_front_calf", vein_type="spider", volume_ml=Decimal("1"))
        return made

    signed = record(done)
    TreatmentRecord.objects.filter(pk=signed.pk).update(signed_at=now, signed_by=clinician)
    today = appointment(patient=done.patient, service=cal.session, clinician=cal.clinicians[0], room=cal.rooms[0],
                        start=(now - timedelta(minutes=30)).replace(microsecond=0), status=Status.CHECKED_IN)
    draft = record(today)
    photo = Photo(patient=done.patient, appointment=done, area="left_front_calf", kind="before", width=1, height=1,
                  size_bytes=3, uploaded_by=clinician)
    photo.file.save("photo.jpg", ContentFile(b"jpg"), save=True)
    return {"signed_record": signed.pk, "draft_record": draft.pk, "session_today": today.pk, "photo": photo.pk}


def url_for(name: str, args: str, world: dict) -> str:
    kwargs = {}
    for pair in filter(None, args.split(",")):
        key, value = pair.split("=")
        kwargs[key] = world.get(value, value)
    return reverse(name, kwargs=kwargs)


def log_in_as(client, request, persona: str):
    if persona == "anonymous":
        return
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))


def matches(response, expected: str) -> bool:
    if expected == "L":
        return response.status_code == 302 and response.url.startswith(reverse("login"))
    if expected == "R":
        return response.status_code == 302 and not response.url.startswith(reverse("login"))
    return response.status_code == int(expected)


CASES = [(name, persona) for name in MATRIX for persona in PERSONAS]


@pytest.mark.parametrize(("name", "persona"), CASES, ids=[f"{n}-{p}" for n, p in CASES])
def test_access_matrix(client, request, world, name, persona):
    line = MATRIX[name]
    expected = line.expected[PERSONAS.index(persona)]
    log_in_as(client, request, persona)
    url = url_for(name, line.args, world)
    response = client.post(url) if line.method == "POST" else client.get(url)
    assert matches(response, expected), (
        f"{line.method} {url} as {persona}: expected {expected}, got {response.status_code} {response.get('Location', '')}"
    )
    if response.status_code == 200:
        assert "no-store" in response["Cache-Control"]


WRONG_METHODS = ("PUT", "PATCH", "DELETE")


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_wrong_methods_get_405(client, request, world, name):
    """Every URL refuses methods it does not serve, for whoever may open it."""
    line = MATRIX[name]
    persona = next((p for p, e in zip(PERSONAS, line.expected) if e not in ("L", "403", "404")), "anonymous")
    log_in_as(client, request, persona)
    url = url_for(name, line.args, world)
    for method in WRONG_METHODS:
        response = client.generic(method, url)
        assert response.status_code == 405, f"{method} {url} as {persona}: {response.status_code}"
    other = "GET" if line.method == "POST" else None
    if other:
        assert client.get(url).status_code == 405, f"GET {url} should be refused: it only takes POST"

"""Who may open each new page: a generated URL x role matrix (patient, stranger, front desk,
clinician, clinic admin), so no page is forgotten."""

import pytest
from django.urls import reverse

from booking.models import ClinicClosure, TimeOff, WaitlistEntry
from booking.services import appointment_book
from tests.booking.factories import local

pytestmark = pytest.mark.django_db

ROLES = ["patient", "stranger", "front_desk", "clinician", "clinic_admin"]


@pytest.fixture
def things(cal, patient, other_patient, now):
    from datetime import date

    a = appointment_book(patient=other_patient, service=cal.consultation, start=local(date(2026, 3, 4), "10:00"),
                         by=other_patient.user)
    entry = WaitlistEntry.objects.create(patient=other_patient, service=cal.consultation, earliest=date(2026, 3, 4),
                                         latest=date(2026, 3, 6), created_at=now)
    off = TimeOff.objects.create(clinician=cal.clinicians[0], start=local(date(2026, 3, 9), "09:00"),
                                 end=local(date(2026, 3, 9), "17:00"))
    closure = ClinicClosure.objects.create(clinic=cal.clinic, date=date(2026, 3, 10))
    return {"a": a, "entry": entry, "off": off, "closure": closure, "clinician": cal.clinicians[0], "course": None}


# (url name, args from things, method, {role: expected status})
OK_STAFF = {"patient": 403, "stranger": 403, "front_desk": 200, "clinician": 200, "clinic_admin": 200}
PAGES = [
    ("booking:desk_calendar", [], "get", OK_STAFF),
    ("booking:desk_sheet", [], "get", OK_STAFF),
    ("booking:desk_book", [], "get", OK_STAFF),
    ("booking:desk_appointment", ["a"], "get", OK_STAFF),
    ("booking:desk_waitlist", [], "get", OK_STAFF),
    ("booking:desk_overdue", [], "get", OK_STAFF),
    ("booking:desk_patient_new", [], "post", {"patient": 403, "stranger": 403, "front_desk": 200, "clinician": 403,
                                               "clinic_admin": 200}),
    ("booking:desk_waitlist_remove", ["entry"], "post", {"patient": 403, "stranger": 403, "front_desk": 302, "clinician": 302,
                                                         "clinic_admin": 302}),
    ("booking:settings_rules", [], "get", {"patient": 403, "stranger": 403, "front_desk": 403, "clinician": 403,
                                           "clinic_admin": 200}),
    ("booking:settings_hours", [], "get", {"patient": 403, "stranger": 403, "front_desk": 403, "clinician": 403,
                                           "clinic_admin": 200}),
    ("booking:settings_hours_edit", ["clinician"], "get", {"patient": 403, "stranger": 403, "front_desk": 403,
                                                           "clinician": 403, "clinic_admin": 200}),
    ("booking:settings_time_off", [], "get", {"patient": 403, "stranger": 403, "front_desk": 200, "clinician": 403,
                                              "clinic_admin": 200}),
    ("booking:settings_time_off_remove", ["off"], "post", {"patient": 403, "stranger": 403, "front_desk": 403,
                                                           "clinician": 403, "clinic_admin": 302}),
    ("booking:settings_closure_remove", ["closure"], "post", {"patient": 403, "stranger": 403, "front_desk": 403,
                                                              "clinician": 403, "clinic_admin": 302}),
    ("intake:settings", [], "get", {"patient": 403, "stranger": 403, "front_desk": 403, "clinician": 403, "clinic_admin": 200}),
    ("clinic_settings", [], "get", {"patient": 403, "stranger": 403, "front_desk": 403, "clinician": 403, "clinic_admin": 200}),
]


def user_for(request, role):
    person = request.getfixturevalue(role)
    return person.user if role == "patient" else person


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name, args, method, expected", PAGES, ids=[p[0] for p in PAGES])
def test_each_new_page_answers_each_role_as_it_should(client, request, things, role, name, args, method, expected):
    client.force_login(user_for(request, role))
    url = reverse(name, args=[things[a].pk for a in args])
    response = getattr(client, method)(url)
    assert response.status_code == expected[role], f"{role} {method.upper()} {url}"


@pytest.mark.parametrize("name, args, method, expected", PAGES, ids=[p[0] for p in PAGES])
def test_visitors_are_sent_to_log_in(client, things, name, args, method, expected):
    response = getattr(client, method)(reverse(name, args=[things[a].pk for a in args]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_missing_visit_is_404_for_staff(client, front_desk, things):
    client.force_login(front_desk)
    assert client.get(reverse("booking:desk_appointment", args=[999999])).status_code == 404


def test_the_settings_tabs_show_only_what_the_role_may_change(client, front_desk, clinic_admin, things):
    client.force_login(clinic_admin)
    nav = client.get(reverse("clinic_settings")).content.decode()
    for tab in ("Booking rules", "Clinicians' hours", "Time off and closures", "Intake"):
        assert tab in nav
    client.force_login(front_desk)
    page = client.get(reverse("booking:settings_time_off")).content.decode()
    assert "Time off and closures" in page and "Booking rules" not in page and "Remove" not in page

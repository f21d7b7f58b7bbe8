"""One patient search for the staff home and the desk: names, e-mail, dates of birth, phones however typed."""

from datetime import date

import pytest
from django.urls import reverse

from clinic.selectors import patient_search
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    return {
        "mia": PatientFactory(first_name="Mia", last_name="Lopez", date_of_birth=date(1984, 3, 12), phone="+13105550147",
                              user__email="mia.lopez@example.org"),
        "noah": PatientFactory(first_name="Noah", last_name="Lopez", date_of_birth=date(1990, 7, 2), phone="+12065550199",
                               user__email="noah@example.org"),
        "ada": PatientFactory(first_name="Ada", last_name="Kent", date_of_birth=date(1984, 11, 5), phone="",
                              user__email="ada.kent@example.net"),
    }


def found(query):
    return {p.first_name for p in patient_search(query)}


@pytest.mark.parametrize(
    "query",
    ["(310) 555-0147", "555-0147", "+13105550147", "310.555.0147", "1 310 555 0147", "3105550147", "0147", "+1 (310) 555-0147"],
)
def test_a_phone_number_is_found_however_it_is_typed(people, query):
    assert found(query) == {"Mia"}


@pytest.mark.parametrize("query", ["1984-03-12", "3/12/1984", "03/12/1984", "12 March 1984", "March 12, 1984", "Mar 12 1984", "3/12/84"])
def test_a_date_of_birth_is_found_however_it_is_typed(people, query):
    assert found(query) == {"Mia"}


def test_a_year_of_birth_alone_finds_everyone_born_that_year(people):
    assert found("1984") == {"Mia", "Ada"}


@pytest.mark.parametrize(
    "query, names",
    [
        ("lopez", {"Mia", "Noah"}),
        ("LOPEZ mia", {"Mia"}),
        ("mia.lopez@", {"Mia"}),
        ("example.net", {"Ada"}),
        ("Lopez 1990-07-02", {"Noah"}),  # every part narrows the list
        ("Lopez 555-0147", {"Mia"}),
        ("Kent 555-0147", set()),
    ],
)
def test_names_and_e_mail_combine_with_the_other_parts(people, query, names):
    assert found(query) == names


@pytest.mark.parametrize("query", ["", "   ", "13/45/1984", "()-+", "31/02/2001"])
def test_nothing_usable_finds_nobody_rather_than_everybody(people, query):
    assert found(query) == set()


def test_the_staff_home_and_the_desk_use_the_same_search(client, people, front_desk, clinic):
    client.force_login(front_desk)
    home = client.get(reverse("staff_home"), {"q": "(310) 555-0147"}).content.decode()
    desk = client.get(reverse("booking:desk_book"), {"q": "(310) 555-0147"}).content.decode()
    for page in (home, desk):
        assert "Mia Lopez" in page and "Noah Lopez" not in page


def test_the_desk_search_answers_htmx_with_the_results_alone(client, people, front_desk, clinic):
    client.force_login(front_desk)
    response = client.get(reverse("booking:desk_book"), {"q": "lopez"}, headers={"HX-Request": "true", "HX-Target": "patient-results"})
    body = response.content.decode()
    assert body.startswith('<div id="patient-results"') and "<html" not in body
    assert "Mia Lopez" in body and "Noah Lopez" in body

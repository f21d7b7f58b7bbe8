"""intake.selectors.sclerosant_allergies: what the treatment record reads from the screening."""

import pytest

from intake.models import ScreeningStatus
from intake.selectors import sclerosant_allergies
from tests.intake.factories import ScreeningFactory, answers_with

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("said", "expected"), [
    ("none", set()),
    ("Asclera", {"polidocanol"}),
    ("sotradecol", {"sodium_tetradecyl_sulfate"}),
    ("aethoxysklerol and fibrovein", {"polidocanol", "sodium_tetradecyl_sulfate"}),
    ("latex", set()),
    ("xylophonex", {"unrecognised"}),
])
def test_the_current_screenings_flags_name_the_allergies(patient, said, expected):
    ScreeningFactory(patient=patient, answers=answers_with(allergies=said))
    assert sclerosant_allergies(patient) == frozenset(expected)


def test_an_allergy_to_an_unnamed_sclerosant(patient):
    ScreeningFactory(patient=patient, answers=answers_with(allergies="the sclerotherapy injection"))
    assert sclerosant_allergies(patient) == {"unspecified"}


def test_only_the_current_screening_counts(patient):
    ScreeningFactory(patient=patient, status=ScreeningStatus.SUPERSEDED, answers=answers_with(allergies="Asclera"))
    assert sclerosant_allergies(patient) == frozenset()
    ScreeningFactory(patient=patient, answers=answers_with(allergies="sotradecol"))
    assert sclerosant_allergies(patient) == {"sodium_tetradecyl_sulfate"}


def test_no_screening_no_allergies(patient):
    assert sclerosant_allergies(patient) == frozenset()

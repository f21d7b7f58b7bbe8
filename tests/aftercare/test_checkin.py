import pytest

from aftercare.checkin import CheckInAnswers, Urgency, triage


@pytest.mark.parametrize(
    ("answers", "urgency", "reasons"),
    [
        (CheckInAnswers(), Urgency.EXPECTED, ()),
        (CheckInAnswers(bruising=True, lumps=True, itching=True, skin_darkening=True, redness="around_injections", pain="mild"),
         Urgency.EXPECTED, ("bruising", "lumps", "itching", "skin_darkening")),
        (CheckInAnswers(breathlessness=True), Urgency.EMERGENCY, ("breathlessness",)),
        (CheckInAnswers(chest_pain=True, bruising=True), Urgency.EMERGENCY, ("chest_pain",)),
        (CheckInAnswers(vision_or_speech_change=True), Urgency.EMERGENCY, ("vision_or_speech_change",)),
        (CheckInAnswers(leg_swelling=True), Urgency.URGENT, ("leg_swelling",)),
        (CheckInAnswers(pain="severe"), Urgency.CLINICIAN, ("severe_pain",)),
        (CheckInAnswers(redness="spreading_or_hot"), Urgency.CLINICIAN, ("spreading_redness",)),
        (CheckInAnswers(fever=True), Urgency.CLINICIAN, ("fever",)),
        (CheckInAnswers(wound_or_blister=True), Urgency.CLINICIAN, ("wound_or_blister",)),
        (CheckInAnswers(other="a small blister near my knee"), Urgency.CLINICIAN, ("other_concern",)),
        (CheckInAnswers(other="   "), Urgency.EXPECTED, ()),
        (CheckInAnswers(leg_swelling=True, pain="severe", breathlessness=True), Urgency.EMERGENCY,
         ("breathlessness", "leg_swelling", "severe_pain")),
    ],
)
def test_check_in_answers_are_routed_by_their_most_urgent_sign(answers, urgency, reasons):
    result = triage(answers)
    assert result.urgency == urgency
    assert result.reasons == reasons


def test_only_urgent_answers_alert_the_clinic_at_once():
    assert triage(CheckInAnswers(leg_swelling=True)).alerts_clinic
    assert triage(CheckInAnswers(chest_pain=True)).alerts_clinic
    assert not triage(CheckInAnswers(pain="severe")).alerts_clinic


def test_an_unknown_answer_is_refused_rather_than_guessed():
    with pytest.raises(ValueError):
        triage(CheckInAnswers(pain="a bit"))

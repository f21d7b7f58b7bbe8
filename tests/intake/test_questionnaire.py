"""The patient's questionnaire: steps, drafts, validation, consent, outcome pages."""

import pytest
from django.utils import timezone

from clinic.models import AuditEvent
from intake.models import Consent, Screening, ScreeningStatus
from tests.intake.helpers import fill_in_questionnaire, send, step_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(client, patient, clinic):
    client.force_login(patient.user)
    return client


def test_alice_sees_the_health_questions_on_her_home_page(alice):
    response = alice.get("/me/")
    assert "Start the health questions" in response.text


def test_the_first_step_is_prefilled_with_alices_date_of_birth(alice, patient):
    response = alice.get("/intake/step/1/")
    assert response.status_code == 200
    assert f'value="{patient.date_of_birth.isoformat()}"' in response.text


def test_each_step_is_saved_as_a_draft_and_alice_resumes_after_logging_out(alice, patient):
    alice.post("/intake/step/1/", step_data(1))
    alice.post("/intake/step/2/", step_data(2, breastfeeding="yes", wants_treatment_while_breastfeeding="no"))
    draft = Screening.objects.get(patient=patient, status=ScreeningStatus.DRAFT)
    assert draft.current_step == 3
    assert draft.answers["breastfeeding"] == "yes"
    assert draft.answers["vein_types"] == ["spider"]

    alice.logout()
    alice.force_login(patient.user)
    assert alice.get("/intake/")["Location"] == "/intake/step/3/"
    back = alice.get("/intake/step/2/")
    assert back.context["form"].initial["breastfeeding"] == "yes"
    assert 'id="id_breastfeeding_1" checked' in " ".join(back.text.split()) or "checked" in back.text


def test_going_back_shows_the_saved_answers(alice):
    alice.post("/intake/step/1/", step_data(1, height_cm="171"))
    response = alice.get("/intake/step/1/")
    assert response.context["form"].initial["height_cm"] == 171.0
    assert 'value="171.0"' in response.text or 'value="171"' in response.text


def test_back_keeps_what_was_typed_on_an_unfinished_step_without_skipping_it(alice, patient):
    for step in (1, 2, 3):
        alice.post(f"/intake/step/{step}/", step_data(step))
    data = step_data(4, medications="Eliquis 5mg twice a day")
    del data["allergies"]  # not answered yet
    response = alice.post("/intake/step/4/", {**data, "go": "back"})
    assert response["Location"] == "/intake/step/3/"
    draft = Screening.objects.get(patient=patient, status=ScreeningStatus.DRAFT)
    assert draft.answers["medications"] == "Eliquis 5mg twice a day"
    assert "allergies" not in draft.answers
    assert draft.current_step == 4  # step 4 is not done: step 5 stays out of reach
    assert alice.get("/intake/step/5/")["Location"] == "/intake/step/4/"
    assert "Eliquis 5mg twice a day" in alice.get("/intake/step/4/").text


def test_back_on_a_finished_step_saves_it_like_continue(alice, patient):
    alice.post("/intake/step/1/", step_data(1))
    response = alice.post("/intake/step/2/", {**step_data(2), "go": "back"})
    assert response["Location"] == "/intake/step/1/"
    assert Screening.objects.get(patient=patient, status=ScreeningStatus.DRAFT).current_step == 3


def test_enter_in_a_step_continues_rather_than_going_back(alice):
    alice.post("/intake/step/1/", step_data(1))
    page = alice.get("/intake/step/2/").text
    # The browser submits with the first submit button of the form when Enter is pressed.
    assert page.index("Save and continue") < page.index('value="back"')


def test_a_step_cannot_be_skipped(alice):
    assert alice.get("/intake/step/4/")["Location"] == "/intake/step/1/"


def test_a_missing_answer_is_shown_next_to_its_question_and_nothing_typed_is_lost(alice):
    alice.post("/intake/step/1/", step_data(1))
    alice.post("/intake/step/2/", step_data(2))
    alice.post("/intake/step/3/", step_data(3))
    data = step_data(4, medications="Eliquis 5mg twice a day")
    del data["allergies"]
    response = alice.post("/intake/step/4/", data)
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["allergies"]
    assert "Eliquis 5mg twice a day" in response.text
    assert 'id="error_1_id_allergies"' in response.text  # crispy puts the message by the field


def test_a_follow_up_is_required_only_when_its_question_says_so(alice):
    alice.post("/intake/step/1/", step_data(1))
    response = alice.post("/intake/step/2/", step_data(2, recently_pregnant="yes"))
    assert response.context["form"].errors == {"pregnancy_ended_on": ["Please answer this question too."]}
    stale = alice.post("/intake/step/2/", step_data(2, recently_pregnant="no", pregnancy_ended_on="2026-01-01"))
    assert stale.status_code == 302
    assert "pregnancy_ended_on" not in Screening.objects.get(status="draft").answers


def test_words_typed_in_a_follow_up_box_are_kept_when_its_question_is_answered_no(alice, patient):
    alice.post("/intake/step/1/", step_data(1))
    alice.post("/intake/step/2/", step_data(2))
    response = alice.post("/intake/step/3/", step_data(3, clotting_disorder="no",
                                                       clotting_disorder_details="factor V Leiden"))
    assert response.status_code == 302
    assert Screening.objects.get(status="draft").answers["clotting_disorder_details"] == "factor V Leiden"
    page = alice.get("/intake/step/3/").text
    assert 'value="factor V Leiden"' in page  # shown again, where the patient can see and change it


def test_the_last_question_is_anything_else_and_what_is_written_there_is_read(alice, patient):
    fill_in_questionnaire(alice, anything_else="I'm on Xarelto since my DVT")
    assert "Is there anything else we should know?" in alice.get("/intake/step/7/").text
    send(alice, "Alice Walker")
    screening = Screening.objects.get(patient=patient)
    assert screening.answers["anything_else"] == "I'm on Xarelto since my DVT"
    assert screening.outcome == "not_eligible"
    assert {"clots.history", "medications.anticoagulant", "answers.contradiction"} <= {
        f["code"] for f in screening.result["flags"]}


def test_a_date_in_the_future_is_refused_at_the_field(alice):
    alice.post("/intake/step/1/", step_data(1))
    tomorrow = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
    response = alice.post("/intake/step/2/", step_data(2, recently_pregnant="yes", pregnancy_ended_on=tomorrow))
    assert "in the future" in response.context["form"].errors["pregnancy_ended_on"][0]


def test_the_last_step_shows_every_answer_and_the_consent_text(alice):
    fill_in_questionnaire(alice)
    response = alice.get("/intake/step/7/")
    assert "Do you smoke?" in response.text
    assert "Consent to sclerotherapy" in response.text
    assert response["Cache-Control"].startswith("max-age=0") and "no-store" in response["Cache-Control"]


def test_a_signature_that_does_not_match_alices_name_is_refused_and_nothing_is_sent(alice, patient):
    fill_in_questionnaire(alice)
    response = send(alice, "Alice Smith")
    assert response.status_code == 200
    assert "Alice Walker" in response.context["form"].errors["typed_name"][0]
    assert not Screening.objects.filter(patient=patient, status=ScreeningStatus.SUBMITTED).exists()
    assert not Consent.objects.exists()


def test_the_signature_ignores_case_and_extra_spaces(alice, patient):
    fill_in_questionnaire(alice)
    assert send(alice, "  alice   WALKER ")["Location"] == "/intake/result/"
    consent = Consent.objects.get(patient=patient)
    assert consent.typed_name == "alice WALKER"
    assert consent.text.version == "2026.1"
    assert consent.screening.status == ScreeningStatus.SUBMITTED


def test_consent_must_be_ticked(alice):
    fill_in_questionnaire(alice)
    response = send(alice, "Alice Walker", agree=False)
    assert "agree" in response.context["form"].errors


def test_a_clear_questionnaire_is_stored_with_its_result_and_cleared(alice, patient):
    fill_in_questionnaire(alice)
    send(alice, "Alice Walker")
    screening = Screening.objects.get(patient=patient)
    assert screening.status == ScreeningStatus.SUBMITTED
    assert screening.outcome == "cleared"
    assert screening.result["ruleset_version"] == screening.ruleset_version == "2026.12.1"
    assert (screening.expires_at - screening.submitted_at).days == 180
    page = alice.get("/intake/result/")
    assert "You're cleared for treatment" in page.text
    assert AuditEvent.objects.filter(action="intake.screening.submitted", patient=patient).count() == 1


def test_a_migraine_with_aura_tells_alice_a_clinician_will_look_within_two_working_days(alice):
    fill_in_questionnaire(alice, migraine_with_aura="yes")
    send(alice, "Alice Walker")
    page = alice.get("/intake/result/")
    assert "A clinician will look at your answers" in page.text
    assert "2 working days" in page.text
    assert "consultation" in page.text
    assert "You get migraines with aura" in page.text  # the flag's own patient message


def test_a_recent_operation_tells_alice_from_which_date_and_why(alice):
    ended = timezone.localdate() - timezone.timedelta(days=20)
    fill_in_questionnaire(alice, recent_surgery_or_hospital_stay="yes", surgery_or_hospital_stay_ended_on=ended.isoformat())
    send(alice, "Alice Walker")
    page = alice.get("/intake/result/")
    assert "You can have treatment from" in page.text
    assert "Blood clots are a little more likely" in page.text


def test_bulging_veins_tell_alice_why_and_where_to_go_instead(alice):
    fill_in_questionnaire(alice, vein_types=["bulging"])
    send(alice, "Alice Walker")
    page = alice.get("/intake/result/")
    assert "isn't right for you here" in page.text
    assert "vascular" in page.text


def test_unknown_medicine_text_goes_to_review(alice, patient):
    fill_in_questionnaire(alice, medications="zorbitol drops from my aunt")
    send(alice, "Alice Walker")
    assert Screening.objects.get(patient=patient).outcome == "review"


def test_updating_answers_starts_a_draft_from_the_last_ones_and_replaces_them_on_sending(alice, patient):
    fill_in_questionnaire(alice, smoker="yes")
    send(alice, "Alice Walker")
    first = Screening.objects.get(patient=patient)
    assert alice.post("/intake/update/")["Location"] == "/intake/step/1/"
    draft = Screening.objects.get(patient=patient, status=ScreeningStatus.DRAFT)
    assert draft.answers["smoker"] == "yes" and draft.previous == first
    assert alice.get("/intake/result/").status_code == 200  # the old result stands meanwhile

    fill_in_questionnaire(alice, smoker="no")
    send(alice, "Alice Walker")
    first.refresh_from_db()
    assert first.status == ScreeningStatus.SUPERSEDED
    current = Screening.objects.get(patient=patient, status=ScreeningStatus.SUBMITTED)
    assert current.answers["smoker"] == "no" and current.previous == first


def test_alice_can_see_what_she_answered_and_it_is_audited(alice, patient):
    fill_in_questionnaire(alice)
    send(alice, "Alice Walker")
    response = alice.get("/intake/my-answers/")
    assert "Do you smoke?" in response.text
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="intake.answers.viewed")
    assert (event.actor, event.patient, event.details) == (patient.user, patient, {"own": True})


def test_the_questionnaire_works_without_javascript_follow_ups_are_plainly_worded(alice):
    alice.post("/intake/step/1/", step_data(1))
    response = alice.get("/intake/step/2/")
    assert "If yes: when did the pregnancy end?" in response.text
    assert 'data-show-when="recently_pregnant=yes"' in response.text

"""Clinician review: the queue, the answers page, decisions, e-mails, permissions and the audit log."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from clinic.models import AuditEvent
from intake.eligibility import booking_clearance
from intake.models import Decision, Screening, ScreeningDecision
from tests.intake.factories import ScreeningFactory, answers_with, sign_consent
from tests.outbox import drain

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(patient, clinic):
    """Alice's screening, held for review because she gets migraines with aura."""
    sign_consent(patient)
    return ScreeningFactory(patient=patient, answers=answers_with(migraine_with_aura="yes"))


def decide(client, screening, **data):
    return client.post(f"/intake/screenings/{screening.pk}/decide/", data)


# --- The queue ----------------------------------------------------------------------------------


def test_the_queue_lists_screenings_waiting_for_review_oldest_first(client, clinician, flagged, other_patient):
    older = ScreeningFactory(patient=other_patient, answers=answers_with(heart_shunt="unsure"),
                             submitted_at=timezone.now() - timedelta(days=3))
    client.force_login(clinician)
    response = client.get("/intake/reviews/")
    assert list(response.context["waiting"]) == [older, flagged]
    assert "Bob Stone" in response.text and "Alice Walker" in response.text


def test_the_queue_also_shows_not_eligible_and_postponed_screenings_but_not_cleared_ones(client, clinician, patient,
                                                                                         other_patient):
    not_eligible = ScreeningFactory(patient=patient, answers=answers_with(clot_history="yes"))
    ScreeningFactory(patient=other_patient)
    client.force_login(clinician)
    response = client.get("/intake/reviews/")
    assert list(response.context["others"]) == [not_eligible]
    assert list(response.context["waiting"]) == []


def test_a_decided_or_superseded_screening_leaves_the_queue(client, clinician, flagged, other_patient):
    ScreeningFactory(patient=other_patient, answers=answers_with(heart_shunt="yes"), status="superseded")
    client.force_login(clinician)
    decide(client, flagged, decision="clear", note="Aura without shunt symptoms; no foam planned.")
    assert list(client.get("/intake/reviews/").context["waiting"]) == []


def test_the_staff_nav_shows_reviews_to_clinicians_only(client, clinician, front_desk, clinic):
    client.force_login(clinician)
    assert 'href="/intake/reviews/"' in client.get("/staff/").text
    client.force_login(front_desk)
    assert 'href="/intake/reviews/"' not in client.get("/staff/").text


# --- Who may see what ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "queue", "answers"),
    [
        ("clinician", 200, 200),
        ("front_desk", 403, 403),
        ("clinic_admin", 403, 403),
        ("patient", 403, 403),
        ("other_patient", 403, 403),
        ("stranger", 403, 403),
    ],
)
def test_who_may_open_the_queue_and_the_answers(request, client, flagged, persona, queue, answers):
    client.force_login(request.getfixturevalue(persona).user if persona.endswith("patient")
                       else request.getfixturevalue(persona))
    assert client.get("/intake/reviews/").status_code == queue
    assert client.get(f"/intake/screenings/{flagged.pk}/").status_code == answers


def test_a_visitor_who_is_not_logged_in_is_sent_to_log_in(client, flagged):
    assert client.get(f"/intake/screenings/{flagged.pk}/")["Location"].startswith("/accounts/login/")


def test_a_screening_that_does_not_exist_is_404_for_a_clinician(client, clinician, flagged):
    client.force_login(clinician)
    assert client.get(f"/intake/screenings/{flagged.pk + 1000}/").status_code == 404


def test_a_draft_is_never_opened_by_staff(client, clinician, other_patient):
    draft = Screening.objects.create(patient=other_patient, answers={"pregnant": "yes"})
    client.force_login(clinician)
    assert client.get(f"/intake/screenings/{draft.pk}/").status_code == 404


def test_front_desk_sees_the_status_on_the_patient_page_but_no_answers(client, front_desk, flagged, patient):
    client.force_login(front_desk)
    page = client.get(f"/patients/{patient.pk}/")
    assert "Awaiting clinician review" in page.text
    assert "migraine" not in page.text.lower()
    assert "Open answers" not in page.text


@pytest.mark.parametrize(
    ("answers", "decision", "label"),
    [
        (answers_with(), "", "Cleared"),
        (answers_with(pregnant="yes"), "", "Not suitable for treatment"),
        (answers_with(migraine_with_aura="yes"), "request_info", "Waiting for the patient"),
        (answers_with(breastfeeding="yes"), "", "Postponed"),
    ],
)
def test_front_desk_sees_each_status_in_plain_words(client, front_desk, patient, clinic, answers, decision, label):
    sign_consent(patient)
    ScreeningFactory(patient=patient, answers=answers, decision=decision)
    client.force_login(front_desk)
    assert label in client.get(f"/patients/{patient.pk}/").text


def test_front_desk_sees_an_expired_screening_as_expired(client, front_desk, patient, clinic):
    sign_consent(patient)
    ScreeningFactory(patient=patient, submitted_at=timezone.now() - timedelta(days=181))
    client.force_login(front_desk)
    assert "Expired" in client.get(f"/patients/{patient.pk}/").text


def test_a_clinician_sees_the_triggering_answer_highlighted(client, clinician, flagged):
    client.force_login(clinician)
    response = client.get(f"/intake/screenings/{flagged.pk}/")
    flagged_rows = [row["name"] for s in response.context["sections"] for row in s["rows"] if row["flagged"]]
    assert flagged_rows == ["migraine_with_aura"]
    assert "Migraine with aura (answer: yes)" in response.text
    assert "no-store" in response["Cache-Control"]


def test_every_staff_view_of_the_answers_is_audited(client, clinician, flagged, patient):
    client.force_login(clinician)
    client.get(f"/intake/screenings/{flagged.pk}/")
    client.get(f"/intake/screenings/{flagged.pk}/")
    events = AuditEvent.objects.filter(action="intake.answers.viewed")
    assert events.count() == 2
    event = events.first()
    assert (event.actor, event.patient, event.object_type, event.object_id) == (
        clinician, patient, "intake.screening", str(flagged.pk))
    assert event.details == {"own": False}


def test_a_refused_view_writes_no_audit_event(client, front_desk, flagged):
    client.force_login(front_desk)
    client.get(f"/intake/screenings/{flagged.pk}/")
    assert not AuditEvent.objects.filter(action="intake.answers.viewed").exists()


# --- Decisions ----------------------------------------------------------------------------------


def test_a_clinician_clears_alice_who_is_emailed_without_health_details_and_may_then_book(
    client, clinician, flagged, patient, django_capture_on_commit_callbacks
):
    client.force_login(clinician)
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(client, flagged, decision="clear", note="Aura only; no shunt symptoms.")
    assert response["Location"] == "/intake/reviews/"
    flagged.refresh_from_db()
    assert flagged.decision == Decision.CLEAR
    assert mail.outbox == []  # never from the request: the outbox's worker sends it
    drain()
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [patient.email]
    assert "reviewed" in email.subject and "/intake/result/" in email.body
    for word in ("migraine", "aura", "cleared", "Aura only", "clear"):
        assert word.lower() not in (email.subject + email.body).lower()
    assert booking_clearance(patient, needs_screening=True, starts_at=timezone.now() + timedelta(days=20)).allowed
    client.force_login(patient.user)
    assert "You're cleared for treatment" in client.get("/intake/result/").text


def test_every_decision_is_audited_without_the_note(client, clinician, flagged, patient):
    client.force_login(clinician)
    decide(client, flagged, decision="not_suitable", note="Symptomatic PFO.", patient_message="Please see your GP.")
    event = AuditEvent.objects.get(action="intake.screening.decided")
    assert (event.actor, event.patient) == (clinician, patient)
    assert event.details["decision"] == "not_suitable"
    assert "PFO" not in str(event.details)


def test_a_decision_needs_a_note(client, clinician, flagged):
    client.force_login(clinician)
    response = decide(client, flagged, decision="clear", note="  ")
    assert response.status_code == 400
    assert "note" in response.context["form"].errors
    assert not ScreeningDecision.objects.exists()


def test_asking_for_information_needs_a_message_for_the_patient(client, clinician, flagged):
    client.force_login(clinician)
    response = decide(client, flagged, decision="request_info", note="Need details.")
    assert "patient_message" in response.context["form"].errors


def test_asking_alice_for_information_lets_her_update_and_resend_which_reruns_the_rules(
    client, clinician, flagged, patient
):
    from tests.intake.helpers import fill_in_questionnaire, send

    client.force_login(clinician)
    decide(client, flagged, decision="request_info", note="Check aura history.",
           patient_message="Could you tell us when you last had a migraine with aura?")
    client.force_login(patient.user)
    page = client.get("/intake/result/")
    assert "We need a little more information" in page.text
    assert "when you last had a migraine" in page.text
    assert booking_clearance(patient, needs_screening=True, starts_at=timezone.now() + timedelta(days=20)).code == "info_requested"

    client.post("/intake/update/")
    fill_in_questionnaire(client, migraine_with_aura="no")
    send(client, "Alice Walker")
    current = Screening.objects.get(patient=patient, status="submitted")
    assert current.outcome == "cleared" and current.decision == ""
    assert booking_clearance(patient, needs_screening=True, starts_at=timezone.now() + timedelta(days=20)).allowed


def test_front_desk_cannot_post_a_decision(client, front_desk, flagged):
    client.force_login(front_desk)
    assert decide(client, flagged, decision="clear", note="x").status_code == 403
    assert not ScreeningDecision.objects.exists()


def test_a_superseded_screening_cannot_be_decided(client, clinician, flagged):
    flagged.status = "superseded"
    flagged.save()
    client.force_login(clinician)
    response = decide(client, flagged, decision="clear", note="ok")
    assert response.status_code == 400
    assert "replaced by a newer one" in response.text


# --- Every word read, shown where it stands (issue 13.5) ------------------------------------------


def test_the_clinician_sees_the_patients_words_exactly_with_the_words_behind_flags_marked(client, clinician, patient):
    typed = "Eliquis 5mg twice daily <script>alert(1)</script>\nand latex"
    screening = ScreeningFactory(patient=patient, answers=answers_with(blood_thinners="no", allergies=typed))
    client.force_login(clinician)

    page = client.get(f"/intake/screenings/{screening.pk}/").content.decode()

    assert screening.outcome == "not_eligible"  # a blood thinner written with its dose, in the wrong box
    assert '<mark class="hl hl-found" title="apixaban · anticoagulant">Eliquis' in page
    assert '<mark class="hl hl-found" title="latex · allergen">latex' in page
    assert "<script>alert(1)</script>" not in page
    answer = page[page.index('id="answer-allergies"'):]
    answer = answer[:answer.index("</dd>")]
    assert "5mg twice daily &lt;" in answer and "(1)&lt;/" in answer  # the text is kept, escaped
    assert '<mark class="hl hl-unplaced" title="not recognised">script&gt;alert' in answer
    assert 'class="typed-answer"' in page


def test_the_clinician_sees_the_contradiction_explained_in_a_table(client, clinician, patient):
    screening = ScreeningFactory(patient=patient, answers=answers_with(blood_thinners="no",
                                                                       allergies="Eliquis 5mg twice daily"))
    client.force_login(clinician)

    page = " ".join(client.get(f"/intake/screenings/{screening.pk}/").content.decode().split())

    assert "Answers disagree, the more cautious reading is used" in page
    assert '<a href="#answer-blood_thinners">Do you take a blood thinner?</a>' in page
    assert "“Eliquis” <span class=\"text-body-secondary\">in <a href=\"#answer-allergies\">Are you allergic to anything?</a>" in page
    assert 'id="answer-allergies" data-flagged="true"' in page and 'id="answer-blood_thinners" data-flagged="true"' in page


def test_a_screening_stored_by_the_old_rules_is_shown_and_used_as_it_was_decided(client, clinician, patient):
    from tests.intake.test_reading import STORED_2026_11_1

    sign_consent(patient)
    old = ScreeningFactory(patient=patient, answers=answers_with(allergies="Eliquis 5mg twice daily"),
                           result=STORED_2026_11_1, outcome="cleared", ruleset_version="2026.11.1")
    client.force_login(clinician)

    page = client.get(f"/intake/screenings/{old.pk}/").content.decode()

    old.refresh_from_db()
    assert (old.outcome, old.ruleset_version, old.result) == ("cleared", "2026.11.1", STORED_2026_11_1)
    assert "rules 2026.11.1" in page and "Other allergies, not to a sclerosant" in page
    assert '<mark class="hl hl-found" title=' not in page  # no spans were stored then: nothing to mark
    assert booking_clearance(patient, needs_screening=True, starts_at=timezone.now() + timedelta(days=30)).allowed

"""Who gets what from every URL: the access matrix (issue 11.12), and the world it is tried in.

One line per URL name. Each line says how to fill the URL's arguments (from WORLD_KEYS: Alice's
objects), the method, and the expected answer for each persona, in the order of PERSONAS:

    anonymous · Alice on her own object · Bob on Alice's object · front desk · clinician · clinic admin

Answers: a status code, "L" (sent to log in), or "R" (sent elsewhere: a redirect that is not to
the login page). tests/test_access_matrix.py walks the URL configuration and fails for any URL
name without a line here, so a new page cannot ship without saying who may open it.
"""

from __future__ import annotations

from dataclasses import dataclass

PERSONAS = ("anonymous", "patient", "other_patient", "front_desk", "clinician", "clinic_admin")


@dataclass(frozen=True)
class Row:
    args: str  # "pk=appointment,action=check_in" (a value in WORLD_KEYS, or a literal)
    method: str
    expected: tuple[str, ...]


def row(args: str, method: str, expected: str) -> Row:
    answers = tuple(expected.split())
    assert len(answers) == len(PERSONAS), expected
    return Row(args, method, answers)


# URL name: row(arguments, method, "anon own other desk clinician admin")
MATRIX: dict[str, Row] = {
    # clinic: the front door and accounts
    "home": row("", "GET", "200 R R R R R"),
    "login": row("", "GET", "200 R R R R R"),
    "logout": row("", "POST", "L L L L L L"),
    "sign_up": row("", "GET", "200 R R R R R"),
    "sign_up_done": row("", "GET", "200 200 200 200 200 200"),
    "verify_email": row("uidb64=patient_uid,token=not-a-token", "GET", "L R R R R R"),
    "resend_verification": row("", "POST", "L R R R R R"),
    "email_change_confirm": row("token=not-a-token", "GET", "R R R R R R"),
    "two_factor_verify": row("", "GET", "L R R R R R"),
    "two_factor_setup": row("", "GET", "L R R R R R"),
    "two_factor_recovery_codes": row("", "GET", "L 404 404 200 200 200"),
    "session_status": row("", "GET", "401 200 200 200 200 200"),
    "password_change": row("", "GET", "L 200 200 200 200 200"),
    "password_change_done": row("", "GET", "L 200 200 200 200 200"),
    "password_reset": row("", "GET", "200 200 200 200 200 200"),
    "password_reset_done": row("", "GET", "200 200 200 200 200 200"),
    "password_reset_confirm": row("uidb64=MQ,token=set-password", "GET", "200 200 200 200 200 200"),
    "password_reset_complete": row("", "GET", "200 200 200 200 200 200"),
    # clinic: patients' and staff's pages
    "patient_home": row("", "GET", "L 200 200 403 403 403"),
    "profile_edit": row("", "GET", "L 200 200 403 403 403"),
    "patient_detail": row("pk=patient", "GET", "L 200 404 200 200 200"),
    "staff_home": row("", "GET", "L 403 403 200 200 200"),
    "clinic_settings": row("", "GET", "L 403 403 403 403 200"),
    "staff_security": row("", "GET", "L 403 403 403 403 200"),
    "staff_second_factor_reset": row("pk=desk_staff", "POST", "L 403 403 403 403 R"),
    "audit_log": row("", "GET", "L 403 403 403 403 200"),
    "admin:index": row("", "GET", "R R R 200 200 200"),
    # intake
    "intake:questionnaire": row("", "GET", "L R 200 403 403 403"),
    "intake:step": row("step=1", "GET", "L 200 200 403 403 403"),
    "intake:result": row("", "GET", "L 200 R 403 403 403"),
    "intake:my_answers": row("", "GET", "L 200 R 403 403 403"),
    "intake:update": row("", "GET", "L 200 R 403 403 403"),
    "intake:consent": row("", "GET", "L 200 200 403 403 403"),
    "intake:consent_text": row("version=consent_version", "GET", "L 200 200 200 200 200"),
    "intake:reconfirm": row("", "GET", "L 200 R 403 403 403"),
    "intake:review_queue": row("", "GET", "L 403 403 403 200 403"),
    "intake:screening_answers": row("pk=screening", "GET", "L 403 403 403 200 403"),
    "intake:screening_decide": row("pk=screening", "POST", "L 403 403 403 400 403"),
    # booking: patients
    "booking:start": row("", "GET", "L 200 200 403 403 403"),
    "booking:my_appointments": row("", "GET", "L 200 200 403 403 403"),
    "booking:appointment": row("pk=appointment", "GET", "L 200 404 403 403 403"),
    "booking:appointment_cancel": row("pk=appointment", "POST", "L R 404 403 403 403"),
    "booking:appointment_move": row("pk=appointment", "GET", "L 200 404 403 403 403"),
    "booking:hold": row("pk=hold", "GET", "L 200 404 403 403 403"),
    "booking:link_manage": row("token=link_token", "GET", "200 200 200 200 200 200"),
    "booking:link_cancel": row("token=link_token", "POST", "R R R R R R"),
    "booking:link_move": row("token=link_token", "GET", "200 200 200 200 200 200"),
    "booking:waitlist_leave": row("pk=waitlist", "POST", "L R 404 403 403 403"),
    "booking:waitlist_join": row("slug=consultation", "POST", "L R R 403 403 403"),
    "booking:service": row("slug=consultation", "GET", "L 200 200 403 403 403"),
    # booking: the desk
    "booking:desk_calendar": row("", "GET", "L 403 403 200 200 200"),
    "booking:desk_book": row("", "GET", "L 403 403 200 200 200"),
    "booking:desk_appointment": row("pk=appointment", "GET", "L 403 403 200 200 200"),
    # Move opens the calendar in move mode, where the free times show.
    "booking:desk_move": row("pk=appointment", "GET", "L 403 403 R R R"),
    "booking:desk_action": row("pk=appointment,action=check_in", "POST", "L 403 403 R R R"),
    "booking:desk_sheet": row("", "GET", "L 403 403 200 200 200"),
    "booking:desk_patient_new": row("", "POST", "L 403 403 200 403 200"),
    "booking:desk_waitlist": row("", "GET", "L 403 403 200 200 200"),
    "booking:desk_waitlist_offer": row("pk=waitlist", "POST", "L 403 403 R R R"),
    "booking:desk_waitlist_remove": row("pk=waitlist", "POST", "L 403 403 R R R"),
    "booking:desk_overdue": row("", "GET", "L 403 403 200 200 200"),
    "booking:desk_course_contact": row("pk=course", "POST", "L 403 403 R R R"),
    "booking:desk_course_stop": row("pk=course", "POST", "L 403 403 R R R"),
    # booking: the clinic admin's settings
    "booking:settings_rules": row("", "GET", "L 403 403 403 403 200"),
    "booking:settings_hours": row("", "GET", "L 403 403 403 403 200"),
    "booking:settings_hours_edit": row("pk=clinician_row", "GET", "L 403 403 403 403 200"),
    # The desk enters time off and closures as they hear of them; only the clinic admin removes them.
    "booking:settings_time_off": row("", "GET", "L 403 403 200 403 200"),
    "booking:settings_time_off_remove": row("pk=time_off", "POST", "L 403 403 403 403 R"),
    "booking:settings_closure_remove": row("pk=closure", "POST", "L 403 403 403 403 R"),
    "intake:settings": row("", "GET", "L 403 403 403 403 200"),
    # aftercare
    "aftercare:today": row("", "GET", "L 200 200 403 403 403"),
    "aftercare:check_in": row("pk=completed_session", "GET", "L 200 404 403 403 403"),
    "aftercare:check_in_result": row("pk=checkin", "GET", "L 200 404 403 403 403"),
    "aftercare:check_in_queue": row("", "GET", "L 403 403 403 200 403"),
    "aftercare:check_in_handle": row("pk=checkin", "POST", "L 403 403 403 R 403"),
    "aftercare:delivery_log": row("patient_pk=patient", "GET", "L 403 403 200 200 200"),
    "aftercare:problems": row("", "GET", "L 403 403 200 200 200"),
    "aftercare:resend": row("pk=message", "POST", "L 403 403 R R R"),
    "aftercare:message_settings": row("", "GET", "L 403 403 403 403 200"),
    # For load balancers and monitors: times and counts only, no patient data, no login.
    "health": row("", "GET", "200 200 200 200 200 200"),
    # treatment: the clinician records; front desk sees whether it is done; photos for clinicians
    # and the patient they show; the clinic admin keeps lots, recalls and the per-session maximum.
    "treatment:record_edit": row("appointment_pk=session_today", "GET", "L 403 403 403 200 403"),
    "treatment:not_treated": row("appointment_pk=session_today", "GET", "L 403 403 403 200 403"),
    "treatment:visit_complete": row("appointment_pk=session_today", "POST", "L 403 403 R R R"),
    "treatment:visit_photos": row("appointment_pk=completed_session", "GET", "L 403 403 403 200 403"),
    "treatment:record_detail": row("pk=signed_record", "GET", "L 403 403 403 200 403"),
    "treatment:record_sign": row("pk=draft_record", "POST", "L 403 403 403 R 403"),
    "treatment:record_amend": row("pk=signed_record", "GET", "L 403 403 403 200 403"),
    "treatment:note_add": row("patient_pk=patient", "POST", "L 403 403 403 R 403"),
    "treatment:photo_consent": row("patient_pk=patient", "POST", "L 403 403 403 R 403"),
    "treatment:photo_compare": row("patient_pk=patient", "GET", "L 403 403 403 200 403"),
    "treatment:photo_file": row("pk=photo", "GET", "L 200 404 403 200 403"),
    "treatment:lots": row("", "GET", "L 403 403 403 200 200"),
    "treatment:recall": row("", "GET", "L 403 403 403 200 200"),
    "treatment:settings": row("", "GET", "L 403 403 403 403 200"),
    "treatment:dose_limits": row("", "GET", "L 403 403 403 200 200"),
}

# URL names the matrix does not list one by one, and why.
NOT_IN_MATRIX = {
    # Every other admin page: the admin site lets in only staff who passed the second factor
    # (admin:index above), and each model's own permissions decide the rest
    # (tests/clinic/test_admin_security.py opens every model's pages as every role).
    "admin",
}

"""Planning reminders when appointments change, and wording them when they go out.

The messages are rows of the clinic's outbox (clinic/outbox.py), planned in the booking's own
transaction, so a reminder is never lost when the broker or a worker is down. The outbox's
workers send them exactly once (clinic/delivery.py); this module tells them, for each batch,
whether each reminder is still right for the visit as it is now and what it says
(``render_batch``), and what the database must check at the very moment of sending
(``still_due``: the visit still starts when the reminder was planned for, and was not cancelled).
"""

from dataclasses import asdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from booking import spacing
from booking.emails import ics_attachment
from booking.links import manage_url as booking_manage_url
from booking.models import Appointment, BookingPolicy, CourseStatus, ServiceKind, Status
from clinic import audit, delivery, outbox
from clinic.models import Channel, Clinic, OutboxMessage
from intake import selectors as intake_selectors
from intake.models import IntakeSettings

from . import checkin
from . import plan as timeline
from .models import CheckIn, MessageSettings, ReminderTemplate
from .texts import DEFAULT_TEXTS


class AftercareError(Exception):
    """A refusal with a message fit to show staff."""


ERRORS = {
    "same_time": _("The quiet hours must start and end at different times."),
    # the length is timeline.MIN_SENDING_WINDOW
    "window_too_short": _("Texts must be allowed for at least 4 hours a day, or they pile up until the morning."),
}


def grace() -> timedelta:
    return timedelta(minutes=settings.REMINDER_GRACE_MINUTES)


def quiet_hours(clinic=None) -> timeline.QuietHours:
    return MessageSettings.for_clinic(clinic).quiet_hours


def _channel_for(patient) -> str:
    if patient.preferred_channel == Channel.SMS and patient.sms_consent and patient.phone:
        return Channel.SMS
    return Channel.EMAIL


def _active_steps(anchors: frozenset) -> list[timeline.Step]:
    active = set(ReminderTemplate.objects.filter(is_active=True).values_list("kind", flat=True))
    return [s for s in timeline.DEFAULT_STEPS if s.anchor in anchors and s.kind in active]


def reminders_for(appointment: Appointment):
    """The outbox rows of one visit's reminders."""
    return appointment.messages.filter(kind__in=[k.value for k in timeline.Kind])


def _create(appointment: Appointment, planned: list[timeline.Planned], *, urgent: bool = False) -> list[OutboxMessage]:
    # The outbox's unique constraint drops a second copy of a message for the same visit time (a
    # replayed event, two completions): at most once, decided by the database.
    return outbox.enqueue_many(
        outbox.Planned(p.kind.value, send_at=p.send_at, channel=p.channel, patient=appointment.patient,
                       obj=appointment, planned_for=appointment.start, urgent=urgent)
        for p in planned
    )


def plan_for_booking(*, appointment: Appointment, now=None) -> list[OutboxMessage]:
    """Confirmation, pre-treatment steps and the day-before reminder, for a visit just booked or moved."""
    now = now or timezone.now()
    tz = Clinic.objects.current_time_zone()
    planned = timeline.plan(
        _active_steps(timeline.PLANNED_ON_BOOKING),
        anchors={timeline.Anchor.BOOKED: now, timeline.Anchor.START: appointment.start},
        start=appointment.start,
        is_session=appointment.service.kind == ServiceKind.SESSION,
        channels=(_channel_for(appointment.patient),),
        tz=tz, now=now, grace=grace(), quiet=quiet_hours(),
    )
    return _create(appointment, planned)


def cancel_pending(*, appointment: Appointment, reason: str) -> int:
    """Reminders not yet with a worker are cancelled; one already claimed re-checks the visit itself."""
    return delivery.cancel(reminders_for(appointment), reason=reason)


def _spacing_rule(clinic) -> spacing.SpacingRule:
    policy = BookingPolicy.objects.filter(clinic=clinic).first() if clinic else None
    return policy.spacing_rule if policy else spacing.SpacingRule()


def _window_last_day(appointment: Appointment, rule: spacing.SpacingRule, tz):
    """The last day the course's next session may fall on, or None when no session follows."""
    course = appointment.course
    if course is None or course.status != CourseStatus.ACTIVE or (appointment.sequence or 0) >= course.planned_sessions:
        return None
    return spacing.allowed_window(appointment.start, tz, rule).last_day


def plan_after_completion(*, appointment: Appointment, now=None) -> list[OutboxMessage]:
    """Aftercare, the check-in and the course's next-session messages, once a session is done."""
    now = now or timezone.now()
    if appointment.service.kind != ServiceKind.SESSION:
        return []
    anchors = {timeline.Anchor.COMPLETED: now}
    tz = Clinic.objects.current_time_zone()
    last_day = _window_last_day(appointment, _spacing_rule(Clinic.objects.current()), tz)
    if last_day is not None:
        anchors[timeline.Anchor.WINDOW_LAST_DAY] = last_day
    channel = _channel_for(appointment.patient)
    steps = _active_steps(timeline.PLANNED_ON_COMPLETION)
    if last_day is None:  # the course is over (or this was a one-off): no "book your next session"
        steps = [s for s in steps if s.kind not in timeline.COURSE_KINDS]
    patient_steps = [s for s in steps if s.kind != timeline.Kind.OVERDUE_DESK]
    desk_steps = [s for s in steps if s.kind == timeline.Kind.OVERDUE_DESK]
    common = dict(anchors=anchors, start=appointment.start, is_session=True, tz=tz, now=now, grace=grace(), quiet=quiet_hours())
    planned = timeline.plan(patient_steps, channels=(channel,), **common)
    planned += timeline.plan(desk_steps, channels=(Channel.EMAIL,), **common)
    return _create(appointment, planned)


# --- Wording a batch of reminders when they go out --------------------------------------------


class Batch:
    """What one send task's reminders share: the clinic, the wording, the links.

    Built per batch, so an edit of the wording is seen by the next task.
    """

    def __init__(self):
        self.clinic = Clinic.objects.current()
        self.tz = Clinic.objects.current_time_zone()
        self.spacing = _spacing_rule(self.clinic)
        self.templates = {t.kind: t for t in ReminderTemplate.objects.all()}
        self.quiet = quiet_hours(self.clinic)
        site = settings.SITE_URL
        self.urls = {
            "aftercare_url": site + reverse("aftercare:today"),
            "book_url": site + reverse("booking:start"),
            "reconfirm_url": site + reverse("intake:reconfirm"),
            "checkin_queue_url": site + reverse("aftercare:check_in_queue"),
        }
        self._reconfirm_days = None

    def reconfirm_days(self) -> int:
        if self._reconfirm_days is None:
            self._reconfirm_days = IntakeSettings.for_clinic().reconfirm_days
        return self._reconfirm_days

    def template_for(self, kind: str) -> ReminderTemplate | None:
        template = self.templates.get(kind)
        if kind in timeline.ALWAYS_ON and (template is None or not template.is_active):
            text = DEFAULT_TEXTS[kind]  # a safety alert goes out even if its wording was removed or switched off
            template = ReminderTemplate(kind=kind, email_subject=text["subject"], email_body=text["email"], sms_body="")
        return template


def _context(appointment: Appointment, batch: Batch) -> dict:
    clinic = batch.clinic
    local = appointment.start.astimezone(batch.tz)
    site = settings.SITE_URL
    last_day = _window_last_day(appointment, batch.spacing, batch.tz)
    return {
        "patient": appointment.patient,
        "clinic": {"name": clinic.name if clinic else "The clinic",
                   "phone": clinic.phone.as_national if clinic and clinic.phone else "",
                   "address": clinic.address.replace("\n", ", ") if clinic else ""},
        "service": appointment.service.name.lower(),
        "clinician": str(appointment.clinician),
        "session_of": f"{appointment.sequence} of {appointment.course.planned_sessions}" if appointment.course_id else "",
        "when": f"{date_format(local, 'l j F')} at {date_format(local, 'g:i A')}",
        "window_last_day": date_format(last_day, "l j F") if last_day else "",
        "manage_url": booking_manage_url(appointment),
        "checkin_url": site + reverse("aftercare:check_in", args=[appointment.pk]),
        "patient_url": site + reverse("patient_detail", args=[appointment.patient_id]),
        "patient_contact": appointment.patient.phone.as_national if appointment.patient.phone else appointment.patient.email,
        **batch.urls,
    }


def _facts(request: outbox.Request, appointment: Appointment, now, batch: Batch, next_booked: bool) -> timeline.SendFacts:
    kind = timeline.Kind(request.kind)
    confirmed_at, window = None, timedelta(days=7)
    if kind == timeline.Kind.RECONFIRM:  # few per batch: worth the queries
        confirmed_at = intake_selectors.patient_facts(appointment.patient).last_confirmed_at
        window = timedelta(days=batch.reconfirm_days())
    return timeline.SendFacts(
        kind=kind, status=appointment.status, start=appointment.start,
        planned_for_start=request.planned_for, now=now,
        course_continues=_window_last_day(appointment, batch.spacing, batch.tz) is not None,
        next_session_booked=next_booked, health_confirmed_at=confirmed_at, reconfirm_window=window,
    )


def render_batch(requests: list[outbox.Request]) -> dict[int, object]:
    """The outbox's renderer for every reminder kind: re-check each one against its visit as it is
    now, under a lock on the visits, and word it from the clinic's current template.

    Runs inside the send task's claim transaction: a move or cancellation either committed before
    this re-check, or waits for the claim to commit (and ``still_due`` catches it at hand-over).
    """
    now = timezone.now()
    batch = Batch()
    appointments = Appointment.objects.select_for_update(of=("self",)).select_related(
        "service", "patient", "course", "clinician__staff__user"
    ).in_bulk({r.object_id for r in requests})
    next_booked = set(
        Appointment.objects.filter(
            course_id__in={a.course_id for a in appointments.values() if a.course_id},
            status__in=[Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED],
        ).values_list("course_id", "sequence")
    )
    results: dict[int, object] = {}
    for request in requests:
        appointment = appointments.get(request.object_id)
        if appointment is None:
            results[request.message_id] = outbox.Skip("the visit no longer exists")
            continue
        following = (appointment.course_id, (appointment.sequence or 0) + 1) in next_booked
        ok, reason = timeline.should_send(_facts(request, appointment, now, batch, following))
        channel = request.channel
        patient = appointment.patient
        if channel == Channel.SMS and not (patient.sms_consent and patient.phone):
            channel = Channel.EMAIL  # the patient stopped text messages since this was planned
        template = batch.template_for(request.kind)
        if ok and (template is None or not template.is_active or (channel == Channel.SMS and not template.sms_body)):
            ok, reason = False, "reminder switched off"
        if not ok:
            results[request.message_id] = outbox.Skip(reason)
            continue
        if channel == Channel.SMS:
            # A retry, or quiet hours changed since it was planned: never a text in the quiet hours.
            wake = timeline.after_quiet_hours(now, batch.tz, batch.quiet)
            if wake != now:
                results[request.message_id] = outbox.Defer(wake, "quiet hours for text messages")
                continue
        subject, body = template.render(channel, _context(appointment, batch))
        if request.kind in timeline.TO_CLINIC:
            recipient = batch.clinic.email if batch.clinic and batch.clinic.email else settings.DEFAULT_FROM_EMAIL
        elif channel == Channel.SMS:
            recipient = patient.phone.as_e164
        else:
            recipient = patient.email
        attachments = ()
        if request.kind == timeline.Kind.BOOKING_CONFIRMATION and channel == Channel.EMAIL:
            attachments = (ics_attachment(appointment, clinic=batch.clinic),)
        results[request.message_id] = outbox.Rendered(
            to=recipient, subject=subject, body=body, attachments=attachments, channel=channel,
        )
    return results


def still_due(kind: str):
    """The database's last word before a reminder is handed over (built at that moment): its visit
    still starts when the reminder was planned for, and is still booked; for aftercare, completed
    and really begun, whatever the status says."""
    visit = Appointment.objects.filter(pk=OuterRef("about_id"), start=OuterRef("planned_for"))
    if timeline.Kind(kind) in timeline.PRE_VISIT:
        return Exists(visit.filter(status=Status.BOOKED))
    return Exists(visit.filter(status=Status.COMPLETED, start__lte=timezone.now()))


def register() -> None:
    outbox.register_batch({k.value: k.value.replace("_", " ").capitalize() for k in timeline.Kind}, render_batch,
                          still_due=still_due)


# --- Check-ins --------------------------------------------------------------------------------


@transaction.atomic
def check_in_submit(*, appointment: Appointment, answers: checkin.CheckInAnswers, by) -> CheckIn:
    """Keep the answers on the patient's record and route them; urgent ones alert the clinic now."""
    result = checkin.triage(answers)
    now = timezone.now()
    record = CheckIn.objects.create(
        appointment=appointment, patient=appointment.patient, answers=asdict(answers),
        urgency=int(result.urgency), reasons=list(result.reasons), submitted_at=now,
    )
    audit.record(actor=by, action="aftercare.check_in.submitted", patient=appointment.patient, obj=record,
                 details={"urgency": int(result.urgency)})
    if result.alerts_clinic:
        # An e-mail to the clinic through the outbox, so a mail server that is down only delays it
        # (retries, then the problems list). Names and links only: the answers stay behind the
        # login. Urgent: handed to a worker as soon as this commits. A second alert while the
        # first still waits is dropped by the outbox's unique constraint.
        _create(appointment, [timeline.Planned(timeline.Kind.CHECK_IN_ALERT, Channel.EMAIL, now)], urgent=True)
    return record


@transaction.atomic
def check_in_handle(*, check_in: CheckIn, by, note: str) -> CheckIn:
    check_in = CheckIn.objects.select_for_update().get(pk=check_in.pk)
    if check_in.handled_at is not None:
        raise AftercareError("Someone already dealt with this check-in.")
    check_in.handled_at = timezone.now()
    check_in.handled_by = by
    check_in.handling_note = note
    check_in.save(update_fields=["handled_at", "handled_by", "handling_note"])
    audit.record(actor=by, action="aftercare.check_in.handled", patient=check_in.patient, obj=check_in)
    return check_in


# --- The clinic's message settings ------------------------------------------------------------


@transaction.atomic
def message_settings_save(*, clinic, sms_quiet_start, sms_quiet_end, by) -> MessageSettings:
    """Quiet hours for text messages, from now on: planned texts are checked again when they go out."""
    problem = timeline.QuietHours(start=sms_quiet_start, end=sms_quiet_end).problem()
    if problem:
        raise AftercareError(ERRORS[problem])
    saved, _created = MessageSettings.objects.update_or_create(
        clinic=clinic, defaults={"sms_quiet_start": sms_quiet_start, "sms_quiet_end": sms_quiet_end},
    )
    audit.record(actor=by, action="aftercare.message_settings.changed", obj=saved,
                 details={"sms_quiet_start": sms_quiet_start.isoformat(), "sms_quiet_end": sms_quiet_end.isoformat()})
    return saved

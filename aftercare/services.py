"""Planning reminders when appointments change, and sending them exactly once.

Life of a message row:

    pending --dispatcher--> queued --send task claims--> sending --> sent
       ^                      |                            |  \\--> unknown (worker lost mid-send)
       |                      \\--> cancelled (moved/cancelled visit)
       \\---- transient error, with backoff ----------------+--> failed (permanent, or out of tries)
    skipped: no longer relevant when its time came (visit moved, cancelled, course finished)

The outbox lives in the database, planned in the booking's own transaction, so a message is
never lost when the broker or a worker is down, and the broker only ever carries row ids.
"""

import logging
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from booking.emails import ics_for
from booking.links import manage_url as booking_manage_url
from booking.models import Appointment, BookingPolicy, CourseStatus, ServiceKind, Status
from booking import spacing
from clinic import audit
from clinic.models import Channel, Clinic

from . import checkin
from . import plan as timeline
from .models import CheckIn, DeliveryAttempt, Message, MessageStatus, ReminderTemplate
from .sms import SMSError, get_backend

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Minutes to wait before each retry: well below the broker's visibility timeout, never an ETA task.
BACKOFF_MINUTES = (1, 5, 15, 60)
DISPATCH_BATCH = 500


class AftercareError(Exception):
    """A refusal with a message fit to show staff."""


def grace() -> timedelta:
    return timedelta(minutes=settings.REMINDER_GRACE_MINUTES)


def quiet_hours() -> timeline.QuietHours:
    return timeline.QuietHours(start=settings.SMS_QUIET_HOURS[0], end=settings.SMS_QUIET_HOURS[1])


def _channel_for(patient) -> str:
    if patient.preferred_channel == Channel.SMS and patient.sms_consent and patient.phone:
        return Channel.SMS
    return Channel.EMAIL


def _active_steps(anchors: frozenset) -> list[timeline.Step]:
    active = set(ReminderTemplate.objects.filter(is_active=True).values_list("kind", flat=True))
    return [s for s in timeline.DEFAULT_STEPS if s.anchor in anchors and s.kind in active]


def _create(appointment: Appointment, planned: list[timeline.Planned]) -> list[Message]:
    rows = [
        Message(appointment=appointment, patient=appointment.patient, kind=p.kind, channel=p.channel,
                send_at=p.send_at, planned_for_start=appointment.start)
        for p in planned
    ]
    # The unique constraint drops a second copy of a message for the same visit time (a replayed
    # event, two completions): at most once, decided by the database.
    return Message.objects.bulk_create(rows, ignore_conflicts=True)


def plan_for_booking(*, appointment: Appointment, now=None) -> list[Message]:
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
    """Messages not yet with a worker are cancelled; one already claimed re-checks the visit itself."""
    messages = list(appointment.messages.filter(status__in=[MessageStatus.PENDING, MessageStatus.QUEUED]))
    now = timezone.now()
    Message.objects.filter(pk__in=[m.pk for m in messages], status__in=[MessageStatus.PENDING, MessageStatus.QUEUED]).update(
        status=MessageStatus.CANCELLED, last_error=reason[:300], updated_at=now
    )
    DeliveryAttempt.objects.bulk_create(DeliveryAttempt(message=m, at=now, outcome="cancelled", detail=reason[:300]) for m in messages)
    return len(messages)


def _course_window_last_day(appointment: Appointment):
    course = appointment.course
    if course is None or course.status != CourseStatus.ACTIVE or (appointment.sequence or 0) >= course.planned_sessions:
        return None
    policy = BookingPolicy.objects.filter(clinic=Clinic.objects.current()).first()
    rule = policy.spacing_rule if policy else spacing.SpacingRule()
    return spacing.allowed_window(appointment.start, Clinic.objects.current_time_zone(), rule).last_day


def plan_after_completion(*, appointment: Appointment, now=None) -> list[Message]:
    """Aftercare, the check-in and the course's next-session messages, once a session is done."""
    now = now or timezone.now()
    if appointment.service.kind != ServiceKind.SESSION:
        return []
    anchors = {timeline.Anchor.COMPLETED: now}
    last_day = _course_window_last_day(appointment)
    if last_day is not None:
        anchors[timeline.Anchor.WINDOW_LAST_DAY] = last_day
    channel = _channel_for(appointment.patient)
    steps = _active_steps(timeline.PLANNED_ON_COMPLETION)
    if last_day is None:  # the course is over (or this was a one-off): no "book your next session"
        steps = [s for s in steps if s.kind not in timeline.COURSE_KINDS]
    tz = Clinic.objects.current_time_zone()
    patient_steps = [s for s in steps if s.kind != timeline.Kind.OVERDUE_DESK]
    desk_steps = [s for s in steps if s.kind == timeline.Kind.OVERDUE_DESK]
    common = dict(anchors=anchors, start=appointment.start, is_session=True, tz=tz, now=now, grace=grace(), quiet=quiet_hours())
    planned = timeline.plan(patient_steps, channels=(channel,), **common)
    planned += timeline.plan(desk_steps, channels=(Channel.EMAIL,), **common)
    return _create(appointment, planned)


# --- Dispatching and sending ----------------------------------------------------------------


def dispatch_due(*, now=None) -> list[int]:
    """Claim the due rows for workers (pending -> queued) and return their ids to enqueue.

    skip_locked lets several dispatchers run without waiting on or double-claiming each other's
    rows on PostgreSQL; on SQLite writers are serialised anyway. Rows queued long ago but never
    picked up (the broker lost them, or was down when they were enqueued) are handed out again;
    the send task's claim makes a duplicate harmless.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Message.objects.filter(status=MessageStatus.PENDING, send_at__lte=now)
            .order_by("send_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:DISPATCH_BATCH]
        )
        Message.objects.filter(pk__in=due).update(status=MessageStatus.QUEUED, queued_at=now, updated_at=now)
        stale = list(
            Message.objects.filter(
                status=MessageStatus.QUEUED, queued_at__lt=now - timedelta(minutes=settings.REMINDER_REQUEUE_MINUTES)
            )
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:DISPATCH_BATCH]
        )
        Message.objects.filter(pk__in=stale).update(queued_at=now, updated_at=now)
    return due + stale


def release(message_ids: list[int]) -> int:
    """Give rows that could not be handed to the broker back to the next dispatch."""
    return Message.objects.filter(pk__in=message_ids, status=MessageStatus.QUEUED).update(
        status=MessageStatus.PENDING, queued_at=None, updated_at=timezone.now()
    )


def _log(message: Message, outcome: str, detail: str = "", by=None) -> None:
    DeliveryAttempt.objects.create(message=message, at=timezone.now(), outcome=outcome, detail=detail[:300], by=by)


def _context(message: Message, appointment: Appointment) -> dict:
    clinic = Clinic.objects.current()
    tz = Clinic.objects.current_time_zone()
    local = appointment.start.astimezone(tz)
    site = settings.SITE_URL
    last_day = _course_window_last_day(appointment)
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
        "aftercare_url": site + reverse("aftercare:today"),
        "checkin_url": site + reverse("aftercare:check_in", args=[appointment.pk]),
        "book_url": site + reverse("booking:start"),
        "reconfirm_url": site + reverse("intake:reconfirm"),
        "patient_url": site + reverse("patient_detail", args=[appointment.patient_id]),
    }


def _facts(message: Message, appointment: Appointment, now) -> timeline.SendFacts:
    next_booked = False
    if appointment.course_id and appointment.sequence:
        next_booked = Appointment.objects.filter(
            course_id=appointment.course_id, sequence=appointment.sequence + 1,
            status__in=[Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED],
        ).exists()
    return timeline.SendFacts(
        kind=timeline.Kind(message.kind), status=appointment.status, start=appointment.start,
        planned_for_start=message.planned_for_start, now=now,
        course_continues=_course_window_last_day(appointment) is not None, next_session_booked=next_booked,
    )


@dataclass(frozen=True)
class Outgoing:
    message: Message
    subject: str
    body: str
    calendar: bytes | None = None  # the visit's .ics, attached to a confirmation e-mail


def _claim(message_id: int) -> Outgoing | None:
    """Claim a queued message, re-check its visit under a lock, and render it; one transaction.

    Returns what to send, or None. Committing this marks the message
    "sending" with provider_called_at set: if the worker dies after this point the message may
    have reached the provider, so a redelivered task must not send it again.
    """
    now = timezone.now()
    with transaction.atomic():
        claimed = Message.objects.filter(pk=message_id, status=MessageStatus.QUEUED).update(
            status=MessageStatus.SENDING, attempts=F("attempts") + 1, provider_called_at=now, updated_at=now
        )
        if not claimed:
            message = Message.objects.filter(pk=message_id).first()
            if message is not None and message.status == MessageStatus.SENDING:
                # A redelivered task for a message whose worker was lost mid-send.
                Message.objects.filter(pk=message_id, status=MessageStatus.SENDING).update(
                    status=MessageStatus.UNKNOWN, updated_at=now,
                    last_error="The worker stopped while sending; it may or may not have gone out.",
                )
                _log(message, "unknown", "worker lost while sending")
            return None
        message = Message.objects.select_related("patient").get(pk=message_id)
        # Lock the visit: a move or cancellation either committed before this re-check, or waits.
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("service", "patient", "course", "clinician__staff__user")
            .get(pk=message.appointment_id)
        )
        ok, reason = timeline.should_send(_facts(message, appointment, now))
        if not ok:
            Message.objects.filter(pk=message.pk).update(status=MessageStatus.SKIPPED, last_error=reason, provider_called_at=None)
            _log(message, "skipped", reason)
            return None
        if message.channel == Channel.SMS and not (message.patient.sms_consent and message.patient.phone):
            # The patient stopped text messages since this was planned: e-mail instead.
            message.channel = Channel.EMAIL
        template = ReminderTemplate.objects.filter(kind=message.kind).first()
        if template is None or not template.is_active or (message.channel == Channel.SMS and not template.sms_body):
            Message.objects.filter(pk=message.pk).update(status=MessageStatus.SKIPPED, last_error="reminder switched off",
                                                         provider_called_at=None)
            _log(message, "skipped", "reminder switched off")
            return None
        subject, body = template.render(message.channel, _context(message, appointment))
        if message.kind == timeline.Kind.OVERDUE_DESK:
            clinic = Clinic.objects.current()
            message.recipient = (clinic.email if clinic and clinic.email else settings.DEFAULT_FROM_EMAIL)
        elif message.channel == Channel.SMS:
            message.recipient = message.patient.phone.as_e164
        else:
            message.recipient = message.patient.email
        Message.objects.filter(pk=message.pk).update(channel=message.channel, recipient=message.recipient)
        calendar = None
        if message.kind == timeline.Kind.BOOKING_CONFIRMATION and message.channel == Channel.EMAIL:
            calendar = ics_for([appointment], clinic=Clinic.objects.current())
    return Outgoing(message, subject, body, calendar)


def send_message(message_id: int) -> str:
    """Send one queued message; returns its final status. Safe to call twice for one id."""
    outgoing = _claim(message_id)
    if outgoing is None:
        return Message.objects.filter(pk=message_id).values_list("status", flat=True).first() or "missing"
    message = outgoing.message
    reference = f"msg-{message.pk}"
    try:
        if message.channel == Channel.SMS:
            provider_id = get_backend().send(to=message.recipient, body=outgoing.body, reference=reference)
        else:
            email = EmailMessage(subject=outgoing.subject, body=outgoing.body, to=[message.recipient],
                                 headers={"X-Clinic-Message": reference})
            if outgoing.calendar:
                email.attach("appointment.ics", outgoing.calendar.decode(), "text/calendar; method=PUBLISH; charset=utf-8")
            email.send()
            provider_id = reference
    except SMSError as exc:
        return _failed(message, str(exc), transient=exc.transient)
    except OSError as exc:  # SMTP and socket errors: the server did not take the message
        return _failed(message, f"{exc.__class__.__name__}: {exc}", transient=True)
    now = timezone.now()
    Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.SENT, sent_at=now, provider_id=str(provider_id)[:100], last_error="", updated_at=now
    )
    _log(message, "sent", message.recipient)
    return MessageStatus.SENT


def _failed(message: Message, error: str, *, transient: bool) -> str:
    attempts = Message.objects.get(pk=message.pk).attempts
    now = timezone.now()
    if transient and attempts < MAX_ATTEMPTS:
        delay = timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])
        Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
            status=MessageStatus.PENDING, send_at=now + delay, provider_called_at=None, last_error=error[:300], updated_at=now
        )
        _log(message, "retry", f"{error} (next try in {int(delay.total_seconds() // 60)} min)")
        return MessageStatus.PENDING
    Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.FAILED, provider_called_at=None, last_error=error[:300], updated_at=now
    )
    _log(message, "failed", error)
    log.warning("reminder %s failed for good: %s", message.pk, error)
    return MessageStatus.FAILED


@transaction.atomic
def message_resend(*, message: Message, by) -> Message:
    """Staff send a failed or unknown message again, knowingly: it goes out on the next dispatch."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status not in (MessageStatus.FAILED, MessageStatus.UNKNOWN):
        raise AftercareError("Only a failed message, or one whose delivery is unknown, can be sent again.")
    message.status = MessageStatus.PENDING
    message.send_at = timezone.now()
    message.attempts = 0
    message.provider_called_at = None
    message.last_error = ""
    try:
        message.save()
    except IntegrityError:
        raise AftercareError("This message has been planned again already.") from None
    _log(message, "resend", "sent again by staff", by=by)
    return message



# --- Check-ins --------------------------------------------------------------------------------


@transaction.atomic
def check_in_submit(*, appointment: Appointment, answers: checkin.CheckInAnswers, by) -> CheckIn:
    """Keep the answers on the patient's record and route them; urgent ones alert the clinic now."""
    result = checkin.triage(answers)
    record = CheckIn.objects.create(
        appointment=appointment, patient=appointment.patient, answers=asdict(answers),
        urgency=int(result.urgency), reasons=list(result.reasons), submitted_at=timezone.now(),
    )
    audit.record(actor=by, action="aftercare.check_in.submitted", patient=appointment.patient, obj=record,
                 details={"urgency": int(result.urgency)})
    if result.alerts_clinic:
        transaction.on_commit(lambda: _alert_clinic(record))
    return record


def _alert_clinic(record: CheckIn) -> None:
    clinic = Clinic.objects.current()
    to = clinic.email if clinic and clinic.email else settings.DEFAULT_FROM_EMAIL
    url = settings.SITE_URL + reverse("aftercare:check_in_queue")
    # Names and a link only: the answers stay behind the login.
    EmailMessage(
        subject=f"URGENT check-in: {record.patient.full_name}",
        body=(f"{record.patient.full_name} ({record.patient.phone.as_national if record.patient.phone else record.patient.email}) "
              f"reported signs that need attention today, {timezone.localtime(record.submitted_at):%H:%M}.\n"
              f"They were told to seek urgent care. Please call them.\n\nCheck-in queue: {url}\n"),
        to=[to],
    ).send(fail_silently=True)  # the queue shows it anyway, most urgent first


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

"""Planning reminders when appointments change, and sending them exactly once.

Life of a message row:

    pending --dispatcher--> queued --send task claims--> sending --> sent
       ^                      |                            |  \\--> unknown (worker lost mid-send)
       |                      \\--> cancelled (moved/cancelled visit)
       \\---- transient error, with backoff ----------------+--> failed (permanent, or out of tries)
       \\---- claim abandoned before the provider call ------/   (task lost for good: see _sweep_abandoned)
    skipped: no longer relevant when its time came (visit moved, cancelled, course finished)

The outbox lives in the database, planned in the booking's own transaction, so a message is
never lost when the broker or a worker is down, and the broker only ever carries row ids.
"""

import logging
import uuid
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from kombu.exceptions import OperationalError

from booking import spacing
from booking.emails import ics_for
from booking.links import manage_url as booking_manage_url
from booking.models import Appointment, BookingPolicy, CourseStatus, ServiceKind, Status
from clinic import audit
from clinic.models import Channel, Clinic
from intake import selectors as intake_selectors
from intake.models import IntakeSettings

from . import checkin
from . import plan as timeline
from .models import CheckIn, DeliveryAttempt, Message, MessageStatus, ReminderTemplate
from .sms import SMSError, get_backend
from .texts import DEFAULT_TEXTS

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


def _spacing_rule(clinic) -> spacing.SpacingRule:
    policy = BookingPolicy.objects.filter(clinic=clinic).first() if clinic else None
    return policy.spacing_rule if policy else spacing.SpacingRule()


def _window_last_day(appointment: Appointment, rule: spacing.SpacingRule, tz):
    """The last day the course's next session may fall on, or None when no session follows."""
    course = appointment.course
    if course is None or course.status != CourseStatus.ACTIVE or (appointment.sequence or 0) >= course.planned_sessions:
        return None
    return spacing.allowed_window(appointment.start, tz, rule).last_day


def plan_after_completion(*, appointment: Appointment, now=None) -> list[Message]:
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
        _sweep_abandoned(now)
    return due + stale


def _sweep_abandoned(now) -> None:
    """Settle claims whose task is gone for good (the broker lost it along with its worker).

    A live task finishes a batch in seconds and the broker redelivers a lost one within its
    visibility timeout, so a claim older than REMINDER_ABANDONED_MINUTES has no task left. One that
    never reached the provider goes back to the outbox; one that may have is "unknown", for staff.
    """
    cutoff = now - timedelta(minutes=settings.REMINDER_ABANDONED_MINUTES)
    abandoned = Message.objects.filter(status=MessageStatus.SENDING, updated_at__lt=cutoff).select_for_update(skip_locked=True)
    for message in abandoned:
        if message.provider_called_at is None:
            message.status, message.send_at, message.queued_at = MessageStatus.PENDING, now, None
            outcome, detail = "retry", "its send task was lost before sending; sending again"
        else:
            message.status = MessageStatus.UNKNOWN
            message.last_error = "The worker stopped while sending; it may or may not have gone out."
            outcome, detail = "unknown", "its send task was lost while sending"
        message.claim_token, message.updated_at = "", now
        message.save(update_fields=["status", "send_at", "queued_at", "last_error", "claim_token", "updated_at"])
        _log(message, outcome, detail)


def release(message_ids: list[int]) -> int:
    """Give rows that could not be handed to the broker back to the next dispatch."""
    return Message.objects.filter(pk__in=message_ids, status=MessageStatus.QUEUED).update(
        status=MessageStatus.PENDING, queued_at=None, updated_at=timezone.now()
    )


def _log(message: Message, outcome: str, detail: str = "", by=None) -> None:
    DeliveryAttempt.objects.create(message=message, at=timezone.now(), outcome=outcome, detail=detail[:300], by=by)


class Batch:
    """What one send task shares across its messages: the clinic, the wording, the connections.

    Built per task, so an edit in the admin is seen by the next task.
    """

    def __init__(self, token: str):
        self.token = token  # the task's id: its own redelivery reuses it, another task does not
        self.clinic = Clinic.objects.current()
        self.tz = Clinic.objects.current_time_zone()
        self.spacing = _spacing_rule(self.clinic)
        self.templates = {t.kind: t for t in ReminderTemplate.objects.all()}
        site = settings.SITE_URL
        self.urls = {
            "aftercare_url": site + reverse("aftercare:today"),
            "book_url": site + reverse("booking:start"),
            "reconfirm_url": site + reverse("intake:reconfirm"),
            "checkin_queue_url": site + reverse("aftercare:check_in_queue"),
        }
        self._mail = None
        self._sms = None
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

    def mail(self):
        if self._mail is None:
            self._mail = get_connection()
            self._mail.open()
        return self._mail

    def sms(self):
        if self._sms is None:
            self._sms = get_backend()
        return self._sms

    def drop_mail(self):
        """After an SMTP error the connection may be half-broken: the next message opens a new one."""
        if self._mail is not None:
            try:
                self._mail.close()
            except OSError:
                pass
            self._mail = None

    def close(self):
        self.drop_mail()


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


def _facts(message: Message, appointment: Appointment, now, batch: Batch, next_booked: bool) -> timeline.SendFacts:
    kind = timeline.Kind(message.kind)
    confirmed_at, window = None, timedelta(days=7)
    if kind == timeline.Kind.RECONFIRM:  # few per batch: worth the queries
        confirmed_at = intake_selectors.patient_facts(appointment.patient).last_confirmed_at
        window = timedelta(days=batch.reconfirm_days())
    return timeline.SendFacts(
        kind=kind, status=appointment.status, start=appointment.start,
        planned_for_start=message.planned_for_start, now=now,
        course_continues=_window_last_day(appointment, batch.spacing, batch.tz) is not None,
        next_session_booked=next_booked, health_confirmed_at=confirmed_at, reconfirm_window=window,
    )


@dataclass(frozen=True)
class Outgoing:
    message: Message
    subject: str
    body: str
    calendar: bytes | None = None  # the visit's .ics, attached to a confirmation e-mail


def _claim(message_ids: list[int], batch: Batch) -> tuple[list[Outgoing], dict[int, str]]:
    """Claim the batch's queued messages, re-check their visits under a lock, render them.

    One transaction. Returns what to send, and the final status of the ones that will not be sent.
    A message is ours when this task (this token) claimed it. If the broker handed this task out
    again because its worker was lost, a message the dead worker had started to hand to the
    provider (provider_called_at set) may have gone out: it becomes "unknown", never resent.
    One it had not reached yet is simply sent now.
    """
    now = timezone.now()
    done: dict[int, str] = {}
    with transaction.atomic():
        mine = Message.objects.filter(pk__in=message_ids, status=MessageStatus.SENDING, claim_token=batch.token)
        for message in mine.filter(provider_called_at__isnull=False):
            _log(message, "unknown", "worker lost while sending")
            done[message.pk] = MessageStatus.UNKNOWN
        mine.filter(provider_called_at__isnull=False).update(
            status=MessageStatus.UNKNOWN, updated_at=now,
            last_error="The worker stopped while sending; it may or may not have gone out.",
        )
        Message.objects.filter(pk__in=message_ids, status=MessageStatus.QUEUED).update(
            status=MessageStatus.SENDING, attempts=F("attempts") + 1, claim_token=batch.token, updated_at=now
        )
        messages = list(mine.filter(provider_called_at__isnull=True).select_related("patient").order_by("pk"))
        # Lock the visits: a move or cancellation either committed before this re-check, or waits.
        appointments = Appointment.objects.select_for_update(of=("self",)).select_related(
            "service", "patient", "course", "clinician__staff__user"
        ).in_bulk({m.appointment_id for m in messages})
        next_booked = set(
            Appointment.objects.filter(
                course_id__in={a.course_id for a in appointments.values() if a.course_id},
                status__in=[Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED],
            ).values_list("course_id", "sequence")
        )
        outgoing, skipped = [], []
        for message in messages:
            appointment = appointments[message.appointment_id]
            following = (appointment.course_id, (appointment.sequence or 0) + 1) in next_booked
            ok, reason = timeline.should_send(_facts(message, appointment, now, batch, following))
            channel = message.channel
            if channel == Channel.SMS and not (message.patient.sms_consent and message.patient.phone):
                channel = Channel.EMAIL  # the patient stopped text messages since this was planned
            template = batch.template_for(message.kind)
            if ok and (template is None or not template.is_active or (channel == Channel.SMS and not template.sms_body)):
                ok, reason = False, "reminder switched off"
            if not ok:
                skipped.append((message, reason))
                continue
            subject, body = template.render(channel, _context(appointment, batch))
            if message.kind in timeline.TO_CLINIC:
                recipient = batch.clinic.email if batch.clinic and batch.clinic.email else settings.DEFAULT_FROM_EMAIL
            elif channel == Channel.SMS:
                recipient = message.patient.phone.as_e164
            else:
                recipient = message.patient.email
            message.channel, message.recipient = channel, recipient
            calendar = None
            if message.kind == timeline.Kind.BOOKING_CONFIRMATION and channel == Channel.EMAIL:
                calendar = ics_for([appointment], clinic=batch.clinic)
            outgoing.append(Outgoing(message, subject, body, calendar))
        for message, reason in skipped:
            Message.objects.filter(pk=message.pk).update(status=MessageStatus.SKIPPED, last_error=reason)
            done[message.pk] = MessageStatus.SKIPPED
        DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(message=m, at=now, outcome="skipped", detail=reason) for m, reason in skipped
        )
        if outgoing:
            Message.objects.bulk_update([o.message for o in outgoing], ["channel", "recipient"])
    return outgoing, done


def _still_due(message: Message):
    """The visit as this message was planned for it, checked by the database in the same statement."""
    visit = Appointment.objects.filter(pk=OuterRef("appointment_id"), start=OuterRef("planned_for_start"))
    if timeline.Kind(message.kind) in timeline.PRE_VISIT:
        return Exists(visit.filter(status=Status.BOOKED))
    # After the visit: still completed, and it has really begun.
    return Exists(visit.filter(status=Status.COMPLETED, start__lte=timezone.now()))


def _deliver(outgoing: Outgoing, batch: Batch) -> str:
    message = outgoing.message
    # Last word before the provider: still ours, and the visit has not moved or been cancelled
    # since the re-check. From here until "sent" the outcome is unknown if the worker dies.
    handing = Message.objects.filter(
        pk=message.pk, status=MessageStatus.SENDING, claim_token=batch.token, provider_called_at__isnull=True
    ).filter(_still_due(message)).update(provider_called_at=timezone.now())
    if not handing:
        changed = Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING, claim_token=batch.token).update(
            status=MessageStatus.SKIPPED, last_error="the visit changed while sending"
        )
        if not changed:  # no longer ours: the sweep settled it
            return Message.objects.filter(pk=message.pk).values_list("status", flat=True).first() or "missing"
        _log(message, "skipped", "the visit changed while sending")
        return MessageStatus.SKIPPED
    reference = f"msg-{message.pk}"
    try:
        if message.channel == Channel.SMS:
            provider_id = batch.sms().send(to=message.recipient, body=outgoing.body, reference=reference)
        else:
            email = EmailMessage(subject=outgoing.subject, body=outgoing.body, to=[message.recipient],
                                 headers={"X-Clinic-Message": reference}, connection=batch.mail())
            if outgoing.calendar:
                email.attach("appointment.ics", outgoing.calendar.decode(), "text/calendar; method=PUBLISH; charset=utf-8")
            email.send()
            provider_id = reference
    except SMSError as exc:
        return _failed(message, str(exc), transient=exc.transient)
    except OSError as exc:  # SMTP and socket errors: the server did not take the message
        batch.drop_mail()
        return _failed(message, f"{exc.__class__.__name__}: {exc}", transient=True)
    now = timezone.now()
    Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.SENT, sent_at=now, provider_id=str(provider_id)[:100], last_error="", updated_at=now
    )
    return MessageStatus.SENT


def send_messages(message_ids: list[int], *, token: str | None = None) -> dict[int, str]:
    """Send queued messages; returns each one's status. Safe to run again with the same ids and token."""
    batch = Batch(token or uuid.uuid4().hex)
    sent = []
    try:
        outgoing, results = _claim(message_ids, batch)
        for item in outgoing:
            results[item.message.pk] = _deliver(item, batch)
            if results[item.message.pk] == MessageStatus.SENT:
                sent.append(item.message)
    finally:
        batch.close()
        # The delivery log's "sent" lines, in one insert rather than one per message.
        now = timezone.now()
        DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(message=m, at=now, outcome="sent", detail=m.recipient[:300]) for m in sent
        )
    for message_id in set(message_ids) - set(results):  # not ours: sent already, or another task has it
        results[message_id] = Message.objects.filter(pk=message_id).values_list("status", flat=True).first() or "missing"
    return results


def send_message(message_id: int, *, token: str | None = None) -> str:
    return send_messages([message_id], token=token)[message_id]


def _failed(message: Message, error: str, *, transient: bool) -> str:
    attempts = Message.objects.get(pk=message.pk).attempts
    now = timezone.now()
    if transient and attempts < MAX_ATTEMPTS:
        delay = timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])
        Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
            status=MessageStatus.PENDING, send_at=now + delay, provider_called_at=None, claim_token="",
            last_error=error[:300], updated_at=now,
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
    message.claim_token = ""
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
    now = timezone.now()
    record = CheckIn.objects.create(
        appointment=appointment, patient=appointment.patient, answers=asdict(answers),
        urgency=int(result.urgency), reasons=list(result.reasons), submitted_at=now,
    )
    audit.record(actor=by, action="aftercare.check_in.submitted", patient=appointment.patient, obj=record,
                 details={"urgency": int(result.urgency)})
    if result.alerts_clinic:
        _alert_clinic(appointment, now)
    return record


def _alert_clinic(appointment: Appointment, now) -> None:
    """An e-mail to the clinic through the outbox, so a mail server that is down only delays it
    (retries, then the problems list). Names and links only: the answers stay behind the login."""
    # A second alert while the first still waits is dropped by the outbox's unique constraint.
    _create(appointment, [timeline.Planned(timeline.Kind.CHECK_IN_ALERT, Channel.EMAIL, now)])
    transaction.on_commit(_dispatch_now)


def _dispatch_now() -> None:
    """Hand what is due to the workers at once rather than at beat's next minute."""
    from .tasks import dispatch_reminders  # tasks import this module

    try:
        dispatch_reminders.delay()
    except OperationalError:  # the broker is down: beat dispatches it as soon as the broker is back
        log.warning("broker unavailable: the check-in alert waits for the next dispatch", exc_info=True)


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

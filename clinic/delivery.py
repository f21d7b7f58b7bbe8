"""Sending what the outbox holds, exactly once (clinic/outbox.py is how apps put messages in).

Life of a message row:

    pending --dispatcher--> queued --send task claims--> sending --> sent
       ^                      |                            |  \\--> unknown (worker lost mid-send)
       |                      \\--> cancelled (the owning app withdrew it)
       \\---- transient error, with backoff ----------------+--> failed (permanent, or out of tries)
       \\---- claim abandoned before the provider call ------/   (task lost for good: see _sweep_abandoned)
       \\---- deferred by its renderer (a text due in the quiet hours)
    skipped: no longer right when its time came (visit moved, cancelled, address confirmed...)

The outbox lives in the database, written in the transaction of the change that calls for it, so
a message is never lost when the broker or a worker is down, and the broker only ever carries row
ids. The beat's dispatcher claims due rows (``dispatch_due``); a send task claims its batch with
its own task id (``send_messages``), renders each message with the renderer its kind registered,
and hands it to the provider. Two dispatchers (two beats) claim disjoint rows; a task delivered
twice finds its rows already claimed.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.mime.base import MIMEBase
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError

from . import outbox
from .models import Channel, DeliveryAttempt, MessageStatus, OutboxHealth, OutboxMessage
from .sms import SMSError, get_backend

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Minutes to wait before each retry: well below the broker's visibility timeout, never an ETA task.
BACKOFF_MINUTES = (1, 5, 15, 60)
DISPATCH_BATCH = 500
# Messages per send task: one mail connection serves them all; small enough that a lost worker
# leaves little to redo.
TASK_BATCH = 50


class OutboxError(Exception):
    """A refusal with a message fit to show staff."""


# --- Dispatching ------------------------------------------------------------------------------


def dispatch_due(*, now=None) -> list[int]:
    """Claim the due rows for workers (pending -> queued) and return their ids to enqueue.

    skip_locked lets several dispatchers run at once (two beats) without waiting on or
    double-claiming each other's rows on PostgreSQL; on SQLite writers are serialised anyway.
    Rows queued long ago but never picked up (the broker lost them, or was down when they were
    enqueued) are handed out again; the send task's claim makes a duplicate harmless. Every run
    is stamped on the health row, which the health check and the staff pages read.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            OutboxMessage.objects.filter(status=MessageStatus.PENDING, send_at__lte=now)
            .order_by("send_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:DISPATCH_BATCH]
        )
        OutboxMessage.objects.filter(pk__in=due, status=MessageStatus.PENDING).update(
            status=MessageStatus.QUEUED, queued_at=now, updated_at=now
        )
        stale = list(
            OutboxMessage.objects.filter(
                status=MessageStatus.QUEUED, queued_at__lt=now - timedelta(minutes=settings.REMINDER_REQUEUE_MINUTES)
            )
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:DISPATCH_BATCH]
        )
        OutboxMessage.objects.filter(pk__in=stale).update(queued_at=now, updated_at=now)
        _sweep_abandoned(now)
        _record_run(now, len(due) + len(stale))
    return due + stale


def _record_run(now, handed: int) -> None:
    OutboxHealth.row()  # created on first use (a flushed test database, a database restored without it)
    OutboxHealth.objects.filter(pk=1).update(last_run_at=now, last_run_handed=handed, runs=F("runs") + 1)


def claim_urgent(*, now=None) -> list[int]:
    """Urgent messages that are due, claimed for workers now (pending -> queued)."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            OutboxMessage.objects.filter(status=MessageStatus.PENDING, urgent=True, send_at__lte=now)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:TASK_BATCH]
        )
        OutboxMessage.objects.filter(pk__in=ids, status=MessageStatus.PENDING).update(
            status=MessageStatus.QUEUED, queued_at=now, updated_at=now
        )
    return ids


def batches(ids: list[int]) -> list[list[int]]:
    return [ids[n:n + TASK_BATCH] for n in range(0, len(ids), TASK_BATCH)]


def hand_out(ids: list[int]) -> int:
    """Publish send tasks for claimed ids; what the broker would not take goes back to the outbox."""
    from .tasks import send_outbox  # tasks import this module

    handed = 0
    for batch in batches(ids):
        try:
            send_outbox.delay(batch)
        except OperationalError:
            release(ids[handed:])
            log.warning("broker unavailable: %d messages wait in the outbox", len(ids) - handed)
            break
        handed += len(batch)
    return handed


def hand_out_urgent() -> int:
    """After a commit that wrote an urgent message: claim it and hand it to a worker at once."""
    return hand_out(claim_urgent())


def _sweep_abandoned(now) -> None:
    """Settle claims whose task is gone for good (the broker lost it along with its worker).

    A live task finishes a batch in seconds and the broker redelivers a lost one within its
    visibility timeout, so a claim older than REMINDER_ABANDONED_MINUTES has no task left. One that
    never reached the provider goes back to the outbox; one that may have is "unknown", for staff.
    Settling a claim early never sends twice: the old task's hand-over checks its own claim token.
    """
    cutoff = now - timedelta(minutes=settings.REMINDER_ABANDONED_MINUTES)
    abandoned = OutboxMessage.objects.filter(status=MessageStatus.SENDING, updated_at__lt=cutoff).select_for_update(skip_locked=True)
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
        log_attempt(message, outcome, detail)


def release(message_ids: list[int]) -> int:
    """Give rows that could not be handed to the broker back to the next dispatch."""
    return OutboxMessage.objects.filter(pk__in=message_ids, status=MessageStatus.QUEUED).update(
        status=MessageStatus.PENDING, queued_at=None, updated_at=timezone.now()
    )


def cancel(messages, *, reason: str) -> int:
    """Withdraw messages not yet with a worker (a visit moved or cancelled); one already claimed
    re-checks with its kind's renderer and ``still_due`` itself."""
    waiting = list(messages.filter(status__in=[MessageStatus.PENDING, MessageStatus.QUEUED]).values_list("pk", flat=True))
    now = timezone.now()
    OutboxMessage.objects.filter(pk__in=waiting, status__in=[MessageStatus.PENDING, MessageStatus.QUEUED]).update(
        status=MessageStatus.CANCELLED, last_error=reason[:300], updated_at=now
    )
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(message_id=pk, at=now, outcome="cancelled", detail=reason[:300]) for pk in waiting
    )
    return len(waiting)


def log_attempt(message, outcome: str, detail: str = "", by=None) -> None:
    DeliveryAttempt.objects.create(message_id=message.pk, at=timezone.now(), outcome=outcome, detail=detail[:300], by=by)


# --- Sending ----------------------------------------------------------------------------------


class Connections:
    """What one send task shares across its messages: the mail connection and the SMS backend."""

    def __init__(self):
        self._mail = None
        self._sms = None

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


@dataclass(frozen=True)
class Outgoing:
    message: OutboxMessage
    rendered: outbox.Rendered


def _claim(message_ids: list[int], token: str) -> tuple[list[Outgoing], dict[int, str]]:
    """Claim the batch's queued messages and render them, in one transaction.

    Returns what to send, and the final status of the ones that will not be sent. A message is
    ours when this task (this token) claimed it. If the broker handed this task out again because
    its worker was lost, a message the dead worker had started to hand to the provider
    (provider_called_at set) may have gone out: it becomes "unknown", never resent. One it had not
    reached yet is simply sent now. Renderers run inside this transaction, so what they lock (a
    visit) stays as they saw it until the claim commits.
    """
    now = timezone.now()
    done: dict[int, str] = {}
    with transaction.atomic():
        mine = OutboxMessage.objects.filter(pk__in=message_ids, status=MessageStatus.SENDING, claim_token=token)
        for message in mine.filter(provider_called_at__isnull=False):
            log_attempt(message, "unknown", "worker lost while sending")
            done[message.pk] = MessageStatus.UNKNOWN
        mine.filter(provider_called_at__isnull=False).update(
            status=MessageStatus.UNKNOWN, updated_at=now,
            last_error="The worker stopped while sending; it may or may not have gone out.",
        )
        OutboxMessage.objects.filter(pk__in=message_ids, status=MessageStatus.QUEUED).update(
            status=MessageStatus.SENDING, attempts=F("attempts") + 1, claim_token=token, updated_at=now
        )
        messages = list(mine.filter(provider_called_at__isnull=True).select_related("about_type").order_by("pk"))
        # One call per renderer: aftercare renders all its kinds of the batch together.
        results: dict[int, object] = {}
        groups: dict[int, tuple[outbox.BatchRenderer, list[OutboxMessage]]] = {}
        for message in messages:
            spec = _spec_or_none(message.kind)
            if spec is None:
                results[message.pk] = OutboxError(f"no renderer is registered for {message.kind!r}")
                continue
            groups.setdefault(id(spec.render_batch), (spec.render_batch, []))[1].append(message)
        for render, group in groups.values():
            try:
                with transaction.atomic():  # a savepoint: a renderer's failure must not poison the claim
                    results.update(render([outbox.request_for(m) for m in group]))
            except Exception as exc:  # a bug or bad wording: failed (problems list), never a crash loop
                log.exception("outbox renderer failed for messages %s", [m.pk for m in group])
                for message in group:
                    results[message.pk] = OutboxError(f"could not be worded ({exc.__class__.__name__})")
        outgoing, skipped, deferred, broken = [], [], [], []
        for message in messages:
            result = results.get(message.pk)
            if isinstance(result, outbox.Rendered):
                message.channel = result.channel or message.channel
                message.recipient = result.to[:254]
                outgoing.append(Outgoing(message, result))
            elif isinstance(result, outbox.Defer):
                deferred.append((message, result))
            elif isinstance(result, OutboxError):
                broken.append((message, str(result)))
            else:
                skipped.append((message, str(result) if isinstance(result, outbox.Skip) else "nothing to send any more"))
        for message, reason in skipped:
            OutboxMessage.objects.filter(pk=message.pk).update(status=MessageStatus.SKIPPED, last_error=reason[:300], updated_at=now)
            done[message.pk] = MessageStatus.SKIPPED
        for message, defer in deferred:
            OutboxMessage.objects.filter(pk=message.pk).update(
                status=MessageStatus.PENDING, send_at=defer.until, queued_at=None, claim_token="",
                attempts=F("attempts") - 1, last_error="", updated_at=now,
            )
            done[message.pk] = MessageStatus.PENDING
        for message, error in broken:
            OutboxMessage.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED, last_error=error[:300], updated_at=now)
            done[message.pk] = MessageStatus.FAILED
        DeliveryAttempt.objects.bulk_create(
            [DeliveryAttempt(message=m, at=now, outcome="skipped", detail=reason[:300]) for m, reason in skipped]
            + [DeliveryAttempt(message=m, at=now, outcome="deferred", detail=str(d)[:300]) for m, d in deferred]
            + [DeliveryAttempt(message=m, at=now, outcome="failed", detail=e[:300]) for m, e in broken]
        )
        if outgoing:
            OutboxMessage.objects.bulk_update([o.message for o in outgoing], ["channel", "recipient"])
    return outgoing, done


def _spec_or_none(name: str):
    try:
        return outbox.kind(name)
    except LookupError:
        return None


def _attachment(filename: str, content: bytes, mimetype: str) -> MIMEBase:
    """One MIME part per attachment, its charset named once. Text is base64-encoded, so its bytes
    (a calendar file's CRLF line ends) arrive exactly as they were made."""
    main, _, rest = mimetype.partition(";")
    maintype, _, subtype = main.strip().partition("/")
    params = [p.strip().partition("=") for p in rest.split(";") if p.strip()]
    if maintype == "text":
        part = MIMEText(content.decode("utf-8"), subtype, "utf-8")
    else:
        from email import encoders

        part = MIMEBase(maintype, subtype)
        part.set_payload(content)
        encoders.encode_base64(part)
    for key, _, value in params:
        if key.lower() != "charset":
            part.set_param(key, value.strip('"'))
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def _deliver(outgoing: Outgoing, token: str, connections: Connections) -> str:
    message, rendered = outgoing.message, outgoing.rendered
    # Last word before the provider: still ours, and (per kind) what it is about has not changed
    # since the renderer's re-check. From here until "sent" the outcome is unknown if the worker dies.
    handing = OutboxMessage.objects.filter(
        pk=message.pk, status=MessageStatus.SENDING, claim_token=token, provider_called_at__isnull=True
    )
    spec = outbox.kind(message.kind)
    if spec.still_due is not None:
        handing = handing.filter(spec.still_due(message.kind))
    if not handing.update(provider_called_at=timezone.now()):
        changed = OutboxMessage.objects.filter(pk=message.pk, status=MessageStatus.SENDING, claim_token=token).update(
            status=MessageStatus.SKIPPED, last_error="what it is about changed while sending"
        )
        if not changed:  # no longer ours: the sweep settled it
            return OutboxMessage.objects.filter(pk=message.pk).values_list("status", flat=True).first() or "missing"
        log_attempt(message, "skipped", "what it is about changed while sending")
        return MessageStatus.SKIPPED
    reference = f"msg-{message.pk}"
    try:
        if message.channel == Channel.SMS:
            provider_id = connections.sms().send(to=message.recipient, body=rendered.body, reference=reference)
        else:
            email = EmailMessage(subject=rendered.subject, body=rendered.body, to=[message.recipient],
                                 headers={"X-Clinic-Message": reference}, connection=connections.mail())
            for filename, content, mimetype in rendered.attachments:
                email.attach(_attachment(filename, content, mimetype))
            email.send()
            provider_id = reference
    except SMSError as exc:
        return _failed(message, str(exc), transient=exc.transient)
    except OSError as exc:  # SMTP and socket errors: the server did not take the message
        connections.drop_mail()
        return _failed(message, f"{exc.__class__.__name__}: {exc}", transient=True)
    now = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.SENT, sent_at=now, provider_id=str(provider_id)[:100], last_error="", updated_at=now
    )
    return MessageStatus.SENT


def send_messages(message_ids: list[int], *, token: str | None = None) -> dict[int, str]:
    """Send queued messages; returns each one's status. Safe to run again with the same ids and token."""
    token = token or uuid.uuid4().hex
    connections = Connections()
    sent = []
    results: dict[int, str] = {}
    try:
        outgoing, results = _claim(message_ids, token)
        for item in outgoing:
            results[item.message.pk] = _deliver(item, token, connections)
            if results[item.message.pk] == MessageStatus.SENT:
                sent.append(item.message)
    finally:
        connections.close()
        # The delivery log's "sent" lines, in one insert rather than one per message.
        now = timezone.now()
        DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(message=m, at=now, outcome="sent", detail=m.recipient[:300]) for m in sent
        )
    for message_id in set(message_ids) - set(results):  # not ours: sent already, or another task has it
        results[message_id] = OutboxMessage.objects.filter(pk=message_id).values_list("status", flat=True).first() or "missing"
    return results


def send_message(message_id: int, *, token: str | None = None) -> str:
    return send_messages([message_id], token=token)[message_id]


def _failed(message: OutboxMessage, error: str, *, transient: bool) -> str:
    attempts = OutboxMessage.objects.get(pk=message.pk).attempts
    now = timezone.now()
    if transient and attempts < MAX_ATTEMPTS:
        delay = timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])
        OutboxMessage.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
            status=MessageStatus.PENDING, send_at=now + delay, provider_called_at=None, claim_token="",
            last_error=error[:300], updated_at=now,
        )
        log_attempt(message, "retry", f"{error} (next try in {int(delay.total_seconds() // 60)} min)")
        return MessageStatus.PENDING
    OutboxMessage.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.FAILED, provider_called_at=None, last_error=error[:300], updated_at=now
    )
    log_attempt(message, "failed", error)
    log.warning("outbox message %s failed for good: %s", message.pk, error)
    return MessageStatus.FAILED


@transaction.atomic
def message_resend(*, message: OutboxMessage, by) -> OutboxMessage:
    """Staff send a failed or unknown message again, knowingly: it goes out on the next dispatch."""
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if message.status not in (MessageStatus.FAILED, MessageStatus.UNKNOWN):
        raise OutboxError(_("Only a failed message, or one whose delivery is unknown, can be sent again."))
    message.status = MessageStatus.PENDING
    message.send_at = timezone.now()
    message.attempts = 0
    message.provider_called_at = None
    message.claim_token = ""
    message.last_error = ""
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        raise OutboxError(_("This message has been planned again already.")) from None
    log_attempt(message, "resend", "sent again by staff", by=by)
    return message

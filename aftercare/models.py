"""Reminder wording, the outbox of due messages, and what patients answer at their check-in."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.template import Context, Template
from django.utils.functional import cached_property

from clinic.models import Channel, Patient

from .plan import Kind


class ReminderTemplate(models.Model):
    """The clinic's wording of one kind of reminder; a Django template per channel."""

    kind = models.CharField(max_length=40, choices=[(k.value, k.value.replace("_", " ").capitalize()) for k in Kind], unique=True)
    is_active = models.BooleanField(default=True, help_text="Switched off, this reminder is not planned at all.")
    email_subject = models.CharField(max_length=200)
    email_body = models.TextField()
    sms_body = models.CharField(
        max_length=320, blank=True, help_text="Never put health details in a text message. Empty: e-mail only."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind"]

    def __str__(self):
        return self.get_kind_display()

    @cached_property
    def _compiled(self) -> dict[str, Template]:
        return {"subject": Template(self.email_subject), "email": Template(self.email_body), "sms": Template(self.sms_body)}

    def render(self, channel: str, context: dict) -> tuple[str, str]:
        """(subject, body) for the channel; the subject is empty for text messages."""
        ctx = Context(context, autoescape=False)
        if channel == Channel.SMS:
            return "", self._compiled["sms"].render(ctx).strip()
        subject = " ".join(self._compiled["subject"].render(ctx).split())  # one line, always
        return subject, self._compiled["email"].render(ctx).strip() + "\n"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Waiting for its time"
    QUEUED = "queued", "Handed to a worker"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    UNKNOWN = "unknown", "Unknown: the worker stopped while the provider had it"
    CANCELLED = "cancelled", "Cancelled"
    SKIPPED = "skipped", "Not sent: no longer relevant"


# Rows that count as "this message exists": a second one for the same visit time is refused.
LIVE_STATUSES = [
    MessageStatus.PENDING, MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT,
    MessageStatus.FAILED, MessageStatus.UNKNOWN,
]


class Message(models.Model):
    """One reminder for one appointment on one channel: the outbox the Celery beat drains.

    Planned in the same transaction as the booking change that calls for it; rendered only when
    sent, from the appointment as it is then.
    """

    appointment = models.ForeignKey("booking.Appointment", on_delete=models.CASCADE, related_name="messages")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=40, choices=ReminderTemplate._meta.get_field("kind").choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    send_at = models.DateTimeField()
    # The visit's start when this was planned: the sender refuses it if the visit has moved since.
    planned_for_start = models.DateTimeField()
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    # The send task that claimed it; a redelivery of that same task finds it here.
    claim_token = models.CharField(max_length=64, blank=True)
    # Set just before the provider is called: a worker lost before it never reached the provider,
    # so the message may go again; one lost after it may have gone out (status "unknown").
    provider_called_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["send_at", "pk"]
        permissions = [("view_delivery_log", "May see patients' reminder delivery log and resend failed messages")]
        indexes = [
            # The dispatcher's query: due rows by time, among the few still waiting.
            models.Index(fields=["send_at"], name="message_due_idx", condition=Q(status="pending")),
            models.Index(fields=["status", "queued_at"], name="message_status_idx"),
            models.Index(fields=["patient", "-created_at"], name="message_patient_idx"),
        ]
        constraints = [
            # At most once per visit time, kind and channel, whatever races or retries happen.
            models.UniqueConstraint(
                fields=["appointment", "kind", "channel", "planned_for_start"],
                condition=Q(status__in=LIVE_STATUSES),
                name="message_once_per_visit_kind_channel",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.channel} for {self.patient} at {self.send_at:%Y-%m-%d %H:%M} UTC"


class DeliveryAttempt(models.Model):
    """The delivery log staff see: every try, its outcome and error, per message."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    outcome = models.CharField(max_length=20)  # sent, retry, failed, skipped, unknown, resend
    detail = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["at", "pk"]


class CheckInUrgency(models.IntegerChoices):
    EXPECTED = 0, "Expected effects"
    CLINICIAN = 1, "For the clinician"
    URGENT = 2, "Urgent: possible clot"
    EMERGENCY = 3, "Emergency signs"


class CheckIn(models.Model):
    """What the patient answered a few days after a session, and where it was routed."""

    appointment = models.ForeignKey("booking.Appointment", on_delete=models.CASCADE, related_name="check_ins")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="check_ins")
    answers = models.JSONField()
    urgency = models.PositiveSmallIntegerField(choices=CheckInUrgency.choices)
    reasons = models.JSONField(default=list)
    submitted_at = models.DateTimeField()
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    handling_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-urgency", "submitted_at"]
        indexes = [models.Index(fields=["handled_at", "-urgency"], name="checkin_queue_idx")]

    def __str__(self):
        return f"Check-in of {self.patient} on {self.submitted_at:%Y-%m-%d}"

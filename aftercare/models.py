"""Reminder wording, the clinic's message settings, and what patients answer at their check-in.

The messages themselves are rows of the clinic's outbox (clinic.models.OutboxMessage)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.template import Context, Template
from django.utils.functional import cached_property

from clinic.models import Channel, Clinic, Patient

from .plan import Kind, QuietHours


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


class MessageSettings(models.Model):
    """One clinic's settings for messages to patients. Without a row the defaults apply (``for_clinic``).

    Quiet hours: no text message goes out between ``sms_quiet_start`` and ``sms_quiet_end``
    (clinic time); one due then waits until the end. ``SMS_QUIET_HOURS`` is only the default.
    """

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="message_settings")
    sms_quiet_start = models.TimeField("no texts from", help_text="Clinic time, e.g. 21:00.")
    sms_quiet_end = models.TimeField("until", help_text="Clinic time, e.g. 08:00. Texts due in between wait until then.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "message settings"
        verbose_name_plural = "message settings"
        constraints = [
            # Equal ends would mean "never quiet" or "always quiet": neither is a setting.
            models.CheckConstraint(condition=~Q(sms_quiet_start=F("sms_quiet_end")), name="message_settings_quiet_hours_differ"),
        ]

    def __str__(self):
        return f"Message settings of {self.clinic}"

    @classmethod
    def for_clinic(cls, clinic: Clinic | None = None) -> "MessageSettings":
        """The saved settings of the (current) clinic, or an unsaved row holding the defaults."""
        clinic = clinic if clinic is not None else Clinic.objects.current()
        saved = cls.objects.filter(clinic=clinic).first() if clinic is not None else None
        if saved is not None:
            return saved
        start, end = settings.SMS_QUIET_HOURS
        return cls(clinic=clinic, sms_quiet_start=start, sms_quiet_end=end)

    @property
    def quiet_hours(self) -> QuietHours:
        return QuietHours(start=self.sms_quiet_start, end=self.sms_quiet_end)


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

"""People and places every other app stands on: the clinic, its rooms and hours, staff, patients."""

from datetime import date
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from . import scope


class UserManager(BaseUserManager):
    """Users log in with their e-mail address; addresses are compared without regard to case."""

    use_in_migrations = True

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("email_verified_at", timezone.now())
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None
    email = models.EmailField("e-mail address", unique=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        constraints = [
            # unique=True alone lets "Ann@x.org" and "ann@x.org" be two accounts.
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self):
        return self.get_full_name() or self.email

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def role(self) -> str | None:
        """The staff role, or None for patients and users without one."""
        staff = getattr(self, "staff", None)
        return staff.role if staff and staff.is_active else None


class ClinicManager(models.Manager):
    CACHE_KEY = "clinic:current-time-zone"

    def current(self):
        """The clinic this installation runs (one per installation), or None before setup.

        Read once per request (clinic.scope), however many parts of the page ask.
        """
        return scope.once("clinic", lambda: self.order_by("pk").first())

    def current_time_zone(self) -> ZoneInfo:
        name = cache.get(self.CACHE_KEY)
        if name is None:
            clinic = self.current()
            name = clinic.time_zone if clinic else settings.CLINIC_TIME_ZONE
            cache.set(self.CACHE_KEY, name, 300)
        return ZoneInfo(name)


def validate_time_zone(value):
    if value not in available_timezones():
        raise ValidationError("%(value)s is not a known time zone, e.g. America/Los_Angeles.", params={"value": value})


class Clinic(models.Model):
    name = models.CharField(max_length=120)
    address = models.TextField(help_text="Street, city and postcode, as patients should see it.")
    phone = PhoneNumberField()
    email = models.EmailField(blank=True)
    time_zone = models.CharField(
        max_length=64,
        default=settings.CLINIC_TIME_ZONE,
        validators=[validate_time_zone],
        help_text="Every date and time is shown in this zone.",
    )

    objects = ClinicManager()

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        cache.delete(ClinicManager.CACHE_KEY)  # every page shows times in this zone
        scope.forget("clinic")  # the rest of this request reads the row as saved

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class OpeningHours(models.Model):
    """The clinic's doors: a weekday may have several intervals (e.g. closed for lunch)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(condition=models.Q(opens__lt=models.F("closes")), name="opening_hours_opens_before_closes"),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="opening_hours_weekday_valid"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Room(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=60)
    is_active = models.BooleanField(default=True, help_text="Inactive rooms are never booked.")
    notes = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint("clinic", Lower("name"), name="room_name_unique_per_clinic")]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    FRONT_DESK = "front_desk", "Front desk"
    CLINICIAN = "clinician", "Clinician"
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"


# The auth Group that carries each role's permissions; created by migration clinic.0002.
ROLE_GROUPS = {
    Role.FRONT_DESK: "Front desk",
    Role.CLINICIAN: "Clinicians",
    Role.CLINIC_ADMIN: "Clinic admins",
}


class StaffMember(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff")
    role = models.CharField(max_length=20, choices=Role.choices)
    phone = PhoneNumberField(blank=True)
    is_active = models.BooleanField(default=True, help_text="Inactive staff cannot use staff pages.")

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        permissions = [("reset_second_factor", "Can reset a staff member's two-factor sign-in")]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"


class Clinician(models.Model):
    """A staff member who sees patients: appears in calendars and can be booked."""

    staff = models.OneToOneField(StaffMember, on_delete=models.CASCADE, related_name="clinician")
    title = models.CharField(max_length=60, blank=True, help_text='Shown to patients, e.g. "RN" or "MD".')
    bio = models.TextField(blank=True)
    is_bookable = models.BooleanField(default=True, help_text="Offered to patients booking online.")

    class Meta:
        ordering = ["staff__user__last_name", "staff__user__first_name"]

    def __str__(self):
        name = self.staff.user.get_full_name() or self.staff.user.email
        return f"{name}, {self.title}" if self.title else name


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "Text message (SMS)"


class Patient(models.Model):
    # A patient booked over the phone may have no account (yet); one account is one patient.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="patient"
    )
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    date_of_birth = models.DateField()
    email = models.EmailField()
    phone = PhoneNumberField(blank=True)
    preferred_channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    sms_consent = models.BooleanField("agrees to text messages", default=False)
    sms_consent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(Lower("last_name"), Lower("first_name"), name="patient_name_idx")]
        constraints = [
            # Texting someone who never agreed to it, or has no number, is never allowed.
            models.CheckConstraint(
                condition=~models.Q(preferred_channel="sms") | (models.Q(sms_consent=True) & ~models.Q(phone="")),
                name="patient_sms_needs_consent_and_phone",
            ),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def get_absolute_url(self):
        return reverse("patient_detail", args=[self.pk])

    def age_on(self, day: date) -> int:
        years = day.year - self.date_of_birth.year
        return years - ((day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day))

    def clean(self):
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            raise ValidationError({"date_of_birth": "The date of birth cannot be in the future."})
        if self.preferred_channel == Channel.SMS and not (self.sms_consent and self.phone):
            raise ValidationError(
                {"preferred_channel": "Text messages need a mobile number and your agreement to receive them."}
            )


class AuditEvent(models.Model):
    """Who did what to whose records, and when. Written by clinic.audit.record(); never edited.

    `details` holds ids, codes, decisions and staff's notes on a change: never health answers,
    so the log itself can be shown to any auditor.
    """

    # PROTECT: the trail is append-only (a trigger refuses UPDATE), so people it names are
    # switched off, never deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=80, help_text='Namespaced, e.g. "intake.answers.viewed".')
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    object_type = models.CharField(max_length=80, blank=True, help_text='"app_label.model" of the object.')
    object_id = models.CharField(max_length=40, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            # "Who looked at this patient's records?" is the question an auditor asks most.
            models.Index(fields=["patient", "-at"], name="audit_patient_at_idx"),
            models.Index(fields=["action", "-at"], name="audit_action_at_idx"),
        ]
        constraints = [models.CheckConstraint(condition=~models.Q(action=""), name="audit_action_not_empty")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} by {self.actor or 'system'}"

    @property
    def note(self) -> str:
        """Staff's note on a change (e.g. why a session was booked outside its window)."""
        return str(self.details.get("note", "")) if isinstance(self.details, dict) else ""

# --- The outbox: every e-mail and text message the app sends (clinic/outbox.py) ---------------


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Waiting for its time"
    QUEUED = "queued", "Handed to a worker"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    UNKNOWN = "unknown", "Unknown: the worker stopped while the provider had it"
    CANCELLED = "cancelled", "Cancelled"
    SKIPPED = "skipped", "Not sent: no longer relevant"


# Rows that count as "this message exists": a second one for the same object, time, kind and
# channel is refused by the database.
LIVE_STATUSES = [
    MessageStatus.PENDING, MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT,
    MessageStatus.FAILED, MessageStatus.UNKNOWN,
]
PROBLEM_STATUSES = [MessageStatus.FAILED, MessageStatus.UNKNOWN]


class OutboxMessage(models.Model):
    """One e-mail or text message: asked for by kind and ids, rendered only when it is sent.

    Written in the same transaction as the change that calls for it (``outbox.enqueue``), drained
    by the Celery beat's dispatcher and the workers (clinic/delivery.py), exactly once. Nothing
    but ids and small parameters wait here: never health data.
    """

    kind = models.CharField(max_length=60)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, null=True, blank=True, related_name="messages")
    # What the message is about (a visit, a waiting-list entry, a decision), if anything.
    about_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    about_id = models.PositiveBigIntegerField(null=True, blank=True)
    about = GenericForeignKey("about_type", "about_id")
    # The time of what it is about when it was planned (a visit's start): the sender refuses the
    # message if that time has changed since (see the kind's ``still_due``).
    planned_for = models.DateTimeField(null=True, blank=True)
    params = models.JSONField(default=dict, blank=True)  # small, JSON-safe, never health data
    urgent = models.BooleanField(default=False, help_text="Someone is waiting for it: handed to a worker at once.")
    send_at = models.DateTimeField()
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
        permissions = [("view_delivery_log", "May see the messages sent to patients and the clinic, and send failed ones again")]
        indexes = [
            # The dispatcher's query, and the health check's oldest due message: due rows by time,
            # among the few still waiting.
            models.Index(fields=["send_at"], name="outbox_due_idx", condition=Q(status="pending")),
            models.Index(fields=["status", "queued_at"], name="outbox_status_idx"),
            models.Index(fields=["patient", "-created_at"], name="outbox_patient_idx"),
            models.Index(fields=["about_type", "about_id"], name="outbox_about_idx"),
        ]
        constraints = [
            # At most once per object, time, kind and channel, whatever races or retries happen.
            # Rows without a planned time (NULL) are not held to it: NULLs never collide.
            models.UniqueConstraint(
                fields=["about_type", "about_id", "kind", "channel", "planned_for"],
                condition=Q(status__in=LIVE_STATUSES),
                name="outbox_once_per_object_time_kind_channel",
            ),
        ]

    def __str__(self):
        return f"{self.kind} by {self.channel} at {self.send_at:%Y-%m-%d %H:%M} UTC ({self.status})"

    @property
    def kind_label(self) -> str:
        from . import outbox

        return outbox.label_for(self.kind)


class DeliveryAttempt(models.Model):
    """The delivery log staff see: every try, its outcome and error, per message."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    outcome = models.CharField(max_length=20)  # sent, retry, failed, skipped, unknown, resend, cancelled, deferred
    detail = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["at", "pk"]


class OutboxHealth(models.Model):
    """One row: when the dispatcher last ran, and whether the clinic admin was told it stopped.

    The dispatcher stamps it on every run; the health check (clinic/health.py) reads it. The
    alarm columns are claimed with a conditional update, so one e-mail goes per stall however
    many web processes notice it at once.
    """

    last_run_at = models.DateTimeField(null=True, blank=True)
    last_run_handed = models.PositiveIntegerField(default=0)  # messages handed to workers by that run
    runs = models.PositiveBigIntegerField(default=0)
    alarm_raised_at = models.DateTimeField(null=True, blank=True)
    alarm_cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="outbox_health_single_row")]

    @classmethod
    def row(cls) -> "OutboxHealth":
        return cls.objects.get_or_create(pk=1)[0]

"""Services, clinicians' hours, courses and appointments.

Times are stored in UTC and shown in the clinic's zone. Each appointment also stores the range it
blocks (``blocked_start``/``blocked_end``: the visit plus its service's buffers); the calendars'
no-overlap rule is enforced on that range by the database itself (see booking/db_guards.py).
"""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from clinic.models import Clinic, Clinician, Patient, Room, Weekday

from . import availability, spacing


class ServiceKind(models.TextChoices):
    CONSULTATION = "consultation", "Consultation"
    SESSION = "session", "Treatment session"
    REVIEW = "review", "Review visit"


class Service(models.Model):
    """Something a patient can book. Sessions belong to a treatment course."""

    name = models.CharField(max_length=80)
    slug = models.SlugField(unique=True, help_text="Used in the booking address, e.g. /booking/consultation/.")
    kind = models.CharField(max_length=20, choices=ServiceKind.choices)
    description = models.TextField(blank=True, help_text="One or two sentences shown to patients.")
    duration_minutes = models.PositiveSmallIntegerField()
    buffer_before_minutes = models.PositiveSmallIntegerField(default=0, help_text="Set-up time kept free before.")
    buffer_after_minutes = models.PositiveSmallIntegerField(default=0, help_text="Clean-up time kept free after.")
    price = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0.00"))
    needs_screening = models.BooleanField(
        default=False, help_text="Only patients with a cleared, recent screening may book it."
    )
    needs_room = models.BooleanField(default=True, help_text="Takes a free treatment room as well as a clinician.")
    clinicians = models.ManyToManyField(Clinician, related_name="services", blank=True, help_text="Who performs it.")
    bookable_online = models.BooleanField(default=True, help_text="Patients may book it themselves.")
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the booking page.")

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(duration_minutes__gt=0), name="service_duration_positive"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_course_session(self) -> bool:
        return self.kind == ServiceKind.SESSION

    @property
    def spec(self) -> availability.ServiceSpec:
        return availability.ServiceSpec(
            duration=timedelta(minutes=self.duration_minutes),
            buffer_before=timedelta(minutes=self.buffer_before_minutes),
            buffer_after=timedelta(minutes=self.buffer_after_minutes),
            needs_room=self.needs_room,
        )


class WorkingHours(models.Model):
    """A clinician's weekly hours (local wall-clock times); a weekday may have several intervals."""

    clinician = models.ForeignKey(Clinician, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["clinician", "weekday", "starts"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(condition=Q(starts__lt=F("ends")), name="working_hours_starts_before_ends"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="working_hours_weekday_valid"),
        ]

    def __str__(self):
        return f"{self.clinician}: {self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class TimeOff(models.Model):
    clinician = models.ForeignKey(Clinician, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=120, blank=True, help_text="Staff only, e.g. holiday, training.")

    class Meta:
        ordering = ["start"]
        verbose_name_plural = "time off"
        indexes = [models.Index(fields=["start", "end"], name="time_off_range_idx")]
        constraints = [models.CheckConstraint(condition=Q(start__lt=F("end")), name="time_off_start_before_end")]

    def __str__(self):
        return f"{self.clinician}: {self.start:%Y-%m-%d %H:%M} – {self.end:%Y-%m-%d %H:%M}"


class ClinicClosure(models.Model):
    """A whole local date the clinic is closed (public holiday, training day)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["clinic", "date"], name="closure_unique_per_day")]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.reason}".strip()


# The dates the calendars and booking accept at all: anything else (year 1, year 9999) is a typo,
# refused politely long before date arithmetic reaches the limits of Python's dates.
FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2100, 12, 31)

# The widest values the clinic settings accept; the database refuses anything beyond them too.
SPACING_DAYS_MAX = 365  # no clinic spaces sessions a year apart: such a value is a typo
NOTICE_HOURS_MAX = 24 * 30
HORIZON_DAYS_MAX = 730
HOLD_MINUTES_MAX = 60
SLOT_STEPS = (5, 10, 15, 20, 30, 60)  # minutes; each divides an hour, so the grid lines up
COURSE_SESSIONS_MAX = 10  # as TreatmentCourse's course_length_sane
WAITLIST_NOTIFY_MAX = 20


class BookingPolicy(models.Model):
    """The clinic's booking and spacing rules; one row per clinic, created on first use."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="booking_policy")
    min_days_between_sessions = models.PositiveSmallIntegerField(default=14)
    max_days_between_sessions = models.PositiveSmallIntegerField(default=42)
    notice_hours = models.PositiveSmallIntegerField(
        default=24, help_text="Patients book, move and cancel online at least this long before a visit."
    )
    horizon_days = models.PositiveSmallIntegerField(default=90, help_text="How far ahead patients may book.")
    slot_step_minutes = models.PositiveSmallIntegerField(default=15)
    hold_minutes = models.PositiveSmallIntegerField(default=10, help_text="How long a chosen time is kept while confirming.")
    course_sessions_default = models.PositiveSmallIntegerField(default=spacing.DEFAULT_SESSIONS)
    course_sessions_min = models.PositiveSmallIntegerField(default=spacing.MIN_SESSIONS)
    course_sessions_max = models.PositiveSmallIntegerField(default=spacing.MAX_SESSIONS)
    waitlist_notify_count = models.PositiveSmallIntegerField(
        default=3, help_text="How many waiting patients are told when a matching time frees up."
    )

    class Meta:
        verbose_name_plural = "booking policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(min_days_between_sessions__gte=1)
                & Q(max_days_between_sessions__gte=F("min_days_between_sessions"))
                & Q(max_days_between_sessions__lte=SPACING_DAYS_MAX),
                name="policy_spacing_valid",
                violation_error_message="Sessions must be 1 to 365 days apart, the longest gap no shorter than the shortest.",
            ),
            models.CheckConstraint(
                condition=Q(course_sessions_min__gte=1)
                & Q(course_sessions_max__gte=F("course_sessions_min"))
                & Q(course_sessions_max__lte=COURSE_SESSIONS_MAX)
                & Q(course_sessions_default__gte=F("course_sessions_min"))
                & Q(course_sessions_default__lte=F("course_sessions_max")),
                name="policy_course_length_valid",
                violation_error_message="A course has 1 to 10 sessions, and the usual number lies between the fewest and the most.",
            ),
            models.CheckConstraint(
                condition=Q(slot_step_minutes__in=SLOT_STEPS)
                & Q(horizon_days__gte=1)
                & Q(horizon_days__lte=HORIZON_DAYS_MAX)
                & Q(hold_minutes__gte=1)
                & Q(hold_minutes__lte=HOLD_MINUTES_MAX)
                & Q(notice_hours__lte=NOTICE_HOURS_MAX)
                & Q(waitlist_notify_count__lte=WAITLIST_NOTIFY_MAX),
                name="policy_slots_valid",
                violation_error_message="Check the slot step, horizon, hold time, notice and waiting-list number: one is out of range.",
            ),
        ]

    def __str__(self):
        return f"Booking rules of {self.clinic}"

    def clean(self):
        if self.max_days_between_sessions < self.min_days_between_sessions:
            raise ValidationError("The longest gap between sessions cannot be shorter than the shortest.")
        if not self.course_sessions_min <= self.course_sessions_default <= self.course_sessions_max:
            raise ValidationError("The usual course length must lie between the shortest and the longest.")

    @property
    def spacing_rule(self) -> spacing.SpacingRule:
        return spacing.SpacingRule(self.min_days_between_sessions, self.max_days_between_sessions)

    @property
    def notice(self) -> timedelta:
        return timedelta(hours=self.notice_hours)

    @property
    def hold_duration(self) -> timedelta:
        return timedelta(minutes=self.hold_minutes)

    def slot_policy(self, *, notice: timedelta | None = None, horizon: timedelta | None = None) -> availability.BookingPolicy:
        return availability.BookingPolicy(
            notice=self.notice if notice is None else notice,
            horizon=timedelta(days=self.horizon_days) if horizon is None else horizon,
            step=timedelta(minutes=self.slot_step_minutes),
        )


class CourseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    FINISHED = "finished", "Finished"
    STOPPED = "stopped", "Stopped"


class TreatmentCourse(models.Model):
    """A planned series of sessions; its appointments carry the sequence number 1..planned."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="courses")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="courses")
    planned_sessions = models.PositiveSmallIntegerField(default=spacing.DEFAULT_SESSIONS)
    status = models.CharField(max_length=10, choices=CourseStatus.choices, default=CourseStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(planned_sessions__gte=1) & Q(planned_sessions__lte=10), name="course_length_sane"),
        ]

    def __str__(self):
        return f"{self.service} course of {self.patient} ({self.planned_sessions} sessions)"


class Status(models.TextChoices):
    HELD = "held", "Held while confirming"
    BOOKED = "booked", "Booked"
    CHECKED_IN = "checked_in", "Checked in"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"
    NOT_TREATED = "not_treated", "Came, not treated"


# Rows in these states occupy their clinician and room: the database refuses overlaps among them
# (booking/db_guards.py). Only a cancellation (or an expired hold, which is marked cancelled) frees
# the time. A no-show (or a visit where the patient came but was not treated) keeps its time: it
# is only recorded once the visit has started, so the time is spent, and undoing it can never
# collide with a booking made since. Keep db_guards.BLOCKING_SQL in step.
BLOCKING_STATUSES = (
    Status.HELD, Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED, Status.NO_SHOW, Status.NOT_TREATED,
)
# Rows in these states are a session of their course: they hold its sequence number and anchor the
# spacing window of the next one. A no-show, a visit without treatment or a cancelled visit never
# does (DESIGN invariant 7): its number is free to book again, and the next window counts from the
# session before it.
SESSION_STATUSES = (Status.HELD, Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED)
UPCOMING_STATUSES = (Status.BOOKED, Status.CHECKED_IN)


class Appointment(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="appointments")
    clinician = models.ForeignKey(Clinician, on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments")
    start = models.DateTimeField()
    end = models.DateTimeField()
    blocked_start = models.DateTimeField(help_text="start minus the service's buffer before")
    blocked_end = models.DateTimeField(help_text="end plus the service's buffer after")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BOOKED)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    course = models.ForeignKey(TreatmentCourse, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments")
    sequence = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Session number within the course.")
    override_reason = models.TextField(blank=True, help_text="Why a clinician booked it outside the spacing window.")
    override_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    booked_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the current status was recorded; it can be undone that clinic day."
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    cancel_reason = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(default=0, help_text="Bumped on every move; the calendar file's SEQUENCE.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The clinic's outbox rows about this visit (its reminders, its cancellation notice).
    messages = GenericRelation("clinic.OutboxMessage", content_type_field="about_type", object_id_field="about_id",
                               related_query_name="appointment")

    class Meta:
        ordering = ["start"]
        permissions = [("override_spacing", "May book a course session outside its spacing window, with a reason")]
        indexes = [
            # The availability query: rows of a date range, by blocked range (both ends bounded).
            models.Index(fields=["blocked_start", "blocked_end"], name="appointment_blocked_idx"),
            # The hold sweep finds expired holds by their expiry.
            models.Index(fields=["status", "hold_expires_at"], name="appointment_hold_idx"),
            models.Index(fields=["patient", "start"], name="appointment_patient_idx"),
            models.Index(fields=["clinician", "start"], name="appointment_clinician_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="appointment_start_before_end"),
            models.CheckConstraint(
                condition=Q(blocked_start__lte=F("start")) & Q(blocked_end__gte=F("end")),
                name="appointment_blocked_covers_visit",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.HELD) | Q(hold_expires_at__isnull=False),
                name="appointment_hold_has_expiry",
            ),
            models.CheckConstraint(
                condition=Q(course__isnull=True, sequence__isnull=True) | Q(course__isnull=False, sequence__gte=1),
                name="appointment_course_has_sequence",
            ),
            # One appointment per session number of a course, among those that count as a session
            # (a no-show frees its number for the booking that replaces it).
            models.UniqueConstraint(
                fields=["course", "sequence"],
                condition=Q(status__in=SESSION_STATUSES),
                name="appointment_one_per_course_session",
            ),
        ]

    def __str__(self):
        return f"{self.service} for {self.patient} at {self.start:%Y-%m-%d %H:%M} UTC"

    @property
    def is_upcoming(self) -> bool:
        return self.status in UPCOMING_STATUSES

    @property
    def is_overridden(self) -> bool:
        return bool(self.override_reason)


class ContactChannel(models.TextChoices):
    PHONE = "phone", "Phone call"
    EMAIL = "email", "E-mail"
    TEXT = "sms", "Text message"
    IN_PERSON = "in_person", "In person"


class CourseContact(models.Model):
    """The desk reached out (or tried to) about a course: the overdue list shows the latest."""

    course = models.ForeignKey(TreatmentCourse, on_delete=models.CASCADE, related_name="contacts")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    channel = models.CharField(max_length=10, choices=ContactChannel.choices)
    note = models.CharField(max_length=300, help_text="What was said or left, e.g. \"left a voicemail\".")

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["course", "-at"], name="course_contact_latest_idx")]
        constraints = [models.CheckConstraint(condition=~Q(note=""), name="course_contact_has_note")]

    def __str__(self):
        return f"{self.get_channel_display()} about {self.course} on {self.at:%Y-%m-%d}"


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    BOOKED = "booked", "Booked"
    LEFT = "left", "Left the list"


class WaitlistEntry(models.Model):
    """A patient who would take an earlier time for a service between two local dates."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="waitlist_entries")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="waitlist_entries")
    clinician = models.ForeignKey(Clinician, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    earliest = models.DateField()
    latest = models.DateField()
    status = models.CharField(max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING)
    created_at = models.DateTimeField()
    last_notified_at = models.DateTimeField(null=True, blank=True)
    notified_count = models.PositiveSmallIntegerField(default=0)
    # The first free time that matched, as last worked out (when a time freed up, and every few
    # minutes by Celery beat): the desk's worklist reads it instead of running the engine.
    match_start = models.DateTimeField(null=True, blank=True)
    match_clinician = models.ForeignKey(Clinician, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    match_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "waitlist entries"
        indexes = [models.Index(fields=["service", "status", "earliest"], name="waitlist_match_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(earliest__lte=F("latest")), name="waitlist_range_valid"),
            models.UniqueConstraint(
                fields=["patient", "service"], condition=Q(status="waiting"), name="waitlist_one_waiting_per_service"
            ),
        ]

    def __str__(self):
        return f"{self.patient} waiting for {self.service} {self.earliest}–{self.latest}"

"""Intake data: screenings (draft, then submitted and frozen), clinician decisions, consent,
the "anything changed?" re-confirmations, and the clinic's intake settings.

A submitted screening keeps the answers, the ruleset version and the whole result exactly as they
were decided (``ScreeningResult.to_dict()``), so a later change to the rules never rewrites history.
Writes go through ``intake.services``; this module only holds data and database invariants.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clinic.models import Clinic, Patient

from . import rules

DEFAULT_VALIDITY_DAYS = 180
DEFAULT_RECONFIRM_DAYS = 7
DEFAULT_REVIEW_WORKING_DAYS = 2
# The widest values the settings page accepts (the database refuses anything beyond them too).
VALIDITY_DAYS_MAX = 730
RECONFIRM_DAYS_MAX = 30
REVIEW_WORKING_DAYS_MAX = 20


class IntakeSettings(models.Model):
    """One clinic's intake settings. Without a row the defaults apply (see ``for_clinic``)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="intake_settings")
    validity_days = models.PositiveSmallIntegerField(
        default=DEFAULT_VALIDITY_DAYS,
        help_text="A screening is valid for this many days after it was sent; then the patient renews it.",
    )
    reconfirm_days = models.PositiveSmallIntegerField(
        default=DEFAULT_RECONFIRM_DAYS,
        help_text='Patients confirm "anything changed?" within this many days before each session.',
    )
    review_working_days = models.PositiveSmallIntegerField(
        default=DEFAULT_REVIEW_WORKING_DAYS,
        help_text="What patients are told: a clinician looks at flagged answers within this many working days.",
    )

    class Meta:
        verbose_name = "intake settings"
        verbose_name_plural = "intake settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(validity_days__gte=1) & Q(validity_days__lte=VALIDITY_DAYS_MAX),
                name="intake_settings_validity_positive",
                violation_error_message="A screening is valid for 1 to 730 days.",
            ),
            models.CheckConstraint(
                condition=Q(reconfirm_days__gte=1) & Q(reconfirm_days__lte=RECONFIRM_DAYS_MAX),
                name="intake_settings_reconfirm_positive",
                violation_error_message="Patients re-confirm 1 to 30 days before a session.",
            ),
            models.CheckConstraint(
                condition=Q(review_working_days__gte=1) & Q(review_working_days__lte=REVIEW_WORKING_DAYS_MAX),
                name="intake_settings_review_days_valid",
                violation_error_message="Reviews are promised within 1 to 20 working days.",
            ),
        ]

    def __str__(self):
        return f"Intake settings of {self.clinic}"

    @classmethod
    def for_clinic(cls, clinic: Clinic | None = None) -> "IntakeSettings":
        """The saved settings of the (current) clinic, or an unsaved row holding the defaults."""
        clinic = clinic or Clinic.objects.current()
        if clinic is not None:
            found = cls.objects.filter(clinic=clinic).first()
            if found is not None:
                return found
        return cls(clinic=clinic)


class ScreeningStatus(models.TextChoices):
    DRAFT = "draft", "Draft (not sent)"
    SUBMITTED = "submitted", "Current"
    SUPERSEDED = "superseded", "Replaced by a later one"


class Source(models.TextChoices):
    QUESTIONNAIRE = "questionnaire", "Questionnaire"
    RECONFIRMATION = "reconfirmation", '"Anything changed?" form'


class Decision(models.TextChoices):
    CLEAR = "clear", "Clear for treatment"
    NOT_SUITABLE = "not_suitable", "Not suitable"
    REQUEST_INFO = "request_info", "Ask the patient for information"


OUTCOME_CHOICES = [
    (rules.Outcome.CLEARED.value, "Cleared"),
    (rules.Outcome.POSTPONE.value, "Postponed"),
    (rules.Outcome.REVIEW.value, "Needs review"),
    (rules.Outcome.NOT_ELIGIBLE.value, "Not eligible"),
]


class Screening(models.Model):
    """One patient's intake answers and what the rules made of them.

    Life cycle: a draft (saved after every step) becomes ``submitted`` when the patient sends it;
    it is then frozen. The next submission (an update, or a re-confirmation that changed
    something) marks it ``superseded``. So a patient has at most one draft and at most one
    current screening, and both invariants live in the database.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="screenings")
    status = models.CharField(max_length=12, choices=ScreeningStatus.choices, default=ScreeningStatus.DRAFT)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.QUESTIONNAIRE)
    previous = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="The screening this one was started from (an update or a re-confirmation).",
    )
    current_step = models.PositiveSmallIntegerField(default=1, help_text="Furthest questionnaire step reached.")
    answers = models.JSONField(default=dict, blank=True)  # rules.Answers.to_dict(); partial while a draft
    result = models.JSONField(null=True, blank=True)  # rules.ScreeningResult.to_dict(), as decided
    outcome = models.CharField(max_length=16, choices=OUTCOME_CHOICES, blank=True)
    ruleset_version = models.CharField(max_length=20, blank=True)
    decision = models.CharField(
        max_length=16, choices=Decision.choices, blank=True,
        help_text="The latest clinician decision, if any (the history is in ScreeningDecision).",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-created_at"]
        permissions = [
            ("view_health_answers", "Can see patients' health answers"),
            ("review_screening", "Can decide on flagged screenings"),
        ]
        indexes = [
            # The review queue: current screenings without a decision, oldest first.
            models.Index(fields=["status", "decision", "outcome", "submitted_at"], name="screening_queue_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(status="draft"), name="screening_one_draft_per_patient"
            ),
            models.UniqueConstraint(
                fields=["patient"], condition=Q(status="submitted"), name="screening_one_current_per_patient"
            ),
            # Anything sent was screened: it has a result, an outcome, a version and dates.
            models.CheckConstraint(
                condition=Q(status="draft")
                | (
                    Q(submitted_at__isnull=False, expires_at__isnull=False, result__isnull=False)
                    & ~Q(outcome="")
                    & ~Q(ruleset_version="")
                ),
                name="screening_sent_is_screened",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", decision="") | ~Q(status="draft"), name="screening_draft_has_no_decision"
            ),
        ]

    def __str__(self):
        when = self.submitted_at or self.created_at
        return f"Screening #{self.pk} of {self.patient} ({self.get_status_display()}, {when:%Y-%m-%d})"

    @property
    def screening_result(self) -> rules.ScreeningResult | None:
        """The stored result, exactly as decided; never re-run."""
        return rules.ScreeningResult.from_dict(self.result) if self.result else None

    @property
    def is_draft(self) -> bool:
        return self.status == ScreeningStatus.DRAFT


class ScreeningDecision(models.Model):
    """A clinician's decision on a flagged screening, with the reason. Never edited: a new decision
    is a new row (``Screening.decision`` mirrors the latest)."""

    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="decisions")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=16, choices=Decision.choices)
    note = models.TextField(help_text="Why: for the clinical record (not shown to the patient).")
    patient_message = models.TextField(
        blank=True, help_text="Shown to the patient when they log in. Required when asking for information."
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(note=""), name="decision_note_required"),
            models.CheckConstraint(
                condition=~Q(decision="request_info") | ~Q(patient_message=""),
                name="decision_request_info_tells_patient_what",
            ),
        ]

    def __str__(self):
        return f"{self.get_decision_display()} on screening #{self.screening_id}"


class ConsentText(models.Model):
    """A version of the informed-consent text. Published versions are never edited: the exact
    words a patient signed stay retrievable by version."""

    version = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=120)
    body = models.TextField(help_text="Plain text; blank lines separate paragraphs.")
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-published_at", "-pk"]

    def __str__(self):
        return f"{self.title} (version {self.version})"

    @classmethod
    def current(cls) -> "ConsentText | None":
        return cls.objects.filter(published_at__lte=timezone.now()).order_by("-published_at", "-pk").first()


class Consent(models.Model):
    """A patient's typed signature under one version of the consent text."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="consents")
    text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="consents")
    screening = models.ForeignKey(Screening, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    typed_name = models.CharField(max_length=170)
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-signed_at"]
        constraints = [models.CheckConstraint(condition=~Q(typed_name=""), name="consent_signature_not_empty")]

    def __str__(self):
        return f"{self.patient} signed consent {self.text.version} on {self.signed_at:%Y-%m-%d}"


class Reconfirmation(models.Model):
    """One "anything changed?" form, sent in the days before a session."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="reconfirmations")
    screening = models.ForeignKey(
        Screening, on_delete=models.CASCADE, related_name="reconfirmations",
        help_text="The screening that stood when the patient answered.",
    )
    answers = models.JSONField()  # rules.Reconfirmation.to_dict()
    changed = models.BooleanField(help_text="False: nothing changed, the standing decision holds.")
    resulting_screening = models.OneToOneField(
        Screening, on_delete=models.SET_NULL, null=True, blank=True, related_name="from_reconfirmation",
        help_text="The new screening the changes produced, if anything changed.",
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["patient", "-at"], name="reconfirmation_patient_at_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(changed=False, resulting_screening__isnull=True) | Q(changed=True),
                name="reconfirmation_no_change_has_no_new_screening",
            ),
        ]

    def __str__(self):
        return f"Re-confirmation by {self.patient} on {self.at:%Y-%m-%d}"


def expiry_for(submitted_at, validity_days: int):
    return submitted_at + timedelta(days=validity_days)

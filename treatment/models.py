"""The clinical record: what was injected, where and how much, the lots it came from, clinical
notes and photos, and the clinic's dose settings.

Invariants the database holds whoever writes (check constraints here, triggers in
treatment/db_guards.py, installed by migration 0002):

- a record's total volume is the sum of its areas (the database keeps it) and never exceeds the
  per-session maximum in force when it was recorded, itself never above the clinic's setting nor
  above 10 mL;
- polidocanol: the patient's mg of that local day stay within the DoseLimit table's mg per kg of
  the weight recorded on the day;
- a record's lot is the same product and concentration, and in date on the session's day;
- a signed record, its areas and every clinical note are never updated nor deleted: a correction
  is an amendment, a new signed version that keeps the original.

Writes go through ``treatment.services``; nothing here decides.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.models import Appointment
from clinic.models import Clinic, Patient

from . import areas, dose

ABSOLUTE_MAX_VOLUME_ML = Decimal("10.00")  # the labels' per-session ceiling; a clinic may only lower it

SCLEROSANT_CHOICES = [(s.value, label) for s, label in dose.SCLEROSANT_LABELS.items()]
VEIN_TYPE_CHOICES = [(v.value, label) for v, label in dose.VEIN_TYPE_LABELS.items()]


class TreatmentSettings(models.Model):
    """One clinic's treatment settings. Without a row the defaults apply (see ``for_clinic``)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="treatment_settings")
    max_volume_ml = models.DecimalField(
        _("maximum sclerosant volume per session (mL)"), max_digits=5, decimal_places=2, default=ABSOLUTE_MAX_VOLUME_ML,
        help_text=_("All areas of one session together. At most 10 mL, the labels' limit."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = "treatment settings"
        verbose_name_plural = "treatment settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(max_volume_ml__gt=0) & Q(max_volume_ml__lte=ABSOLUTE_MAX_VOLUME_ML),
                name="treatment_settings_max_volume_valid",
            ),
        ]

    def __str__(self):
        return f"Treatment settings of {self.clinic}"

    @classmethod
    def for_clinic(cls, clinic: Clinic | None = None) -> "TreatmentSettings":
        """The saved settings of the (current) clinic, or an unsaved row holding the defaults."""
        clinic = clinic or Clinic.objects.current()
        if clinic is not None:
            found = cls.objects.filter(clinic=clinic).first()
            if found is not None:
                return found
        return cls(clinic=clinic)


class DoseLimit(models.Model):
    """One dose limit and where it comes from. Filled by migration from CLINICAL_RULES.md; read by
    the dose checks, shown on the record form and (read-only) in the clinic settings. The
    database's own polidocanol guard reads the mg-per-kg row too."""

    code = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=30, choices=[(k.value, k.value) for k in dose.LimitKind])
    sclerosant = models.CharField(max_length=30, choices=SCLEROSANT_CHOICES, blank=True, help_text="Empty: any.")
    vein_type = models.CharField(max_length=20, choices=VEIN_TYPE_CHOICES, blank=True, help_text="Empty: any.")
    minimum = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    maximum = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    description = models.CharField(max_length=200)
    source = models.CharField(max_length=300)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(minimum__isnull=False) | Q(maximum__isnull=False), name="dose_limit_has_a_bound"),
            models.CheckConstraint(
                condition=Q(minimum__isnull=True) | Q(maximum__isnull=True) | Q(minimum__lte=F("maximum")),
                name="dose_limit_range_valid",
            ),
            models.CheckConstraint(condition=~Q(source=""), name="dose_limit_has_a_source"),
        ]

    def __str__(self):
        return self.description

    def as_rule(self) -> dose.Limit:
        return dose.Limit(
            code=self.code, kind=dose.LimitKind(self.kind), sclerosant=self.sclerosant or None,
            vein_type=self.vein_type or None, minimum=self.minimum, maximum=self.maximum, source=self.source,
        )


class Lot(models.Model):
    """A manufacturer's lot of one sclerosant at one concentration: what a recall names."""

    sclerosant = models.CharField(max_length=30, choices=SCLEROSANT_CHOICES)
    concentration_percent = models.DecimalField(max_digits=5, decimal_places=2)
    lot_number = models.CharField(max_length=40)
    expires_on = models.DateField(help_text=_("Usable up to and including this day."))
    product = models.CharField(max_length=120, blank=True, help_text=_('e.g. "Asclera 0.5%, 2 mL ampoules".'))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-expires_on", "lot_number"]
        permissions = [("recall_lot", "May search which patients received a lot, and export the list")]
        constraints = [
            models.UniqueConstraint(
                "sclerosant", "concentration_percent", Upper("lot_number"), name="lot_unique_per_product"
            ),
            models.CheckConstraint(condition=Q(concentration_percent__gt=0), name="lot_concentration_positive"),
            models.CheckConstraint(condition=~Q(lot_number=""), name="lot_number_not_empty"),
        ]

    def __str__(self):
        return f"{self.lot_number} · {self.get_sclerosant_display()} {dose.fmt(self.concentration_percent)}% · exp. {self.expires_on:%Y-%m-%d}"


class Outcome(models.TextChoices):
    TREATED = "treated", _("Treated")
    NOT_TREATED = "not_treated", _("Not treated")


class Form(models.TextChoices):
    LIQUID = "liquid", _("Liquid")
    FOAM = "foam", _("Foam")


class Compression(models.TextChoices):
    NONE = "none", _("None")
    CLASS_1 = "class_1", _("Class 1 (15–20 mmHg)")
    CLASS_2 = "class_2", _("Class 2 (20–30 mmHg)")
    CLASS_3 = "class_3", _("Class 3 (30–40 mmHg)")


class Reaction(models.TextChoices):
    NONE = "none", _("None")
    WHEALS = "wheals", _("Wheals or redness at the injection sites")
    PAIN = "pain", _("Pain or cramping")
    BRUISING = "bruising", _("Bruising or bleeding")
    VASOVAGAL = "vasovagal", _("Light-headed or fainting (vasovagal)")
    VISUAL = "visual", _("Visual disturbance or migraine")
    COUGH_CHEST = "cough_chest", _("Cough or chest tightness")
    ALLERGIC = "allergic", _("Allergic reaction (hives, swelling, breathing)")


NOT_TREATED_REASONS = [
    ("patient unwell", _("Patient unwell")),
    ("patient declined", _("Patient declined")),
    ("contraindication found on the day", _("Contraindication found on the day")),
    ("no veins suitable today", _("No veins suitable today")),
]


class RecordQuerySet(models.QuerySet):
    def current(self):
        """The latest version of each record: those no amendment replaced. (NOT EXISTS rather
        than an outer join, so the rows can be locked with SELECT ... FOR UPDATE.)"""
        return self.filter(~models.Exists(TreatmentRecord.objects.filter(amends=models.OuterRef("pk"))))


class TreatmentRecord(models.Model):
    """What was done at one session (a visit of a treatment-session service).

    Versions: the first record of a visit has ``amends`` empty; an amendment is a new, signed row
    that ``amends`` the version before it, with who, when and why, so every version stays as it
    was signed. The current version is the one no amendment replaced.
    """

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="treatment_records")
    version = models.PositiveSmallIntegerField(default=1)
    amends = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="amended_by")
    amendment_reason = models.TextField(blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.TREATED)
    not_treated_reason = models.CharField(max_length=200, blank=True)
    # The session's date in the clinic's zone: the polidocanol day and the lot's expiry compare to it.
    session_day = models.DateField()
    sclerosant = models.CharField(max_length=30, choices=SCLEROSANT_CHOICES, blank=True)
    concentration_percent = models.DecimalField(_("concentration (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    form = models.CharField(max_length=10, choices=Form.choices, blank=True)
    foam_gas_parts = models.PositiveSmallIntegerField(null=True, blank=True)
    foam_liquid_parts = models.PositiveSmallIntegerField(null=True, blank=True)
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="records")
    weight_kg = models.DecimalField(_("weight today (kg)"), max_digits=5, decimal_places=1, null=True, blank=True)
    # Kept by the database: the sum of the areas' volumes (db_guards).
    total_volume_ml = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0.00"))
    # The per-session maximum in force when the record was written (the clinic's setting then).
    volume_limit_ml = models.DecimalField(max_digits=5, decimal_places=2)
    injections = models.PositiveSmallIntegerField(_("number of injections"), null=True, blank=True)
    reactions = models.JSONField(default=list, blank=True)  # Reaction codes
    reactions_note = models.TextField(blank=True)
    compression = models.CharField(max_length=10, choices=Compression.choices, default=Compression.NONE)
    compression_days = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    # The dose warnings the clinician confirmed, by code (e.g. "concentration.unusual.spider").
    warnings_confirmed = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["session_day", "appointment_id", "version"]
        permissions = [
            ("sign_treatmentrecord", "May sign treatment records"),
            ("amend_treatmentrecord", "May amend signed treatment records"),
            ("view_record_status", "May see whether a visit's treatment is recorded and signed, without its details"),
        ]
        indexes = [
            models.Index(fields=["session_day"], name="record_session_day_idx"),
            models.Index(fields=["lot", "session_day"], name="record_lot_day_idx"),  # the recall search
        ]
        constraints = [
            # One chain of versions per visit: a single first version.
            models.UniqueConstraint(fields=["appointment"], condition=Q(amends__isnull=True), name="record_one_per_visit"),
            models.CheckConstraint(
                condition=Q(volume_limit_ml__gt=0) & Q(volume_limit_ml__lte=ABSOLUTE_MAX_VOLUME_ML),
                name="record_volume_limit_valid",
            ),
            models.CheckConstraint(
                condition=Q(total_volume_ml__gte=0) & Q(total_volume_ml__lte=F("volume_limit_ml")),
                name="record_total_within_limit",
            ),
            models.CheckConstraint(
                condition=(
                    Q(outcome="treated") & ~Q(sclerosant="") & Q(concentration_percent__gt=0)
                    & Q(concentration_percent__lte=30) & ~Q(form="") & Q(lot__isnull=False) & Q(injections__gte=1)
                    & Q(not_treated_reason="")
                )
                | (
                    Q(outcome="not_treated") & ~Q(not_treated_reason="") & Q(sclerosant="")
                    & Q(concentration_percent__isnull=True) & Q(lot__isnull=True) & Q(total_volume_ml=0)
                ),
                name="record_treated_is_complete",
            ),
            models.CheckConstraint(
                condition=(Q(form="foam") & Q(foam_gas_parts__gte=1) & Q(foam_liquid_parts__gte=1))
                | (~Q(form="foam") & Q(foam_gas_parts__isnull=True) & Q(foam_liquid_parts__isnull=True)),
                name="record_foam_has_ratio",
            ),
            models.CheckConstraint(
                condition=Q(weight_kg__isnull=True) | (Q(weight_kg__gte=20) & Q(weight_kg__lte=350)),
                name="record_weight_plausible",
            ),
            models.CheckConstraint(
                condition=Q(compression="none", compression_days__isnull=True)
                | (~Q(compression="none") & Q(compression_days__gte=1) & Q(compression_days__lte=90)),
                name="record_compression_has_days",
            ),
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True, signed_by__isnull=True) | Q(signed_at__isnull=False, signed_by__isnull=False),
                name="record_signature_complete",
            ),
            models.CheckConstraint(
                condition=Q(amends__isnull=True, version=1) | (Q(amends__isnull=False, version__gte=2) & ~Q(amendment_reason="")),
                name="record_amendment_has_reason",
            ),
        ]

    def __str__(self):
        return f"Treatment record #{self.pk} v{self.version} ({self.session_day})"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def is_treated(self) -> bool:
        return self.outcome == Outcome.TREATED

    @property
    def polidocanol_mg(self) -> Decimal | None:
        if self.sclerosant != dose.Sclerosant.POLIDOCANOL or self.concentration_percent is None:
            return None
        return dose.polidocanol_mg(self.total_volume_ml, self.concentration_percent)

    @property
    def foam_ratio(self) -> str:
        return f"{self.foam_gas_parts}:{self.foam_liquid_parts}" if self.form == Form.FOAM else ""

    @property
    def reaction_labels(self) -> list[str]:
        names = dict(Reaction.choices)
        return [str(names.get(code, code)) for code in self.reactions]

    @property
    def warning_labels(self) -> list[str]:
        return [str(_(dose.WARNING_LABELS.get(code, code))) for code in self.warnings_confirmed]

    @property
    def has_reactions(self) -> bool:
        return any(code != Reaction.NONE for code in self.reactions)

    @property
    def product_summary(self) -> str:
        if not self.is_treated:
            return ""
        text = f"{self.get_sclerosant_display()} {dose.fmt(self.concentration_percent)}% {self.get_form_display().lower()}"
        return f"{text} {self.foam_ratio}" if self.form == Form.FOAM else text


class TreatedArea(models.Model):
    """One area of the leg diagram treated in a record: vein type and volume."""

    record = models.ForeignKey(TreatmentRecord, on_delete=models.CASCADE, related_name="areas")
    area = models.CharField(max_length=30, choices=areas.CHOICES)
    vein_type = models.CharField(max_length=20, choices=VEIN_TYPE_CHOICES)
    volume_ml = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["record", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["record", "area"], name="treated_area_once_per_record"),
            models.CheckConstraint(
                condition=Q(volume_ml__gt=0) & Q(volume_ml__lte=ABSOLUTE_MAX_VOLUME_ML), name="treated_area_volume_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_area_display()}: {dose.fmt(self.volume_ml)} mL"


class ClinicalNote(models.Model):
    """A dated, signed note in the patient's chart. Append-only: the database refuses edits and
    deletions; a correction is a new note that names the one it corrects."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="clinical_notes")
    text = models.TextField()
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections")
    written_at = models.DateTimeField(default=timezone.now)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-written_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-written_at"], name="note_patient_idx")]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="note_not_empty")]

    def __str__(self):
        return f"Note #{self.pk} on {self.patient} ({self.written_at:%Y-%m-%d})"


class PhotoConsent(models.Model):
    """The patient's answer about clinical photos, separate from the treatment consent. Each
    change is a new row (given or withdrawn, who recorded it and when); the latest one stands."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="photo_consents")
    given = models.BooleanField()
    how = models.CharField(max_length=120, help_text=_('e.g. "signed the paper form", "said so in person".'))
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        constraints = [models.CheckConstraint(condition=~Q(how=""), name="photo_consent_says_how")]

    def __str__(self):
        return f"Photo consent {'given' if self.given else 'withdrawn'} by {self.patient} on {self.recorded_at:%Y-%m-%d}"


class PhotoKind(models.TextChoices):
    BEFORE = "before", _("Before")
    AFTER = "after", _("After")


def photo_storage():
    """The private storage (settings.STORAGES["private"]): never under a public path."""
    from .storage import private_storage

    return private_storage


class Photo(models.Model):
    """A clinical photo of one area at one session. The file lives on private storage, re-encoded
    without its metadata; it is served only by a permission-checked, audited view."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="clinical_photos")
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="clinical_photos")
    area = models.CharField(max_length=30, choices=areas.CHOICES)
    kind = models.CharField(max_length=10, choices=PhotoKind.choices)
    file = models.FileField(storage=photo_storage, max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    taken_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["taken_at", "pk"]
        indexes = [models.Index(fields=["patient", "area", "taken_at"], name="photo_patient_area_idx")]

    def __str__(self):
        return f"Photo #{self.pk} of {self.get_area_display()} ({self.get_kind_display()})"

"""Forms of the treatment pages. They check shape (numbers, dates, required fields); the dose
rules live in treatment/dose.py and run in the service, whose findings the views put next to
the fields they belong to."""

from __future__ import annotations

import re

from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from . import areas, dose
from .models import NOT_TREATED_REASONS, SCLEROSANT_CHOICES, Compression, Form, PhotoKind, Reaction
from .services import AreaInput, RecordInput

FOAM_RATIOS = [("", _("Choose")), ("2:1", "2:1"), ("3:1", "3:1"), ("4:1", _("4:1 (Tessari)")), ("5:1", "5:1")]
EARLIEST_DATE = date(2000, 1, 1)
# Short, for the list of areas (the full names are on the record).
AREA_VEIN_CHOICES = [("", _("Vein type")), ("spider", _("Spider (<1 mm)")), ("reticular", _("Reticular (1–3 mm)"))]


class WarningCodesField(forms.MultipleChoiceField):
    """The warnings the clinician ticked. Which warnings apply is known only after the service ran,
    so any well-formed code is accepted here; the service ignores codes that did not apply."""

    def valid_value(self, value):
        return bool(re.fullmatch(r"[a-z_.]{1,60}", str(value)))


def _date_input(**attrs):
    return forms.DateInput(attrs={"type": "date", **attrs}, format="%Y-%m-%d")


class RecordForm(forms.Form):
    """One session's treatment. Area fields are generated: area_<code>, vein_<code>, volume_<code>."""

    sclerosant = forms.ChoiceField(label=_("Sclerosant"), choices=SCLEROSANT_CHOICES, widget=forms.RadioSelect)
    concentration_percent = forms.DecimalField(
        label=_("Concentration (%)"), max_digits=5, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal("30"),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    form = forms.ChoiceField(label=_("Form"), choices=Form.choices, widget=forms.RadioSelect)
    foam_ratio = forms.ChoiceField(label=_("Gas : liquid"), choices=FOAM_RATIOS, required=False)
    lot_number = forms.CharField(label=_("Lot number"), max_length=40,
                                 widget=forms.TextInput(attrs={"list": "known-lots", "autocomplete": "off", "autocapitalize": "characters"}))
    lot_expires_on = forms.DateField(label=_("Lot expiry date"), widget=_date_input())
    weight_kg = forms.DecimalField(
        label=_("Weight today (kg)"), max_digits=5, decimal_places=1, min_value=Decimal("20"), max_value=Decimal("350"),
        required=False, widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    injections = forms.IntegerField(label=_("Number of injections"), min_value=1, max_value=500,
                                    widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    reactions = forms.MultipleChoiceField(label=_("Immediate reactions"), choices=Reaction.choices,
                                          widget=forms.CheckboxSelectMultiple, required=False)
    reactions_note = forms.CharField(label=_("About the reactions"), required=False, max_length=2000,
                                     widget=forms.Textarea(attrs={"rows": 2}))
    compression = forms.ChoiceField(label=_("Compression prescribed"), choices=[("", _("Choose"))] + Compression.choices)
    compression_days = forms.IntegerField(label=_("For how many days"), min_value=1, max_value=90, required=False,
                                          widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    confirm = WarningCodesField(required=False, widget=forms.CheckboxSelectMultiple, choices=[])

    def __init__(self, *args, warnings: list[dose.Finding] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for area in areas.ALL:
            self.fields[f"area_{area.code}"] = forms.BooleanField(label=area.label, required=False)
            self.fields[f"vein_{area.code}"] = forms.ChoiceField(
                label=_("Vein type"), choices=AREA_VEIN_CHOICES, required=False
            )
            self.fields[f"volume_{area.code}"] = forms.DecimalField(
                label=_("Volume (mL)"), max_digits=5, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal("10"),
                required=False, widget=forms.NumberInput(attrs={"step": "0.05", "inputmode": "decimal", "class": "area-volume"}),
            )
        self.set_warnings(warnings or [])
        self.area_errors: list[str] = []

    def set_warnings(self, warnings: list[dose.Finding]) -> None:
        self.warnings = [w for w in warnings if not w.is_block]
        self.fields["confirm"].choices = [(w.code, gettext(w.template).format(**w.params)) for w in self.warnings]

    def area_rows(self):
        """(area, checkbox, vein type, volume) bound fields, in the diagram's order."""
        return [
            (area, self[f"area_{area.code}"], self[f"vein_{area.code}"], self[f"volume_{area.code}"]) for area in areas.ALL
        ]

    def clean_lot_expires_on(self):
        value = self.cleaned_data["lot_expires_on"]
        latest = timezone.localdate() + timedelta(days=365 * 10)
        if not EARLIEST_DATE <= value <= latest:
            raise forms.ValidationError(_("Enter the expiry date printed on the box."))
        return value

    def clean(self):
        data = super().clean()
        if data.get("form") == Form.FOAM and not data.get("foam_ratio"):
            self.add_error("foam_ratio", _("Choose the gas to liquid ratio of the foam."))
        if data.get("compression") not in (None, Compression.NONE) and not data.get("compression_days"):
            self.add_error("compression_days", _("Say for how many days."))
        if Reaction.NONE in data.get("reactions", []) and len(data["reactions"]) > 1:
            self.add_error("reactions", _('"None" cannot go with a reaction.'))
        for area in areas.ALL:
            if not data.get(f"area_{area.code}"):
                continue
            if not data.get(f"vein_{area.code}"):
                self.add_error(f"vein_{area.code}", _("Choose the vein type."))
            if data.get(f"volume_{area.code}") is None and f"volume_{area.code}" not in self.errors:
                self.add_error(f"volume_{area.code}", _("Enter the volume."))
        return data

    def to_input(self) -> RecordInput:
        data = self.cleaned_data
        gas, liquid = (int(part) for part in data["foam_ratio"].split(":")) if data.get("form") == Form.FOAM else (None, None)
        return RecordInput(
            sclerosant=data["sclerosant"], concentration_percent=data["concentration_percent"], form=data["form"],
            foam_gas_parts=gas, foam_liquid_parts=liquid, lot_number=data["lot_number"].strip(),
            lot_expires_on=data["lot_expires_on"], weight_kg=data.get("weight_kg"),
            areas=tuple(
                AreaInput(area.code, data[f"vein_{area.code}"], data[f"volume_{area.code}"])
                for area in areas.ALL if data.get(f"area_{area.code}")
            ),
            injections=data["injections"], reactions=tuple(data.get("reactions", [])),
            reactions_note=data.get("reactions_note", ""), compression=data["compression"],
            compression_days=data.get("compression_days"), note=data.get("note", ""),
            confirmed=frozenset(data.get("confirm", [])),
        )

    @classmethod
    def initial_from(cls, record) -> dict:
        initial = {
            "sclerosant": record.sclerosant, "concentration_percent": record.concentration_percent, "form": record.form,
            "foam_ratio": record.foam_ratio, "lot_number": record.lot.lot_number if record.lot else "",
            "lot_expires_on": record.lot.expires_on if record.lot else None, "weight_kg": record.weight_kg,
            "injections": record.injections, "reactions": record.reactions, "reactions_note": record.reactions_note,
            "compression": record.compression, "compression_days": record.compression_days, "note": record.note,
        }
        for area in record.areas.all():
            initial |= {f"area_{area.area}": True, f"vein_{area.area}": area.vein_type, f"volume_{area.area}": area.volume_ml}
        return initial


class NotTreatedForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why was the patient not treated?"), widget=forms.RadioSelect,
                               choices=NOT_TREATED_REASONS + [("other", _("Another reason"))])
    other_reason = forms.CharField(label=_("The reason"), max_length=180, required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        if data.get("reason") == "other" and not data.get("other_reason", "").strip():
            self.add_error("other_reason", _("Write the reason."))
        return data

    def to_input(self) -> RecordInput:
        data = self.cleaned_data
        reason = data["other_reason"].strip() if data["reason"] == "other" else data["reason"]
        return RecordInput(outcome="not_treated", not_treated_reason=reason, note=data.get("note", ""))

    @classmethod
    def initial_from(cls, record) -> dict:
        known = {code for code, _label in NOT_TREATED_REASONS}
        reason = record.not_treated_reason
        if reason in known:
            return {"reason": reason, "note": record.note}
        return {"reason": "other", "other_reason": reason, "note": record.note}


class AmendmentReasonForm(forms.Form):
    amendment_reason = forms.CharField(label=_("Why are you amending this record?"), max_length=2000,
                                       widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    text = forms.CharField(label=_("New note"), max_length=10000, widget=forms.Textarea(attrs={"rows": 3}))
    corrects = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class PhotoConsentForm(forms.Form):
    given = forms.TypedChoiceField(label=_("Photo consent"), coerce=lambda v: v == "yes", widget=forms.RadioSelect,
                                   choices=[("yes", _("The patient agrees to clinical photos")),
                                            ("no", _("The patient does not agree (or withdraws)"))])
    how = forms.CharField(label=_("How did they tell you?"), max_length=120,
                          widget=forms.TextInput(attrs={"placeholder": _("e.g. signed the photo consent form")}))


class PhotoForm(forms.Form):
    area = forms.ChoiceField(label=_("Area"), choices=[("", _("Choose the area"))] + areas.CHOICES)
    kind = forms.ChoiceField(label=_("Before or after"), choices=PhotoKind.choices, widget=forms.RadioSelect, initial=PhotoKind.BEFORE)
    image = forms.FileField(
        label=_("Photo"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        help_text=_("JPEG, PNG or WebP, up to 20 MB. On a phone or tablet this opens the camera."),
    )


class LotForm(forms.Form):
    sclerosant = forms.ChoiceField(label=_("Sclerosant"), choices=SCLEROSANT_CHOICES)
    concentration_percent = forms.DecimalField(label=_("Concentration (%)"), max_digits=5, decimal_places=2,
                                               min_value=Decimal("0.01"), max_value=Decimal("30"),
                                               widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))
    lot_number = forms.CharField(label=_("Lot number"), max_length=40)
    expires_on = forms.DateField(label=_("Expiry date"), widget=_date_input())
    product = forms.CharField(label=_("Product (optional)"), max_length=120, required=False)

    def clean_expires_on(self):
        value = self.cleaned_data["expires_on"]
        if not EARLIEST_DATE <= value <= timezone.localdate() + timedelta(days=365 * 10):
            raise forms.ValidationError(_("Enter the expiry date printed on the box."))
        return value


class RecallForm(forms.Form):
    lot = forms.CharField(label=_("Lot number"), max_length=40)
    first_day = forms.DateField(label=_("From"), required=False, widget=_date_input())
    last_day = forms.DateField(label=_("To"), required=False, widget=_date_input())

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and first > last:
            self.add_error("last_day", _("The end date is before the start date."))
        return data


class SettingsForm(forms.Form):
    max_volume_ml = forms.DecimalField(
        label=_("Maximum sclerosant volume per session (mL)"), max_digits=5, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("10"))],
        help_text=_("All areas of one session together. Between 0.5 and 10 mL: 10 mL is the labels' limit."),
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )

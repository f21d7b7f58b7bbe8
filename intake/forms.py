"""One form per questionnaire step, plus review/consent, re-confirmation and the clinician's decision.

Every field is named after its ``intake.rules.Answers`` field, so a step's ``to_answers()`` is the
piece of the answers it fills in. Follow-up questions ("when did it end?") are shown only when
their question is answered a certain way: with JavaScript they appear and disappear; without it they
are always shown, worded "If yes, ...", and the server ignores a date or a choice that doesn't
apply. Words typed in a follow-up box are never thrown away, whatever its question says: the rules
read every word (a box left filled in stays visible, so the patient sees what they are sending).
"""

from datetime import date
from typing import Any

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from .models import (
    RECONFIRM_DAYS_MAX,
    REVIEW_WORKING_DAYS_MAX,
    VALIDITY_DAYS_MAX,
    Decision,
    IntakeSettings,
)
from .steps import STEP_TITLES

REPLY = [("yes", "Yes"), ("no", "No"), ("unsure", "Not sure")]
YES_OR_UNSURE = ("yes", "unsure")


def _reply(label: str, help_text: str = "") -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=REPLY, widget=forms.RadioSelect, help_text=help_text)


def _date(label: str, help_text: str = "", required: bool = False) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _text(label: str, help_text: str = "", required: bool = False, rows: int = 2) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, help_text=help_text, max_length=1000,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _today() -> date:
    return timezone.localdate()


class StepForm(forms.Form):
    """A questionnaire step. `follow_ups`: field -> (question it depends on, values that show it)."""

    step: int = 0
    intro: str = ""
    follow_ups: dict[str, tuple[str, tuple[str, ...]]] = {}
    optional_follow_ups: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.error_messages["required"] = (
                "Please choose an answer." if isinstance(field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple)
                else "Please answer this question."
            )
        for name in self.follow_ups:
            self.fields[name].required = False  # required only when shown; checked in clean()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the page template has its own form tag and token
        self.helper.layout = Layout(*(self._layout_item(name) for name in self.fields))

    @property
    def title(self) -> str:
        return STEP_TITLES[self.step]

    def _layout_item(self, name: str):
        field = self.fields[name]
        # Yes / No / Not sure fit on one line on a phone; longer choices stay one per line.
        short = isinstance(field.widget, forms.RadioSelect) and list(field.choices) == REPLY
        item = InlineRadios(name) if short else Field(name)
        if name in self.follow_ups:
            parent, values = self.follow_ups[name]
            return Div(item, css_class="follow-up", data_show_when=f"{parent}={','.join(values)}")
        return item

    def _shown(self, name: str, cleaned: dict[str, Any]) -> bool:
        parent, values = self.follow_ups[name]
        value = cleaned.get(parent)
        chosen = value if isinstance(value, list) else [value]
        return any(v in values for v in chosen)

    def clean(self):
        cleaned = super().clean()
        for name, (parent, _values) in self.follow_ups.items():
            if parent in self.errors:
                continue
            if not self._shown(name, cleaned):
                self.errors.pop(name, None)
                if not isinstance(self.fields[name], forms.CharField):
                    cleaned[name] = None  # a stale date or choice never reaches the answers
                # Typed words are kept: "no" with "factor V Leiden" written below is for a clinician.
            elif name not in self.optional_follow_ups and cleaned.get(name) in (None, "", []):
                if name not in self.errors:
                    self.add_error(name, "Please answer this question too.")
        return cleaned

    def to_answers(self) -> dict[str, Any]:
        answers = {}
        for name in self.fields:
            value = self.cleaned_data.get(name)
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, str):
                value = value.strip()
                if value == "" and name in self.follow_ups:
                    value = None
            answers[name] = value
        return answers

    @staticmethod
    def _not_in_future(value: date | None) -> date | None:
        if value and value > _today():
            raise forms.ValidationError("This date is in the future. Please check it.")
        return value


class AboutYouForm(StepForm):
    step = 1
    intro = "A few details about you, and which veins you would like treated."
    follow_ups = {"treatment_area_other": ("treatment_areas", ("other",))}

    date_of_birth = _date("Date of birth", required=True)
    height_cm = forms.FloatField(
        label="Height in centimetres", required=False, min_value=90, max_value=250,
        help_text="Optional, e.g. 165. Height and weight help us choose a safe dose.",
        widget=forms.NumberInput(attrs={"inputmode": "decimal"}),
    )
    weight_kg = forms.FloatField(
        label="Weight in kilograms", required=False, min_value=25, max_value=350, help_text="Optional, e.g. 68.",
        widget=forms.NumberInput(attrs={"inputmode": "decimal"}),
    )
    treatment_areas = forms.MultipleChoiceField(
        label="Where are the veins you'd like treated?",
        choices=[("legs", "Lower legs"), ("ankles", "Ankles or feet"), ("thighs", "Thighs"), ("face", "Face"),
                 ("other", "Somewhere else")],
        widget=forms.CheckboxSelectMultiple, help_text="Tick all that apply.",
    )
    treatment_area_other = forms.CharField(label="If somewhere else: where?", max_length=200)
    vein_types = forms.MultipleChoiceField(
        label="What do these veins look like?",
        choices=[
            ("spider", "Thin red, purple or blue lines, like a web (spider veins)"),
            ("feeder", "Blue or green veins just under the skin, a bit thicker (feeder veins)"),
            ("bulging", "Large veins that bulge out, or look twisted or rope-like"),
            ("unsure", "I'm not sure"),
        ],
        widget=forms.CheckboxSelectMultiple, help_text="Tick all that apply.",
    )

    def clean_date_of_birth(self):
        born = self._not_in_future(self.cleaned_data["date_of_birth"])
        if born.year < 1900:
            raise forms.ValidationError("Please check the year of birth.")
        return born


class PregnancyForm(StepForm):
    step = 2
    intro = "Treatment has to wait during pregnancy and for a while after it."
    follow_ups = {
        "pregnancy_ended_on": ("recently_pregnant", ("yes",)),
        "wants_treatment_while_breastfeeding": ("breastfeeding", ("yes",)),
    }

    pregnant = _reply("Are you pregnant now?", "If this can't apply to you, choose No.")
    recently_pregnant = _reply(
        "Have you been pregnant in the last 3 months?", "This includes a birth, a miscarriage or an ended pregnancy."
    )
    pregnancy_ended_on = _date("If yes: when did the pregnancy end?")
    breastfeeding = _reply("Are you breastfeeding?")
    wants_treatment_while_breastfeeding = _reply("If yes: would you like treatment while you are still breastfeeding?")

    def clean_pregnancy_ended_on(self):
        return self._not_in_future(self.cleaned_data.get("pregnancy_ended_on"))


class CirculationForm(StepForm):
    step = 3
    intro = "Blood clots and circulation problems matter most for this treatment."
    follow_ups = {
        "clot_history_year": ("clot_history", ("yes",)),
        "clotting_disorder_details": ("clotting_disorder", YES_OR_UNSURE),
    }
    optional_follow_ups = ("clot_history_year", "clotting_disorder_details")

    clot_history = _reply(
        "Have you ever had a blood clot in a vein or in your lungs?",
        "For example a deep vein thrombosis (DVT) or a pulmonary embolism (PE).",
    )
    clot_history_year = forms.IntegerField(
        label="If yes: in about which year?", required=False, help_text="Optional.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    clotting_disorder = _reply(
        "Has a doctor told you that your blood clots too easily?", "For example factor V Leiden or thrombophilia."
    )
    clotting_disorder_details = forms.CharField(label="If yes: what is it called, if you know?", max_length=300)
    thrombophlebitis_now = _reply("Do you have a sore, red, hard vein near the skin right now?")
    arterial_disease = forms.ChoiceField(
        label="Have you been told the arteries in your legs are narrowed (poor circulation)?",
        choices=[
            ("no", "No"),
            ("mild", "Yes, but I have no pain at rest and no wounds that won't heal"),
            ("severe", "Yes, and I have leg pain at rest, or wounds that won't heal"),
            ("unsure", "Not sure"),
        ],
        widget=forms.RadioSelect,
    )
    heart_shunt = _reply("Have you been told you have a hole in your heart?", "For example a PFO (patent foramen ovale).")
    migraine_with_aura = _reply(
        "Do you get migraines that start with warning signs?", "Such as flashing lights, zigzag lines or tingling."
    )

    def clean_clot_history_year(self):
        year = self.cleaned_data.get("clot_history_year")
        if year is not None and not 1900 <= year <= _today().year:
            raise forms.ValidationError("Please check the year.")
        return year


class MedicinesForm(StepForm):
    step = 4
    intro = "Some medicines need a clinician's advice before treatment. Please list everything, even if it seems minor."

    blood_thinners = _reply(
        "Do you take a blood thinner?", "A medicine that stops blood from clotting, such as warfarin or Eliquis."
    )
    medications = _text(
        "Which medicines do you take now, or have taken in the last 10 days?",
        "Include pills, injections, and anything you buy yourself, like aspirin or ibuprofen. "
        "Write “none” if there are none.",
        required=True,
    )
    hormone_therapy = _reply(
        "Do you use hormones?", "For example the contraceptive pill, a hormone coil or implant, or HRT."
    )
    allergies = _text(
        "Are you allergic to anything?",
        "Medicines, earlier vein injections, latex, plasters, foods: anything. Write “none” if there is nothing.",
        required=True,
    )


class GeneralHealthForm(StepForm):
    step = 5
    intro = "A few questions about your health in general."
    follow_ups = {
        "serious_illness_details": ("serious_illness", YES_OR_UNSURE),
        "surgery_or_hospital_stay_ended_on": ("recent_surgery_or_hospital_stay", ("yes",)),
        "surgery_details": ("recent_surgery_or_hospital_stay", YES_OR_UNSURE),
    }
    optional_follow_ups = ("serious_illness_details", "surgery_details")

    diabetes = forms.ChoiceField(
        label="Do you have diabetes?",
        choices=[("no", "No"), ("well_controlled", "Yes, and it is well controlled"),
                 ("poorly_controlled", "Yes, and it is not well controlled"), ("unsure", "Not sure")],
        widget=forms.RadioSelect,
    )
    active_cancer = _reply("Do you have cancer now, or are you being treated for it?")
    blood_disorder = _reply("Do you have a blood condition?", "For example sickle cell disease, or very high or low platelets.")
    serious_illness = _reply("Do you have any other serious health condition?")
    serious_illness_details = _text("If yes: what is it?", "Optional, but it helps the clinician.")
    mobility = forms.ChoiceField(
        label="How well can you walk?",
        choices=[("walks_normally", "I walk normally"), ("limited", "I can walk, but not far or not easily"),
                 ("unable_to_walk", "I can't walk, or I'm in bed most of the day")],
        widget=forms.RadioSelect,
    )
    recent_surgery_or_hospital_stay = _reply(
        "In the last 3 months, have you had a major operation or a hospital stay of more than two days?"
    )
    surgery_or_hospital_stay_ended_on = _date("If yes: when was the operation, or when did you go home?")
    surgery_details = _text(
        _("If yes: what was it?"), _("Optional. For example “knee operation” or “5 days in hospital with pneumonia”.")
    )
    skin_infection_in_area = _reply("Is the skin where you'd like treatment infected right now?", "Red, hot, swollen or weeping.")
    fever_or_acute_illness = _reply("Do you have a fever or an infection, or feel very unwell, right now?")

    def clean_surgery_or_hospital_stay_ended_on(self):
        return self._not_in_future(self.cleaned_data.get("surgery_or_hospital_stay_ended_on"))


class LegsAndPlansForm(StepForm):
    step = 6
    intro = "Nearly done: your legs, any earlier vein treatment, and your plans."
    follow_ups = {
        "sclerotherapy_serious_reaction": ("had_sclerotherapy_before", YES_OR_UNSURE),
        "sclerotherapy_neuro_cardiac_event": ("had_sclerotherapy_before", YES_OR_UNSURE),
        "sclerotherapy_reaction_details": ("had_sclerotherapy_before", YES_OR_UNSURE),
        "long_flight_on": ("long_flight_planned", YES_OR_UNSURE),
    }
    optional_follow_ups = ("long_flight_on", "sclerotherapy_reaction_details")

    leg_ulcer = _reply("Do you have an open sore (an ulcer) on your leg?")
    leg_pain_or_swelling = _reply(
        "Do your legs often ache, throb or swell?", "We mean how your legs feel, not only how the veins look."
    )
    had_sclerotherapy_before = _reply("Have you had vein injections (sclerotherapy) before?")
    sclerotherapy_serious_reaction = _reply(
        "If yes: did you have a serious reaction?", "For example a severe allergic reaction, or a wound in the skin."
    )
    sclerotherapy_neuro_cardiac_event = _reply(
        "If yes: during or after it, did you have trouble seeing, speaking or moving, chest pain, or an uneven heartbeat?"
    )
    sclerotherapy_reaction_details = _text(
        _("If yes: how did it go? Tell us about any reaction, even a mild one."),
        _("Optional. If you know which medicine was used, please name it."),
    )
    smoker = _reply("Do you smoke?")
    long_flight_planned = _reply("Are you planning a flight of more than 4 hours in the coming months?")
    long_flight_on = _date("If yes: when do you fly?", "Optional. We'll help you plan sessions around it.")
    anything_else = _text(
        _("Is there anything else we should know?"),
        _("Optional. Anything about your health, your medicines or your veins that we haven't asked."),
        rows=3,
    )

    def clean_long_flight_on(self):
        flight = self.cleaned_data.get("long_flight_on")
        if flight and flight < _today():
            raise forms.ValidationError("This date has passed. Please check it, or leave it empty.")
        return flight


STEP_FORMS: dict[int, type[StepForm]] = {
    f.step: f for f in (AboutYouForm, PregnancyForm, CirculationForm, MedicinesForm, GeneralHealthForm, LegsAndPlansForm)
}


class ConsentForm(forms.Form):
    """The typed signature under the consent text (last step, and the stand-alone consent page)."""

    agree = forms.BooleanField(label="I have read the consent form above and I agree to it.")
    typed_name = forms.CharField(
        label="Type your full name to sign", max_length=170,
        widget=forms.TextInput(attrs={"autocomplete": "name", "autocapitalize": "words"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the page template has its own form tag and token
        self.helper.layout = Layout("agree", "typed_name")


class ReconfirmationForm(forms.Form):
    pregnant_now = _reply("Are you pregnant now?", "If this can't apply to you, choose No.")
    new_clot = _reply("Since you last answered, have you had a blood clot (DVT or in the lungs)?")
    unwell_now = _reply("Do you have a fever or an infection, or infected skin where you'll be treated?")
    new_medications = _text(
        "Any new medicines since you last answered?", "Include aspirin, ibuprofen and antibiotics. Write “none” if not.",
        required=True,
    )
    new_allergies = _text("Any new allergies?", "Write “none” if not.", required=True)
    other_changes = _text(_("Anything else that has changed with your health?"), _("Optional."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the page template has its own form tag and token
        self.helper.layout = Layout(
            InlineRadios("pregnant_now"), InlineRadios("new_clot"), InlineRadios("unwell_now"),
            "new_medications", "new_allergies", "other_changes",
        )

    def to_changes(self) -> dict[str, Any]:
        return {k: (v.strip() if isinstance(v, str) else v) for k, v in self.cleaned_data.items()}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label="Decision", choices=Decision.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label="Note for the record (why)", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000,
        help_text="Required. Patients do not see this note.",
    )
    patient_message = forms.CharField(
        label="Message to the patient", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
        help_text="Shown to the patient after they log in (never e-mailed). Required when asking for information.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the page template has its own form tag and token

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == Decision.REQUEST_INFO and not (cleaned.get("patient_message") or "").strip():
            self.add_error("patient_message", "Tell the patient what information you need.")
        return cleaned


# --- Showing answers back ----------------------------------------------------------------------


def _display(field: forms.Field, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    choices = dict(getattr(field, "choices", []) or [])
    if isinstance(value, list):
        return ", ".join(str(choices.get(v, v)) for v in value)
    if isinstance(field, forms.DateField) and isinstance(value, str):
        try:
            day = date.fromisoformat(value)
            return f"{day.day} {day:%B %Y}"
        except ValueError:
            return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(choices.get(value, value))


def highlighted(text: str, spans: list[dict[str, Any]]) -> SafeString:
    """The patient's text exactly as typed, escaped, with the words behind flags marked where they
    stand (spans carry offsets into the text; a span that doesn't fit the text is left out)."""
    fitting = sorted(
        {(sp["start"], sp["end"], sp.get("kind", "found"), sp.get("label", "")) for sp in spans
         if isinstance(sp.get("start"), int) and isinstance(sp.get("end"), int)
         and 0 <= sp["start"] < sp["end"] <= len(text) and text[sp["start"]:sp["end"]] == sp.get("text")},
        key=lambda sp: (sp[0], sp[2] != "found"),
    )
    parts, position = [], 0
    for start, end, kind, label in fitting:
        if start < position:
            continue  # the same words behind two flags: marked once
        parts.append(escape(text[position:start]))
        parts.append(format_html(
            '<mark class="hl hl-{}" title="{}">{}<span class="visually-hidden"> ({})</span></mark>',
            "found" if kind == "found" else "unplaced", label, text[start:end], label,
        ))
        position = end
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # every piece above is escaped


def field_label(name: str) -> str:
    """The question as the patient saw it."""
    for form_class in STEP_FORMS.values():
        if name in form_class.base_fields:
            return str(form_class.base_fields[name].label)
    return name


def readable_answers(
    answers: dict[str, Any], highlight: set[str] = frozenset(), spans: list[dict[str, Any]] = ()
) -> list[dict[str, Any]]:
    """The answers as the patient saw the questions, step by step, for review pages.

    Follow-up questions that were not asked are left out. `highlight` marks the answers behind flags;
    `spans` (from the flags' details) mark the words behind them inside typed answers.
    """
    sections = []
    for number, form_class in STEP_FORMS.items():
        form = form_class()
        rows = []
        for name, field in form.fields.items():
            value = answers.get(name)
            if name in form.follow_ups and value in (None, ""):
                continue
            row = {"name": name, "question": field.label, "answer": _display(field, value),
                   "flagged": name in highlight, "typed": isinstance(value, str) and isinstance(field, forms.CharField)}
            if row["typed"] and value:
                row["answer_html"] = highlighted(value, [sp for sp in spans if sp.get("field") == name])
            rows.append(row)
        sections.append({"step": number, "title": form.title, "rows": rows})
    return sections


class IntakeSettingsForm(forms.ModelForm):
    """Screening validity, the "anything changed?" window and the review promise, in plain limits."""

    LIMITS = {
        "validity_days": (1, VALIDITY_DAYS_MAX),
        "reconfirm_days": (1, RECONFIRM_DAYS_MAX),
        "review_working_days": (1, REVIEW_WORKING_DAYS_MAX),
    }

    class Meta:
        model = IntakeSettings
        fields = ["validity_days", "reconfirm_days", "review_working_days"]
        labels = {
            "validity_days": "A screening is valid for (days)",
            "reconfirm_days": 'Patients confirm "anything changed?" within (days before a session)',
            "review_working_days": "Clinicians review flagged answers within (working days)",
        }
        help_texts = {
            "validity_days": "Applies to screenings sent from now on; the ones already sent keep their date.",
            "reconfirm_days": "Usually 7.",
            "review_working_days": "What patients are told while they wait.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, (low, high) in self.LIMITS.items():
            field = self.fields[name]
            message = f"Enter a whole number from {low} to {high}."
            field.widget.attrs.update({"min": low, "max": high, "inputmode": "numeric"})
            field.error_messages["invalid"] = message
            field.validators = [MinValueValidator(low, message), MaxValueValidator(high, message)]

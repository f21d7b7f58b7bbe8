from datetime import date

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from clinic.forms import CALENDAR_YEARS, calendar_date
from clinic.models import Clinician, Patient

from .models import Service


class SlotForm(forms.Form):
    """A chosen slot as the page posts it. Never trusted: the service re-checks everything."""

    start = forms.DateTimeField(validators=[calendar_date])
    clinician = forms.IntegerField(required=False, min_value=1)
    planned_sessions = forms.IntegerField(required=False, min_value=1, max_value=10)
    move_following = forms.BooleanField(required=False)


class WaitlistForm(forms.Form):
    earliest = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                               validators=[calendar_date])
    latest = forms.DateField(label="Until", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                             validators=[calendar_date])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class CancelForm(forms.Form):
    reason = forms.CharField(required=False, max_length=200, label="Reason (optional)")


class DeskBookForm(forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.filter(is_active=True))
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), validators=[calendar_date])
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M"),
                           help_text="Clinic time.")
    clinician = forms.ModelChoiceField(
        queryset=Clinician.objects.select_related("staff__user"), required=False, empty_label="Any free clinician"
    )
    whole_course = forms.BooleanField(required=False, label="Book every session of the course now (all or nothing)")
    planned_sessions = forms.IntegerField(required=False, min_value=1, max_value=10, label="Sessions in the course",
                                          help_text="Only for a new course; the clinic's default when empty.")
    override_reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Outside the spacing window because…",
        help_text="Clinicians only: book a session outside its window, with the reason recorded.",
    )

    def __init__(self, *args, can_override: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_override:
            del self.fields["override_reason"]
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Book"))


class DeskMoveForm(forms.Form):
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), validators=[calendar_date])
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M"),
                           help_text="Clinic time.")
    clinician = forms.ModelChoiceField(
        queryset=Clinician.objects.select_related("staff__user"), required=False, empty_label="Any free clinician"
    )
    move_following = forms.BooleanField(required=False, label="Also move later sessions that would fall out of their window")
    override_reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Outside the spacing window because…",
    )

    def __init__(self, *args, can_override: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_override:
            del self.fields["override_reason"]
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Move"))


class PatientPickForm(forms.Form):
    patient = forms.ModelChoiceField(queryset=Patient.objects.all(), widget=forms.HiddenInput)


def parse_day(value: str | None) -> date | None:
    """A day from a query parameter, or None when it is missing, malformed or off any calendar."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is not None and CALENDAR_YEARS[0] <= day.year <= CALENDAR_YEARS[1] else None

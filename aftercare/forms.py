from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from .checkin import CheckInAnswers
from .plan import QuietHours
from .services import ERRORS


class CheckInForm(forms.Form):
    bruising = forms.BooleanField(required=False, label="Bruising")
    lumps = forms.BooleanField(required=False, label="Small hard lumps along the treated veins")
    itching = forms.BooleanField(required=False, label="Itching")
    skin_darkening = forms.BooleanField(required=False, label="Brown or darker lines on the skin")
    redness = forms.ChoiceField(
        label="Redness",
        choices=[("none", "None"), ("around_injections", "A little, around the injection spots"),
                 ("spreading_or_hot", "Spreading, or the skin feels hot")],
        initial="none", widget=forms.RadioSelect,
    )
    pain = forms.ChoiceField(
        label="Pain",
        choices=[("none", "None"), ("mild", "Mild: paracetamol helps"), ("severe", "Bad, or getting worse")],
        initial="none", widget=forms.RadioSelect,
    )
    leg_swelling = forms.BooleanField(required=False, label="A swollen, tender or painful calf or leg")
    fever = forms.BooleanField(required=False, label="Fever or feeling unwell")
    wound_or_blister = forms.BooleanField(required=False, label="An open sore, wound or blister")
    breathlessness = forms.BooleanField(required=False, label="Shortness of breath")
    chest_pain = forms.BooleanField(required=False, label="Chest pain")
    vision_or_speech_change = forms.BooleanField(required=False, label="Changes in your sight, or trouble speaking")
    other = forms.CharField(
        required=False, max_length=1000, label="Anything else you want us to know?",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset("Common after treatment", "bruising", "lumps", "itching", "skin_darkening", "redness", "pain"),
            Fieldset("Please tell us if you have", "leg_swelling", "fever", "wound_or_blister", "breathlessness",
                     "chest_pain", "vision_or_speech_change"),
            "other",
        )
        self.helper.add_input(Submit("submit", "Send my answers", css_class="w-100"))

    def answers(self) -> CheckInAnswers:
        return CheckInAnswers(**self.cleaned_data)


# The triage rule that fired (checkin.RULES) -> the answer it read, where the two names differ.
_ANSWER_OF_RULE = {"severe_pain": "pain", "spreading_redness": "redness", "other_concern": "other"}


def answer_lines(answers: dict, reasons: list[str]) -> list[tuple[str, bool]]:
    """What the patient reported, in the words of the form, each with whether it raised the alarm."""
    flagged = {_ANSWER_OF_RULE.get(code, code) for code in reasons}
    lines = []
    for name, field in CheckInForm.base_fields.items():
        value = answers.get(name)
        if not value or value == "none":
            continue
        if isinstance(field, forms.ChoiceField):
            text = f"{field.label}: {dict(field.choices).get(value, value)}"
        elif isinstance(field, forms.CharField):
            text = f"In their words: {value}"
        else:
            text = str(field.label)
        lines.append((text, name in flagged))
    return lines


class HandleCheckInForm(forms.Form):
    note = forms.CharField(label="What you did", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class QuietHoursForm(forms.Form):
    sms_quiet_start = forms.TimeField(
        label=_("No text messages from"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Clinic time, e.g. 21:00."),
    )
    sms_quiet_end = forms.TimeField(
        label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Clinic time, e.g. 08:00. A text due in between waits until then; e-mail is not held back."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("sms_quiet_start"), cleaned.get("sms_quiet_end")
        if start is not None and end is not None:
            problem = QuietHours(start=start, end=end).problem()
            if problem:
                self.add_error("sms_quiet_end", ERRORS[problem])
        return cleaned

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Fieldset, Layout, Submit
from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from . import outbox
from .models import Channel, User
from .services import PatientDetails

OLDEST_BIRTH_YEAR = 1900
# Dates a calendar can mean. Outside them date arithmetic overflows (9999-12-31 + 1 day), so a
# form refuses them with a message instead of a 500.
CALENDAR_YEARS = (1900, 2200)


def calendar_date(value):
    """Validator for DateField and DateTimeField: a date the clinic's calendars can hold."""
    if not CALENDAR_YEARS[0] <= value.year <= CALENDAR_YEARS[1]:
        raise forms.ValidationError(_("Please enter a date between the years %(first)s and %(last)s.")
                                    % {"first": CALENDAR_YEARS[0], "last": CALENDAR_YEARS[1]})


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(label="E-mail address", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}))

    error_messages = {
        "invalid_login": "That e-mail address and password do not match an account. Check both and try again.",
        "inactive": "This account is switched off. Please call the clinic.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Log in", css_class="w-100"))


class PatientDetailsForm(forms.Form):
    """The fields a patient keeps up to date themselves; shared by sign-up and profile."""

    first_name = forms.CharField(max_length=80, widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(max_length=80, widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    email = forms.EmailField(label="E-mail address", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    date_of_birth = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
        help_text="We check that treatment is safe for your age.",
    )
    phone = PhoneNumberField(
        label="Mobile phone",
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text="Optional, unless you want text-message reminders.",
        error_messages={"invalid": "Enter a valid phone number, e.g. (206) 555-0147 or +1 206 555 0147."},
    )
    preferred_channel = forms.ChoiceField(
        label="Send my reminders by", choices=Channel.choices, initial=Channel.EMAIL, widget=forms.RadioSelect
    )
    sms_consent = forms.BooleanField(
        label="I agree to receive appointment text messages (they never contain health details)", required=False
    )

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born > timezone.localdate():
            raise forms.ValidationError("The date of birth cannot be in the future.")
        if born.year < OLDEST_BIRTH_YEAR:
            raise forms.ValidationError("Please check the year of birth.")
        return born

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("preferred_channel") == Channel.SMS:
            if not cleaned.get("phone") and "phone" not in self.errors:
                self.add_error("phone", "Add a mobile number to get reminders by text message.")
            if not cleaned.get("sms_consent"):
                self.add_error("sms_consent", "Tick this box to get reminders by text message, or choose e-mail.")
        return cleaned

    def patient_details(self) -> PatientDetails:
        c = self.cleaned_data
        return PatientDetails(
            first_name=c["first_name"].strip(),
            last_name=c["last_name"].strip(),
            date_of_birth=c["date_of_birth"],
            phone=c.get("phone") or "",
            preferred_channel=c["preferred_channel"],
            sms_consent=c.get("sms_consent", False),
        )


class SignUpForm(PatientDetailsForm):
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters; not a common password and not only digits.",
    )
    password2 = forms.CharField(
        label="Password again", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset("About you", Div(Div("first_name", css_class="col-sm-6"), Div("last_name", css_class="col-sm-6"), css_class="row"), "date_of_birth"),
            Fieldset("How we reach you", "email", "phone", "preferred_channel", "sms_consent"),
            Fieldset("Your password", "password1", "password2"),
        )
        self.helper.add_input(Submit("submit", "Create my account", css_class="w-100"))

    # No check that the address is free: the answer must be the same whether or not an account
    # uses it (the service e-mails the owner instead).

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords do not match.")
        elif p1:
            probe = User(email=cleaned.get("email", ""), first_name=cleaned.get("first_name", ""), last_name=cleaned.get("last_name", ""))
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class ProfileForm(PatientDetailsForm):
    current_password = forms.CharField(
        label=_("Your current password"), required=False, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Only needed to change your e-mail address."),
    )

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = _("If you change it, we send a link to the new address to confirm it, "
                                           "and tell the old one.")
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset("About you", Div(Div("first_name", css_class="col-sm-6"), Div("last_name", css_class="col-sm-6"), css_class="row"), "date_of_birth"),
            Fieldset("How we reach you", "email", "current_password", "phone", "preferred_channel", Field("sms_consent")),
        )
        self.helper.add_input(Submit("submit", "Save changes", css_class="w-100"))

    def clean(self):
        cleaned = super().clean()
        email = cleaned.get("email")
        if self.user is not None and email and email != self.user.email.lower():
            # A stolen session alone must not be enough to move the account to another address.
            if not self.user.check_password(cleaned.get("current_password") or ""):
                self.add_error("current_password", _("Enter your current password to change your e-mail address."))
        return cleaned


class SecondFactorForm(forms.Form):
    code = forms.CharField(max_length=32, strip=True)

    def __init__(self, *args, label="", recovery=False, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.label = label
        field.widget.attrs.update({"autocomplete": "one-time-code", "autofocus": True, "autocapitalize": "off",
                                   "spellcheck": "false"})
        if recovery:
            field.help_text = _("Lost your phone? Enter one of your recovery codes instead.")
        else:
            field.widget.attrs.update({"inputmode": "numeric", "pattern": "[0-9 ]*"})


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, with the e-mail asked of the outbox (rendered there, with a fresh link)."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        outbox.enqueue("clinic.password_reset", user=context["user"], urgent=True)


class PatientSearchForm(forms.Form):
    q = forms.CharField(label="Find a patient", required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, e-mail or phone"}))



class StaffPatientForm(PatientDetailsForm):
    """A new patient as the desk takes their details (no password: they can sign up later)."""

    prefix = "new"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date_of_birth"].help_text = ""
        self.fields["phone"].help_text = ""
        self.fields["preferred_channel"].label = "Reminders by"
        self.fields["sms_consent"].label = "The patient agrees to appointment text messages"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Div(Div("first_name", css_class="col-sm-6"), Div("last_name", css_class="col-sm-6"), css_class="row"),
            Div(Div("date_of_birth", css_class="col-sm-6"), Div("phone", css_class="col-sm-6"), css_class="row"),
            "email", "preferred_channel", "sms_consent",
        )


class AuditExportForm(forms.Form):
    """A date range in the clinic's time zone, both days included."""

    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("Until (included)"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    EARLIEST_YEAR, LATEST_YEAR = 2000, 2100

    def clean(self):
        cleaned = super().clean()
        for name in ("start", "end"):
            day = cleaned.get(name)
            if day is not None and not self.EARLIEST_YEAR <= day.year <= self.LATEST_YEAR:
                self.add_error(name, _("Choose a date between %(a)s and %(b)s.") % {"a": self.EARLIEST_YEAR, "b": self.LATEST_YEAR})
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            self.add_error("end", _("The end must be on or after the start."))
        return cleaned

from datetime import date, datetime, time, timedelta

from crispy_forms.helper import FormHelper
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.models import Clinician, Room, Weekday

from .models import (
    COURSE_SESSIONS_MAX,
    FIRST_DATE,
    HOLD_MINUTES_MAX,
    HORIZON_DAYS_MAX,
    LAST_DATE,
    NOTICE_HOURS_MAX,
    SLOT_STEPS,
    SPACING_DAYS_MAX,
    WAITLIST_NOTIFY_MAX,
    BookingPolicy,
    ContactChannel,
)

DATE_RANGE_ERROR = _("Choose a date between 2000 and 2100.")


def in_range(day: date) -> bool:
    return FIRST_DATE <= day <= LAST_DATE


def parse_day(value: str | None) -> date | None:
    """A YYYY-MM-DD query parameter, or None when it is missing, malformed or out of range."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is not None and in_range(day) else None


class ClinicDateField(forms.DateField):
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def clean(self, value):
        day = super().clean(value)
        if day is not None and not in_range(day):
            raise forms.ValidationError(DATE_RANGE_ERROR, code="out_of_range")
        return day


class SlotStartField(forms.DateTimeField):
    """A slot's start as the page posts it (ISO 8601 with its offset); years far off are refused."""

    def clean(self, value):
        start = super().clean(value)
        if start is not None and not in_range(start.date()):
            raise forms.ValidationError(DATE_RANGE_ERROR, code="out_of_range")
        return start


class SlotForm(forms.Form):
    """A chosen slot as the page posts it. Never trusted: the service re-checks everything."""

    start = SlotStartField()
    clinician = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    planned_sessions = forms.IntegerField(required=False, min_value=1, max_value=10)
    move_following = forms.BooleanField(required=False)


class WaitlistForm(forms.Form):
    earliest = ClinicDateField(label="From")
    latest = ClinicDateField(label="Until")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class CancelForm(forms.Form):
    reason = forms.CharField(required=False, max_length=200, label="Reason (optional)")


class DeskCancelForm(forms.Form):
    """The desk cancels with a reason: it stays in the visit's history."""

    reason = forms.CharField(max_length=200, label=_("Why is it cancelled?"),
                             error_messages={"required": _("Please say why the visit is cancelled.")})


class CalendarForm(forms.Form):
    """What the desk calendar shows (GET). Bad values fall back to today / the day view."""

    date = ClinicDateField(required=False, label=_("Go to date"))
    by = forms.ChoiceField(choices=[("clinician", _("By clinician")), ("room", _("By room"))], required=False)
    view = forms.ChoiceField(choices=[("day", _("Day")), ("week", _("Week"))], required=False)
    who = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    move = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class DeskBookForm(forms.Form):
    """The desk books a chosen free time. Never trusted: the service re-checks everything."""

    start = SlotStartField(widget=forms.HiddenInput)
    clinician = forms.ModelChoiceField(queryset=Clinician.objects.all(), required=False, widget=forms.HiddenInput)
    room = forms.ModelChoiceField(queryset=Room.objects.all(), required=False, widget=forms.HiddenInput)
    whole_course = forms.BooleanField(required=False, label=_("Book every remaining session of the course now (all or nothing)"))
    planned_sessions = forms.IntegerField(required=False, min_value=1, max_value=COURSE_SESSIONS_MAX, label=_("Sessions in the course"),
                                          help_text=_("Only for a new course; the clinic's usual number when empty."))
    override_reason = forms.CharField(
        required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}), label=_("Outside the spacing window because…"),
        help_text=_("Clinicians only: book a session outside its window, with the reason recorded."),
    )

    def __init__(self, *args, can_override: bool = False, is_session: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_override:
            del self.fields["override_reason"]
        if not is_session:
            del self.fields["whole_course"], self.fields["planned_sessions"]


class DeskMoveForm(forms.Form):
    start = SlotStartField(widget=forms.HiddenInput)
    clinician = forms.ModelChoiceField(queryset=Clinician.objects.all(), required=False, widget=forms.HiddenInput)
    room = forms.ModelChoiceField(queryset=Room.objects.all(), required=False, widget=forms.HiddenInput)
    move_following = forms.BooleanField(required=False, label=_("Also move later sessions that would fall out of their window"))
    override_reason = forms.CharField(
        required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}), label=_("Outside the spacing window because…"),
    )

    def __init__(self, *args, can_override: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_override:
            del self.fields["override_reason"]


class UndoForm(forms.Form):
    reason = forms.CharField(max_length=200, label=_("Why undo it?"),
                             error_messages={"required": _("Please say why you are undoing this.")})


class ContactForm(forms.Form):
    channel = forms.ChoiceField(choices=ContactChannel.choices, label=_("How"))
    note = forms.CharField(max_length=300, label=_("What was said or left"),
                           error_messages={"required": _("Please note what was said or left.")})


class StopCourseForm(forms.Form):
    reason = forms.CharField(max_length=200, label=_("Why the course stops"),
                             error_messages={"required": _("Please say why the course stops.")})


class WaitlistOfferForm(forms.Form):
    day = ClinicDateField()


# --- the clinic admin's settings -------------------------------------------------------------


class BookingPolicyForm(forms.ModelForm):
    """Spacing, course length, notice, horizon, slot step, hold: plain limits, plain errors."""

    slot_step_minutes = forms.TypedChoiceField(
        coerce=int, choices=[(m, _("%(m)s minutes") % {"m": m}) for m in SLOT_STEPS], label=_("Slot step"),
        help_text=_("Times are offered every this many minutes from the start of each clinician's hours."),
    )

    LIMITS = {
        "min_days_between_sessions": (1, SPACING_DAYS_MAX, _("days")),
        "max_days_between_sessions": (1, SPACING_DAYS_MAX, _("days")),
        "course_sessions_default": (1, COURSE_SESSIONS_MAX, _("sessions")),
        "course_sessions_min": (1, COURSE_SESSIONS_MAX, _("sessions")),
        "course_sessions_max": (1, COURSE_SESSIONS_MAX, _("sessions")),
        "notice_hours": (0, NOTICE_HOURS_MAX, _("hours")),
        "horizon_days": (1, HORIZON_DAYS_MAX, _("days")),
        "hold_minutes": (1, HOLD_MINUTES_MAX, _("minutes")),
        "waitlist_notify_count": (0, WAITLIST_NOTIFY_MAX, _("patients")),
    }

    class Meta:
        model = BookingPolicy
        fields = [
            "min_days_between_sessions", "max_days_between_sessions",
            "course_sessions_default", "course_sessions_min", "course_sessions_max",
            "notice_hours", "horizon_days", "slot_step_minutes", "hold_minutes", "waitlist_notify_count",
        ]
        labels = {
            "min_days_between_sessions": _("Shortest gap between sessions"),
            "max_days_between_sessions": _("Longest gap between sessions"),
            "course_sessions_default": _("Usual number of sessions"),
            "course_sessions_min": _("Fewest sessions in a course"),
            "course_sessions_max": _("Most sessions in a course"),
            "notice_hours": _("Notice for online changes (hours)"),
            "horizon_days": _("How far ahead patients may book (days)"),
            "hold_minutes": _("Minutes a chosen time is kept while the patient confirms"),
            "waitlist_notify_count": _("Waiting patients told when a time frees up"),
        }
        help_texts = {
            "min_days_between_sessions": _("Counted in calendar days. Clinics usually allow 14."),
            "max_days_between_sessions": _("After this, partly closed veins may re-open. Usually 42; at most 365."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, (low, high, unit) in self.LIMITS.items():
            field = self.fields[name]
            message = _("Enter a whole number from %(low)s to %(high)s %(unit)s.") % {"low": low, "high": high, "unit": unit}
            field.widget.attrs.update({"min": low, "max": high, "inputmode": "numeric"})
            field.error_messages["invalid"] = message
            field.validators = [MinValueValidator(low, message), MaxValueValidator(high, message)]

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_days_between_sessions"), cleaned.get("max_days_between_sessions")
        if low is not None and high is not None and high < low:
            self.add_error("max_days_between_sessions", _("The longest gap cannot be shorter than the shortest (%(low)s days).") % {"low": low})
        fewest, most, usual = (cleaned.get(n) for n in ("course_sessions_min", "course_sessions_max", "course_sessions_default"))
        if fewest is not None and most is not None and most < fewest:
            self.add_error("course_sessions_max", _("The most sessions cannot be fewer than the fewest (%(n)s).") % {"n": fewest})
        elif None not in (fewest, most, usual) and not fewest <= usual <= most:
            self.add_error("course_sessions_default", _("The usual number must lie between %(a)s and %(b)s.") % {"a": fewest, "b": most})
        return cleaned


class WorkingWeekForm(forms.Form):
    """A clinician's week: up to two spans a day (e.g. morning and afternoon, with lunch between)."""

    SPANS = 2

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for day in Weekday:
            for n in range(1, self.SPANS + 1):
                for part in ("starts", "ends"):
                    self.fields[f"d{day.value}_{n}_{part}"] = forms.TimeField(
                        required=False, label=f"{day.label} {_('from') if part == 'starts' else _('to')}",
                        widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M"),
                    )

    def rows(self):
        """(weekday label, [(starts field, ends field), ...]) for the template."""
        return [(day.label, [(self[f"d{day.value}_{n}_starts"], self[f"d{day.value}_{n}_ends"])
                             for n in range(1, self.SPANS + 1)]) for day in Weekday]

    @classmethod
    def initial_from(cls, hours) -> dict:
        initial, count = {}, {}
        for h in hours:
            n = count[h.weekday] = count.get(h.weekday, 0) + 1
            if n <= cls.SPANS:
                initial[f"d{h.weekday}_{n}_starts"], initial[f"d{h.weekday}_{n}_ends"] = h.starts, h.ends
        return initial

    def clean(self):
        cleaned = super().clean()
        spans = []
        for day in Weekday:
            day_spans = []
            for n in range(1, self.SPANS + 1):
                starts, ends = cleaned.get(f"d{day.value}_{n}_starts"), cleaned.get(f"d{day.value}_{n}_ends")
                if starts is None and ends is None:
                    continue
                if starts is None or ends is None:
                    self.add_error(f"d{day.value}_{n}_{'starts' if starts is None else 'ends'}",
                                   _("Give both the start and the end, or neither."))
                    continue
                if ends <= starts:
                    self.add_error(f"d{day.value}_{n}_ends", _("The end must be after the start."))
                    continue
                day_spans.append((starts, ends, n))
            day_spans.sort()
            for (s1, e1, _n1), (s2, _e2, n2) in zip(day_spans, day_spans[1:]):
                if s2 < e1:
                    self.add_error(f"d{day.value}_{n2}_starts", _("This overlaps the other span of the day."))
            spans += [(day.value, s, e) for s, e, _n in day_spans]
        cleaned["spans"] = spans
        return cleaned


class TimeOffForm(forms.Form):
    clinician = forms.ModelChoiceField(queryset=Clinician.objects.filter(staff__is_active=True).select_related("staff__user"))
    first_day = ClinicDateField(label=_("From"))
    first_time = forms.TimeField(required=False, label=_("at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                                 help_text=_("Empty: from the start of the day."))
    last_day = ClinicDateField(label=_("Until"))
    last_time = forms.TimeField(required=False, label=_("at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                                help_text=_("Empty: to the end of the day."))
    reason = forms.CharField(required=False, max_length=120, label=_("Reason (staff only)"))

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if first and last:
            tz = timezone.get_current_timezone()
            start = datetime.combine(first, cleaned.get("first_time") or time(0), tzinfo=tz)
            end = (datetime.combine(last, cleaned["last_time"], tzinfo=tz) if cleaned.get("last_time")
                   else datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz))
            if end <= start:
                self.add_error("last_day", _("The time off must end after it starts."))
            cleaned["start"], cleaned["end"] = start, end
        return cleaned


class ClosureForm(forms.Form):
    date = ClinicDateField(label=_("Date"))
    reason = forms.CharField(required=False, max_length=120, label=_("Reason"), help_text=_("e.g. a public holiday"))

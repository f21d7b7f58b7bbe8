"""Reads of the clinic's own records that are more than a filter.

``patient_search`` is the one way staff find a patient: the staff home's search box and the desk's
booking page both call it.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime

import phonenumbers
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import AuditEvent, Patient

OLDEST_BIRTH_YEAR = 1900

_MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): n for n, name in enumerate(calendar.month_abbr) if name})
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))

# Dates of birth as people type them: 1984-03-12, 3/12/1984 (US order, this clinic's region),
# 12 March 1984, March 12, 1984, Mar 12 1984.
_DATE_PATTERNS = [
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), lambda m: (m[1], m[2], m[3])),
    (re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b"), lambda m: (m[3], m[1], m[2])),
    (re.compile(rf"\b(\d{{1,2}})\s+({_MONTH})\.?,?\s+(\d{{4}})\b", re.I), lambda m: (m[3], m[2], m[1])),
    (re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})\b", re.I), lambda m: (m[3], m[1], m[2])),
]
# A phone number however it is written: +1 (310) 555-0147, 310.555.0147, 555-0147, 0147.
_PHONE_RUN = re.compile(r"\+?\(?\d[\d\s().\-]*\d\)?")
MIN_PHONE_DIGITS = 3


def _to_date(year: str, month: str, day: str) -> date | None:
    y = int(year)
    if y < 100:  # 3/12/84: a birth year, so the last century unless that would be in the future
        y += 2000 if 2000 + y <= timezone.localdate().year else 1900
    m = _MONTHS.get(month.lower().rstrip(".")) if not month.isdigit() else int(month)
    try:
        found = date(y, m or 0, int(day))
    except ValueError:
        return None
    return found if OLDEST_BIRTH_YEAR <= found.year else None


def _phone_terms(run: str) -> set[str]:
    """Digit strings a stored number (E.164, "+13105550147") must contain to match ``run``."""
    digits = re.sub(r"\D", "", run)
    terms = {digits}
    try:
        parsed = phonenumbers.parse(run, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return terms
    if phonenumbers.is_possible_number(parsed):
        # "020 7946 0958" in the UK is stored as +442079460958: match on the national number.
        terms.add(str(parsed.national_number))
    return terms


def _parse(query: str) -> tuple[list[date], list[str], list[str]]:
    """The query's dates of birth, phone-number pieces and words, each taken out in that order."""
    dates = []
    for pattern, parts in _DATE_PATTERNS:
        for match in pattern.finditer(query):
            found = _to_date(*parts(match))
            if found is not None:
                dates.append(found)
                query = query.replace(match[0], " ")
    phones = []
    for match in _PHONE_RUN.finditer(query):
        if len(re.sub(r"\D", "", match[0])) >= MIN_PHONE_DIGITS:
            phones.append(match[0])
            query = query.replace(match[0], " ", 1)
    words = [w for w in re.split(r"[\s,]+", query) if w.strip("()+-.")]
    return dates, phones, words


def patient_search(query: str, *, limit: int = 20) -> QuerySet[Patient]:
    """Patients matching every part of ``query`` (name, e-mail, date of birth, phone), by name.

    Each part narrows the list: "Emma 3/12/1984" finds the Emmas born that day. A phone number
    matches however it was typed ("(310) 555-0147", "555-0147", "+13105550147"); a four-digit
    number that could be a birth year also matches that year. One query.
    """
    # A NUL character is no part of a name, and PostgreSQL refuses to compare text holding one.
    dates, phones, words = _parse(query.replace("\x00", " ").strip()[:200])
    if not (dates or phones or words):
        return Patient.objects.none()
    condition = Q()
    for day in dates:
        condition &= Q(date_of_birth=day)
    for run in phones:
        either = Q()
        for term in _phone_terms(run):
            either |= Q(phone__contains=term)
        digits = re.sub(r"\D", "", run)
        if len(digits) == 4 and OLDEST_BIRTH_YEAR <= int(digits) <= timezone.localdate().year:
            either |= Q(date_of_birth__year=int(digits))
        condition &= either
    for word in words:
        condition &= Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
    return Patient.objects.filter(condition).order_by("last_name", "first_name", "pk")[:limit]


def audit_events(*, since: datetime, until: datetime) -> QuerySet[AuditEvent]:
    """Entries in [since, until), oldest first, with who and whose (the export reads them all)."""
    return AuditEvent.objects.filter(at__gte=since, at__lt=until).select_related("actor", "patient").order_by("at", "pk")


def history_of(obj) -> QuerySet[AuditEvent]:
    """Every entry about one object, oldest first (e.g. a visit's booking history)."""
    return (AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
            .select_related("actor").order_by("at", "pk"))

"""Is this dose safe? The pure decision for one session's treatment record. No Django here.

Shaped like Django's password validators: every check runs on every plan and every finding is
collected with a stable code, so the clinician sees all that is wrong at once. A finding is
either a block (the record cannot be saved) or a warning (it can, once the clinician confirms it).

The figures are data (``Limit`` rows, each with its source: the treatment app's DoseLimit table,
shown on the form before anything is typed); this module only compares. Volumes and
concentrations are ``Decimal``: 10.0 mL passes a 10 mL limit and 10.1 does not, with no float
rounding in between.

Checks (CLINICAL_RULES.md, "Dose"):

- total volume: at most the clinic's per-session maximum, and at most any per-session limit the
  table has for this sclerosant (both 10 mL by default);
- polidocanol by weight: mL x % x 10 = mg; the day's total (this record plus the patient's other
  polidocanol records of the same local day) at most the table's mg per kg of body weight, with
  the weight taken on the day (a missing weight is a block: the form asks for it);
- the lot: expired before the session's day is a block (the expiry day itself is still usable);
- allergies: a sclerosant the patient's screening flags an allergy to is a block; an allergy to a
  sclerosant that was not named, or allergy text intake could not read, is a warning;
- concentration: outside the usual range for a vein type treated in this session is a warning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


def gettext_noop(text: str) -> str:
    """Marks a message for translation (xgettext finds it); the Django side translates it."""
    return text


class Sclerosant(StrEnum):
    POLIDOCANOL = "polidocanol"
    SODIUM_TETRADECYL_SULFATE = "sodium_tetradecyl_sulfate"
    HYPERTONIC_SALINE = "hypertonic_saline"


SCLEROSANT_LABELS = {
    Sclerosant.POLIDOCANOL: gettext_noop("Polidocanol"),
    Sclerosant.SODIUM_TETRADECYL_SULFATE: gettext_noop("Sodium tetradecyl sulfate"),
    Sclerosant.HYPERTONIC_SALINE: gettext_noop("Hypertonic saline"),
}


class VeinType(StrEnum):
    SPIDER = "spider"
    RETICULAR = "reticular"


VEIN_TYPE_LABELS = {
    VeinType.SPIDER: gettext_noop("Spider veins (under 1 mm)"),
    VeinType.RETICULAR: gettext_noop("Reticular veins (1–3 mm)"),
}


class LimitKind(StrEnum):
    SESSION_VOLUME_ML = "session_volume_ml"  # maximum: a block above it
    DAILY_MG_PER_KG = "daily_mg_per_kg"  # maximum: a block above it
    CONCENTRATION_PERCENT = "concentration_percent"  # usual range: a warning outside it
    INJECTION_VOLUME_ML = "injection_volume_ml"  # usual range per injection: shown, not checked


class Severity(StrEnum):
    BLOCK = "block"
    WARN = "warn"


# What each warning a clinician may confirm is about, for the record page.
WARNING_LABELS = {
    "allergy.unspecified": gettext_noop("allergy to an unnamed vein treatment checked"),
    "allergy.unrecognised": gettext_noop("unreadable allergy answer checked"),
    "concentration.unusual.spider": gettext_noop("unusual concentration for spider veins"),
    "concentration.unusual.reticular": gettext_noop("unusual concentration for reticular veins"),
}

# Allergy codes intake's selector reports (intake.selectors.sclerosant_allergies).
ALLERGY_UNSPECIFIED = "unspecified"
ALLERGY_UNRECOGNISED = "unrecognised"


@dataclass(frozen=True)
class Limit:
    code: str
    kind: LimitKind
    sclerosant: str | None  # None: any sclerosant
    vein_type: str | None  # None: any vein type
    minimum: Decimal | None
    maximum: Decimal | None
    source: str

    def applies_to(self, sclerosant: str, vein_type: str | None = None) -> bool:
        return self.sclerosant in (None, sclerosant) and (vein_type is None or self.vein_type in (None, vein_type))


@dataclass(frozen=True)
class AreaDose:
    code: str
    vein_type: str
    volume_ml: Decimal


@dataclass(frozen=True)
class Plan:
    sclerosant: str
    concentration_percent: Decimal
    areas: tuple[AreaDose, ...]
    session_day: date
    clinic_max_volume_ml: Decimal
    weight_kg: Decimal | None = None
    lot_expires_on: date | None = None
    # mg of polidocanol in the patient's other current records of the same local day.
    other_polidocanol_mg_today: Decimal = Decimal(0)
    allergies: frozenset[str] = frozenset()

    @property
    def total_volume_ml(self) -> Decimal:
        return sum((a.volume_ml for a in self.areas), Decimal(0))


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    template: str  # English, with {placeholders}; the msgid the Django side translates
    params: dict = field(default_factory=dict)
    field: str | None = None  # the form field it belongs next to, None: the whole form
    source: str = ""

    @property
    def message(self) -> str:
        return self.template.format(**self.params)

    @property
    def is_block(self) -> bool:
        return self.severity is Severity.BLOCK


def fmt(value: Decimal) -> str:
    """10.50 -> '10.5', 10.00 -> '10', 0.25 -> '0.25' (no exponent, no float)."""
    text = f"{value.quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def polidocanol_mg(volume_ml: Decimal, concentration_percent: Decimal) -> Decimal:
    """1 mL of a 1% solution holds 10 mg."""
    return volume_ml * concentration_percent * 10


def session_volume_limit(plan_sclerosant: str, clinic_max: Decimal, limits: Iterable[Limit]) -> tuple[Decimal, str]:
    """The smallest per-session volume that applies, and where it comes from."""
    best, source = clinic_max, "clinic setting"
    for limit in limits:
        if limit.kind is LimitKind.SESSION_VOLUME_ML and limit.maximum is not None and limit.applies_to(plan_sclerosant):
            if limit.maximum < best:
                best, source = limit.maximum, limit.source
    return best, source


def _daily_mg_limit(limits: Iterable[Limit]) -> Limit | None:
    return next(
        (
            limit
            for limit in limits
            if limit.kind is LimitKind.DAILY_MG_PER_KG and limit.sclerosant == Sclerosant.POLIDOCANOL
        ),
        None,
    )


def _check_areas(plan: Plan, limits: list[Limit]) -> list[Finding]:
    if plan.areas:
        return []
    return [Finding("areas.none", Severity.BLOCK,
                    gettext_noop("Mark at least one treated area, with its vein type and volume."), field="areas")]


def _check_total_volume(plan: Plan, limits: list[Limit]) -> list[Finding]:
    maximum, source = session_volume_limit(plan.sclerosant, plan.clinic_max_volume_ml, limits)
    total = plan.total_volume_ml
    if total <= maximum:
        return []
    return [Finding(
        "volume.over_session_max", Severity.BLOCK,
        gettext_noop("The total volume is {total} mL, above the maximum of {maximum} mL per session. "
                     "Reduce the volumes, or treat the rest at another session."),
        {"total": fmt(total), "maximum": fmt(maximum)}, field="areas", source=source,
    )]


def _check_polidocanol_by_weight(plan: Plan, limits: list[Limit]) -> list[Finding]:
    if plan.sclerosant != Sclerosant.POLIDOCANOL:
        return []
    limit = _daily_mg_limit(limits)
    if limit is None or limit.maximum is None:
        return []
    if plan.weight_kg is None or plan.weight_kg <= 0:
        return [Finding(
            "weight.missing", Severity.BLOCK,
            gettext_noop("Enter the patient's weight today: polidocanol is limited to {per_kg} mg per kg "
                         "of body weight a day."),
            {"per_kg": fmt(limit.maximum)}, field="weight_kg", source=limit.source,
        )]
    this = polidocanol_mg(plan.total_volume_ml, plan.concentration_percent)
    today = this + plan.other_polidocanol_mg_today
    cap = limit.maximum * plan.weight_kg
    if today <= cap:
        return []
    if plan.other_polidocanol_mg_today:
        template = gettext_noop("This is {mg} mg of polidocanol, and {other} mg were already given today: {today} mg "
                                "in all, above {cap} mg ({per_kg} mg per kg at {weight} kg).")
    else:
        template = gettext_noop("This is {today} mg of polidocanol ({volume} mL at {percent}%), above the {cap} mg "
                                "allowed today ({per_kg} mg per kg at {weight} kg).")
    return [Finding(
        "polidocanol.over_daily_max", Severity.BLOCK, template,
        {"mg": fmt(this), "other": fmt(plan.other_polidocanol_mg_today), "today": fmt(today), "cap": fmt(cap),
         "per_kg": fmt(limit.maximum), "weight": fmt(plan.weight_kg), "volume": fmt(plan.total_volume_ml),
         "percent": fmt(plan.concentration_percent)},
        field="areas", source=limit.source,
    )]


def _check_lot(plan: Plan, limits: list[Limit]) -> list[Finding]:
    if plan.lot_expires_on is None or plan.lot_expires_on >= plan.session_day:
        return []
    return [Finding(
        "lot.expired", Severity.BLOCK,
        gettext_noop("This lot expired on {expiry}, before this session. Use a lot that is in date."),
        {"expiry": plan.lot_expires_on.isoformat()}, field="lot_expires_on",
    )]


def _check_allergies(plan: Plan, limits: list[Limit]) -> list[Finding]:
    found = []
    if plan.sclerosant in plan.allergies:
        found.append(Finding(
            f"allergy.{plan.sclerosant}", Severity.BLOCK,
            gettext_noop("The patient's screening records an allergy to {sclerosant}. Choose another sclerosant."),
            {"sclerosant": SCLEROSANT_LABELS[Sclerosant(plan.sclerosant)].lower()}, field="sclerosant",
            source="CLINICAL_RULES.md, allergy to the sclerosant",
        ))
    detergent = plan.sclerosant != Sclerosant.HYPERTONIC_SALINE
    if detergent and ALLERGY_UNSPECIFIED in plan.allergies:
        found.append(Finding(
            "allergy.unspecified", Severity.WARN,
            gettext_noop("The patient's screening mentions an allergy to a vein treatment that was not named. "
                         "Confirm you have checked it was not this product."),
            field="sclerosant", source="CLINICAL_RULES.md, allergy to the sclerosant",
        ))
    if detergent and ALLERGY_UNRECOGNISED in plan.allergies:
        found.append(Finding(
            "allergy.unrecognised", Severity.WARN,
            gettext_noop("Part of the patient's allergy answer could not be read and may name a sclerosant. "
                         "Confirm you have checked it with the patient."),
            field="sclerosant", source="CLINICAL_RULES.md, when in doubt",
        ))
    return found


def _check_concentration(plan: Plan, limits: list[Limit]) -> list[Finding]:
    found = []
    vein_types = sorted({a.vein_type for a in plan.areas})
    for vein_type in vein_types:
        for limit in limits:
            if limit.kind is not LimitKind.CONCENTRATION_PERCENT or not limit.applies_to(plan.sclerosant, vein_type):
                continue
            low = limit.minimum is not None and plan.concentration_percent < limit.minimum
            high = limit.maximum is not None and plan.concentration_percent > limit.maximum
            if not (low or high):
                continue
            if high:
                template = gettext_noop("{percent}% is above the usual {maximum}% for {vein_type} with {sclerosant}. "
                                        "Confirm it is intended.")
            else:
                template = gettext_noop("{percent}% is below the usual {minimum}% for {vein_type} with {sclerosant}. "
                                        "Confirm it is intended.")
            found.append(Finding(
                f"concentration.unusual.{vein_type}", Severity.WARN, template,
                {"percent": fmt(plan.concentration_percent),
                 "maximum": fmt(limit.maximum) if limit.maximum is not None else "",
                 "minimum": fmt(limit.minimum) if limit.minimum is not None else "",
                 "vein_type": VEIN_TYPE_LABELS[VeinType(vein_type)].split(" (")[0].lower(),
                 "sclerosant": SCLEROSANT_LABELS[Sclerosant(plan.sclerosant)].lower()},
                field="concentration_percent", source=limit.source,
            ))
    return found


CHECKS = (
    _check_areas,
    _check_total_volume,
    _check_polidocanol_by_weight,
    _check_lot,
    _check_allergies,
    _check_concentration,
)


def check(plan: Plan, limits: Iterable[Limit]) -> list[Finding]:
    """Every finding for this plan, blocks first; an empty list means it is within every limit."""
    limits = list(limits)
    findings = [f for rule in CHECKS for f in rule(plan, limits)]
    return sorted(findings, key=lambda f: 0 if f.is_block else 1)


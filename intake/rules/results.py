"""Results and flags: what a screening found, stored exactly as decided and never re-run."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .schema import (
    DEFAULT_CONFIG,
    Outcome,
    ScreeningConfig,
    Severity,
    coerce,
    coerce_date,
    coerce_enum,
    json_safe,
    optional_date,
    reject_unknown_keys,
)

# Most severe first. Advice never holds anyone back, so it ranks with "cleared".
RANK = {Severity.NOT_ELIGIBLE: 0, Severity.REVIEW: 1, Severity.POSTPONE: 2, Severity.ADVICE: 3}
OUTCOME_OF = {
    Severity.NOT_ELIGIBLE: Outcome.NOT_ELIGIBLE,
    Severity.REVIEW: Outcome.REVIEW,
    Severity.POSTPONE: Outcome.POSTPONE,
    Severity.ADVICE: Outcome.CLEARED,
}
# How cautious an outcome is: a higher number holds the patient back more.
CAUTION = {Outcome.CLEARED: 0, Outcome.POSTPONE: 1, Outcome.REVIEW: 2, Outcome.NOT_ELIGIBLE: 3}


def _text(name: str, value: Any) -> str:
    return coerce(name, str, value)


@dataclass(frozen=True)
class Flag:
    """One finding. Stored as written: a later change of the rules never rewrites it."""

    code: str
    severity: Severity
    patient_message: str
    staff_reason: str
    source: str
    triggers: dict[str, Any] = field(default_factory=dict)  # answer field -> value(s) behind it
    # e.g. {"sclerosant": "polidocanol"}; "spans": the patient's words behind it, where they stand
    details: dict[str, Any] = field(default_factory=dict)
    until: date | None = None  # postpone only; None on a postpone means "until you tell us"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "patient_message": self.patient_message,
            "staff_reason": self.staff_reason,
            "source": self.source,
            "triggers": json_safe(self.triggers),
            "details": json_safe(self.details),
            "until": self.until.isoformat() if self.until else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Flag:
        reject_unknown_keys(cls, data)
        try:
            return cls(
                code=_text("code", data["code"]),
                severity=coerce_enum("severity", Severity, data["severity"]),
                patient_message=_text("patient_message", data["patient_message"]),
                staff_reason=_text("staff_reason", data["staff_reason"]),
                source=_text("source", data["source"]),
                triggers=dict(data.get("triggers") or {}),
                details=dict(data.get("details") or {}),
                until=optional_date("until", data.get("until")),
            )
        except KeyError as missing:
            raise ValueError(f"Flag: missing field {missing}") from None

    @property
    def spans(self) -> list[dict[str, Any]]:
        """The patient's words behind this flag: {field, start, end, text, kind} (none before 2026.12)."""
        return list(self.details.get("spans") or [])


@dataclass(frozen=True)
class ScreeningResult:
    outcome: Outcome
    flags: tuple[Flag, ...]
    # The latest date among postpone flags. None if nothing is postponed, or if a postponement is
    # open-ended (breastfeeding, an infection): then `postpone_open_ended` is True.
    postpone_until: date | None
    postpone_open_ended: bool
    ruleset_version: str
    screened_on: date
    config: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_flags(
        cls,
        flags: Iterable[Flag],
        *,
        screened_on: date,
        ruleset_version: str,
        config: ScreeningConfig = DEFAULT_CONFIG,
    ) -> ScreeningResult:
        ordered = tuple(sorted(flags, key=lambda f: RANK[f.severity]))  # stable: rule order kept
        outcome = OUTCOME_OF[ordered[0].severity] if ordered else Outcome.CLEARED
        postponed = [f for f in ordered if f.severity is Severity.POSTPONE]
        open_ended = any(f.until is None for f in postponed)
        until = None if open_ended or not postponed else max(f.until for f in postponed)
        return cls(
            outcome=outcome,
            flags=ordered,
            postpone_until=until,
            postpone_open_ended=open_ended,
            ruleset_version=ruleset_version,
            screened_on=screened_on,
            config=config.to_dict(),
        )

    @property
    def cleared(self) -> bool:
        return self.outcome is Outcome.CLEARED

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.flags)

    @property
    def advice(self) -> tuple[Flag, ...]:
        return tuple(f for f in self.flags if f.severity is Severity.ADVICE)

    @property
    def caution(self) -> int:
        """How far this result holds the patient back (cleared 0 ... not eligible 3)."""
        return CAUTION[self.outcome]

    def flag(self, code: str) -> Flag | None:
        return next((f for f in self.flags if f.code == code), None)

    def flags_added_since(self, earlier: ScreeningResult) -> tuple[Flag, ...]:
        """Flags whose code the earlier screening did not have (e.g. after a re-confirmation)."""
        known = set(earlier.codes)
        return tuple(f for f in self.flags if f.code not in known)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset_version": self.ruleset_version,
            "screened_on": self.screened_on.isoformat(),
            "outcome": self.outcome.value,
            "postpone_until": self.postpone_until.isoformat() if self.postpone_until else None,
            "postpone_open_ended": self.postpone_open_ended,
            "config": json_safe(self.config),
            "flags": [f.to_dict() for f in self.flags],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScreeningResult:
        """Load a stored screening exactly as it was decided; nothing is re-run or re-derived."""
        reject_unknown_keys(cls, data)
        try:
            return cls(
                outcome=coerce_enum("outcome", Outcome, data["outcome"]),
                flags=tuple(Flag.from_dict(f) for f in data["flags"]),
                postpone_until=optional_date("postpone_until", data.get("postpone_until")),
                postpone_open_ended=bool(data.get("postpone_open_ended", False)),
                ruleset_version=_text("ruleset_version", data["ruleset_version"]),
                screened_on=coerce_date("screened_on", data["screened_on"]),
                config=dict(data.get("config") or {}),
            )
        except KeyError as missing:
            raise ValueError(f"ScreeningResult: missing field {missing}") from None

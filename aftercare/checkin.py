"""The day 3-5 check-in: which answers are expected, which need a clinician, which are an emergency.

Pure rules, no Django. When in doubt, the answer goes up a level, never down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Urgency(IntEnum):
    EXPECTED = 0  # reassure
    CLINICIAN = 1  # a clinician looks at it (queue)
    URGENT = 2  # see a doctor today; the clinic is alerted
    EMERGENCY = 3  # call 911 now; the clinic is alerted


@dataclass(frozen=True)
class CheckInAnswers:
    bruising: bool = False
    lumps: bool = False
    itching: bool = False
    skin_darkening: bool = False
    redness: str = "none"  # "none" | "around_injections" | "spreading_or_hot"
    pain: str = "none"  # "none" | "mild" | "severe"
    leg_swelling: bool = False  # a swollen, tender calf or leg
    breathlessness: bool = False
    chest_pain: bool = False
    vision_or_speech_change: bool = False
    fever: bool = False
    wound_or_blister: bool = False
    other: str = ""


@dataclass(frozen=True)
class Triage:
    urgency: Urgency
    reasons: tuple[str, ...] = field(default_factory=tuple)  # stable codes, for staff and the record

    @property
    def alerts_clinic(self) -> bool:
        return self.urgency >= Urgency.URGENT


# code -> (urgency, test on the answers)
RULES = (
    ("breathlessness", Urgency.EMERGENCY, lambda a: a.breathlessness),
    ("chest_pain", Urgency.EMERGENCY, lambda a: a.chest_pain),
    ("vision_or_speech_change", Urgency.EMERGENCY, lambda a: a.vision_or_speech_change),
    ("leg_swelling", Urgency.URGENT, lambda a: a.leg_swelling),  # a clot in a deep vein shows like this
    ("severe_pain", Urgency.CLINICIAN, lambda a: a.pain == "severe"),
    ("spreading_redness", Urgency.CLINICIAN, lambda a: a.redness == "spreading_or_hot"),
    ("fever", Urgency.CLINICIAN, lambda a: a.fever),
    ("wound_or_blister", Urgency.CLINICIAN, lambda a: a.wound_or_blister),
    ("other_concern", Urgency.CLINICIAN, lambda a: bool(a.other.strip())),
)

EXPECTED_EFFECTS = ("bruising", "lumps", "itching", "skin_darkening")


def triage(answers: CheckInAnswers) -> Triage:
    if answers.redness not in ("none", "around_injections", "spreading_or_hot"):
        raise ValueError(f"unknown redness answer {answers.redness!r}")
    if answers.pain not in ("none", "mild", "severe"):
        raise ValueError(f"unknown pain answer {answers.pain!r}")
    hits = [(code, urgency) for code, urgency, test in RULES if test(answers)]
    if not hits:
        return Triage(Urgency.EXPECTED, tuple(code for code in EXPECTED_EFFECTS if getattr(answers, code)))
    return Triage(max(urgency for _, urgency in hits), tuple(code for code, _ in hits))

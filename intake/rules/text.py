"""What the patient's own words say, read in every box for every category.

The rules never trust a box to hold only what its question asked for: patients put things in the
wrong box all the time. So every free-text answer (``schema.TEXT_FIELDS``) is read with the whole
lexicon, and:

- a medicine named in any box counts as a medicine taken (it is read as if written under
  "medicines"); in the allergy box a bare name first means an allergy to it, but one written with
  its dose or how often it is taken ("Eliquis 5mg twice daily") is a medicine taken, in the wrong
  box; either way a medicine there that would hold treatment goes to a clinician;
- a sclerosant named anywhere counts as an allergy to it (the cautious reading);
- a condition written anywhere counts as an answer to its own question ("DVT" answers "ever had a
  blood clot?" with yes), added to whatever the tick box said;
- when a tick box says "no" and the words say otherwise, both readings stand (the more cautious one
  decides) and the clinician is told about the contradiction;
- words that can't be placed are listed for a clinician; they never count as "nothing".

Pure Python: the words are read by ``intake.matching``; this module only decides what they mean
for the answers.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

from intake.matching import Category, Cue, Match, Reading, Span, read_text

from .schema import TEXT_FIELDS, Answers, Reply

ALLERGY_FIELD = "allergies"
MEDICINE_FIELD = "medications"
REACTION_FIELD = "sclerotherapy_reaction_details"

C = Category
# Medicines whose use holds treatment (review or more). Named in the allergy box, they may be an
# allergy or a medicine written in the wrong box: a clinician asks.
CONCERN = (C.ANTICOAGULANT, C.BLOOD_THINNER, C.ANTIPLATELET, C.ASPIRIN, C.CORTICOSTEROID, C.HORMONE)
BLOOD_THINNING = (C.ANTICOAGULANT, C.BLOOD_THINNER, C.ANTIPLATELET)
OTHER_MEDICINES = (C.NSAID, C.ANTIBIOTIC, C.NO_CONCERN)
SCLEROSANTS = (C.POLIDOCANOL, C.SODIUM_TETRADECYL_SULFATE, C.SCLEROSANT)

# Words that are only at home in some boxes; anywhere else they are not understood ("chest pain"
# must not pass because "chest" is a body area).
ONLY_IN: dict[Category, frozenset[str]] = {
    C.BODY_AREA: frozenset({"treatment_area_other", "surgery_details", REACTION_FIELD}),
    C.EXPECTED_REACTION: frozenset({REACTION_FIELD}),
}


@dataclass(frozen=True)
class Condition:
    """The question a condition's words answer, and how time changes the reading.

    kind "history": a past mention still counts ("had a DVT in 2015" is a clot history);
         "current": a past or hedged mention is only a doubt ("was pregnant" -> unsure);
         "doubt":   words can't say when or where (an operation, an infection): always unsure.
    """

    question: str
    kind: str


CONDITIONS: dict[Category, Condition] = {
    C.CLOT: Condition("clot_history", "history"),
    C.CLOTTING_DISORDER: Condition("clotting_disorder", "history"),
    C.BLOOD_DISORDER: Condition("blood_disorder", "history"),
    C.SHUNT: Condition("heart_shunt", "history"),
    C.MIGRAINE_AURA: Condition("migraine_with_aura", "history"),
    C.ARTERIAL: Condition("arterial_disease", "history"),
    C.DIABETES: Condition("diabetes", "history"),
    C.PREGNANCY: Condition("pregnant", "current"),
    C.BREASTFEEDING: Condition("breastfeeding", "current"),
    C.CANCER: Condition("active_cancer", "current"),
    C.THROMBOPHLEBITIS: Condition("thrombophlebitis_now", "doubt"),
    C.RECENT_PREGNANCY: Condition("recently_pregnant", "doubt"),
    C.SURGERY: Condition("recent_surgery_or_hospital_stay", "doubt"),
    C.INFECTION: Condition("fever_or_acute_illness", "doubt"),
    C.SKIN_INFECTION: Condition("skin_infection_in_area", "doubt"),
}
_KIND_OF = {f.name: f.metadata["kind"] for f in fields(Answers)}


@dataclass(frozen=True)
class Found:
    """A match and the box it was found in."""

    field: str
    match: Match

    @property
    def current(self) -> bool:
        """Named as something taken or had now: not denied, not in the past, not in doubt."""
        return not self.match.cues & {Cue.NEGATED, Cue.STOPPED, Cue.HEDGED}

    def span(self) -> dict[str, Any]:
        m = self.match
        return {"field": self.field, "start": m.start, "end": m.end, "text": m.matched_text,
                "kind": "found", "label": f"{m.canonical} · {m.category.value.replace('_', ' ')}"}


# A strength with its unit: "5mg", "2.5 mg", "20 MG", "5000 units".
_DOSE = re.compile(r"\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|ug|g|ml|iu|units?)\b", re.IGNORECASE)


def written_as_taken(found: Found) -> bool:
    """Named with how much or how often it is taken ("Eliquis 5mg twice daily", "warfarin 3 mg")."""
    return Cue.REGULAR in found.match.cues or bool(_DOSE.search(found.match.item))


def spans(found: Iterable[Found]) -> list[dict[str, Any]]:
    return [f.span() for f in found]


def unplaced_span(field: str, span: Span) -> dict[str, Any]:
    return {"field": field, "start": span.start, "end": span.end, "text": span.text,
            "kind": "unplaced", "label": "not recognised"}


def labels(found: Iterable[Found]) -> str:
    return ", ".join(dict.fromkeys(f.match.label for f in found))


def where(found: Iterable[Found]) -> str:
    """The boxes, in plain words: "allergies", "medicines and anything else we should know"."""
    names = list(dict.fromkeys(TEXT_FIELDS[f.field] for f in found))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _covers(tick: Any, value: Any) -> bool:
    """Does the tick-box answer already say what the words say? ("yes" covers "unsure")."""
    if tick is None or tick.value == "no":
        return False
    return value.value == "unsure" or tick == value


class Words:
    """Every free-text answer of one questionnaire, read once for all the rules."""

    def __init__(self, answers: Answers):
        self.answers = answers
        self.readings: dict[str, Reading] = {
            name: read_text(text) for name in TEXT_FIELDS if (text := getattr(answers, name))
        }

    def reading(self, field: str) -> Reading:
        return self.readings.get(field) or read_text("")

    def all(self, *categories: Category, fields: Iterable[str] | None = None,
            exclude: Iterable[str] = ()) -> list[Found]:
        """Every match of these categories in these boxes (all by default), denied ones too."""
        wanted = set(fields) if fields is not None else set(TEXT_FIELDS)
        wanted -= set(exclude)
        return [
            Found(name, m)
            for name, reading in self.readings.items()
            if name in wanted
            for m in reading.matches
            if m.category in categories and name in ONLY_IN.get(m.category, {name})
        ]

    def found(self, *categories: Category, fields: Iterable[str] | None = None,
              exclude: Iterable[str] = ()) -> list[Found]:
        """Matches that are not denied ("no DVT" is not a finding)."""
        return [f for f in self.all(*categories, fields=fields, exclude=exclude) if not f.match.negated]

    def taken(self, *categories: Category) -> list[Found]:
        """Medicines taken now, in whichever box they were written: any current mention outside
        the allergy box, and in the allergy box one written with its dose or how often."""
        return [
            f for f in self.found(*categories)
            if f.current and (f.field != ALLERGY_FIELD or written_as_taken(f))
        ]

    def unplaced(self, field: str) -> list[dict[str, Any]]:
        """Words in this box the reader could not place, as spans (words at home elsewhere too)."""
        reading = self.readings.get(field)
        if reading is None:
            return []
        out = [unplaced_span(field, s) for s in reading.unplaced]
        for m in reading.matches:
            homes = ONLY_IN.get(m.category)
            if homes is not None and field not in homes and not m.negated:
                out.append(unplaced_span(field, Span(m.matched_text, m.start, m.end)))
        return sorted(out, key=lambda s: s["start"])

    @cached_property
    def said(self) -> dict[str, dict[Any, list[Found]]]:
        """question -> {answer value the words give that the tick box doesn't: [the words]}."""
        out: dict[str, dict[Any, list[Found]]] = defaultdict(lambda: defaultdict(list))
        for found in self.found(*CONDITIONS):
            condition = CONDITIONS[found.match.category]
            value = self._value(condition, found.match)
            if not _covers(getattr(self.answers, condition.question), value):
                out[condition.question][value].append(found)
        return out

    @staticmethod
    def _value(condition: Condition, match: Match) -> Any:
        doubt = (
            condition.kind == "doubt"
            or Cue.HEDGED in match.cues
            or (condition.kind == "current" and Cue.STOPPED in match.cues)
        )
        word = "unsure" if doubt else (match.reads_as or "yes")
        return _KIND_OF[condition.question](word)

    def values(self, question: str) -> frozenset[Any]:
        """The answers in force for a question: the tick box's, plus what the words add."""
        return frozenset({getattr(self.answers, question), *self.said.get(question, {})})

    def text_behind(self, question: str, *values: Any) -> list[Found]:
        return [f for value, found in self.said.get(question, {}).items() if value in values for f in found]

    def conflicts(self) -> list[tuple[str, Found]]:
        """(question, words) for every tick box answered "no" that the words contradict."""
        pairs: list[tuple[str, Found]] = []
        for question, by_value in self.said.items():
            tick = getattr(self.answers, question)
            if tick is not None and tick.value == "no":
                pairs += [(question, f) for found in by_value.values() for f in found]
        a = self.answers
        if a.blood_thinners is Reply.NO:
            pairs += [("blood_thinners", f) for f in self.found(*BLOOD_THINNING) if f.current]
        if a.hormone_therapy is Reply.NO:
            pairs += [("hormone_therapy", f) for f in self.found(C.HORMONE) if f.current]
        if a.had_sclerotherapy_before is Reply.NO:  # "had sclerotherapy in 2020": the past is the point
            pairs += [("had_sclerotherapy_before", f) for f in self.found(*SCLEROSANTS, exclude=[ALLERGY_FIELD])]
        return pairs

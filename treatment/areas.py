"""The leg areas a clinician can mark as treated. Pure Python, no Django.

Twenty areas: each leg (left, right), seen from the front or the back, split into thigh, knee,
calf, ankle and foot. The code is stable and stored ("left_front_calf"); the label is for people
("Left calf, front"). Left and right are the patient's own, as in every clinical record.
"""

from __future__ import annotations

from dataclasses import dataclass

SIDES = ("right", "left")  # the patient's right first: it is on the viewer's left in a front view
FACES = ("front", "back")
SEGMENTS = ("thigh", "knee", "calf", "ankle", "foot")

_SIDE_LABELS = {"left": "Left", "right": "Right"}
_SEGMENT_LABELS = {"thigh": "thigh", "knee": "knee", "calf": "calf", "ankle": "ankle", "foot": "foot"}
_FACE_LABELS = {"front": "front", "back": "back"}


@dataclass(frozen=True)
class Area:
    side: str
    face: str
    segment: str

    @property
    def code(self) -> str:
        return f"{self.side}_{self.face}_{self.segment}"

    @property
    def label(self) -> str:
        return f"{_SIDE_LABELS[self.side]} {_SEGMENT_LABELS[self.segment]}, {_FACE_LABELS[self.face]}"


ALL: tuple[Area, ...] = tuple(Area(side, face, segment) for face in FACES for side in SIDES for segment in SEGMENTS)
BY_CODE: dict[str, Area] = {a.code: a for a in ALL}
CHOICES: list[tuple[str, str]] = [(a.code, a.label) for a in ALL]


def label(code: str) -> str:
    area = BY_CODE.get(code)
    return area.label if area else code


"""Geometry of the leg diagram: one SVG path per area, for the template to draw. No Django.

Two views side by side, each 200 units wide: the front view (the patient faces you, so their
right leg is on your left) and the back view (their left leg on your left). Each leg is five
stacked shapes, thigh to foot.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import areas

VIEW_WIDTH = 200
HEIGHT = 300
LEG_CENTRES = (62, 138)  # x of the two legs within a view

# segment: (top y, bottom y, half width at top, half width at bottom)
_SEGMENTS = {
    "thigh": (28, 126, 30, 23),
    "knee": (126, 154, 23, 21),
    "calf": (154, 236, 23, 14),
    "ankle": (236, 256, 14, 13),
    "foot": (256, 284, 13, 17),
}


@dataclass(frozen=True)
class Shape:
    code: str
    label: str
    d: str  # SVG path data
    label_x: int


@dataclass(frozen=True)
class View:
    face: str
    title: str
    x: int
    shapes: tuple[Shape, ...]
    legs: tuple[tuple[str, int], ...]  # (side label, x) under each leg


def _path(cx: float, top: int, bottom: int, half_top: float, half_bottom: float, *, bulge: float = 0) -> str:
    """A tapered shape; ``bulge`` rounds the outer sides (the calf)."""
    left_top, right_top = cx - half_top, cx + half_top
    left_bottom, right_bottom = cx - half_bottom, cx + half_bottom
    if bulge:
        mid = (top + bottom) / 2
        return (
            f"M{left_top:.1f},{top} L{right_top:.1f},{top} "
            f"Q{right_top + bulge:.1f},{mid:.1f} {right_bottom:.1f},{bottom} "
            f"L{left_bottom:.1f},{bottom} Q{left_top - bulge:.1f},{mid:.1f} {left_top:.1f},{top} Z"
        )
    return f"M{left_top:.1f},{top} L{right_top:.1f},{top} L{right_bottom:.1f},{bottom} L{left_bottom:.1f},{bottom} Z"


def views() -> tuple[View, ...]:
    result = []
    for index, face in enumerate(areas.FACES):
        x0 = index * (VIEW_WIDTH + 20)
        # Front: the patient's right leg is on the viewer's left; back: their left leg is.
        sides = ("right", "left") if face == "front" else ("left", "right")
        shapes = []
        legs = []
        for side, centre in zip(sides, LEG_CENTRES):
            cx = x0 + centre
            legs.append(("Right" if side == "right" else "Left", cx))
            for segment, (top, bottom, half_top, half_bottom) in _SEGMENTS.items():
                area = areas.Area(side, face, segment)
                bulge = 6 if segment == "calf" else 0
                shapes.append(Shape(area.code, area.label, _path(cx, top, bottom, half_top, half_bottom, bulge=bulge), cx))
        result.append(View(face, "Front" if face == "front" else "Back", x0, tuple(shapes), tuple(legs)))
    return tuple(result)


VIEWBOX = f"0 0 {2 * VIEW_WIDTH + 20} {HEIGHT + 16}"

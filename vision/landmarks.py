"""Names for MediaPipe's 33 BlazePose landmarks, so no code indexes by bare number."""

from __future__ import annotations

from enum import IntEnum
from typing import Literal

Side = Literal["left", "right"]


def other_side(side: Side) -> Side:
    """The body's other side: the far one of a side view."""
    return "right" if side == "left" else "left"


class Landmark(IntEnum):
    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


NUM_LANDMARKS = len(Landmark)


class Joint(IntEnum):
    """A side-less body joint; `Joint.HIP.on("left")` gives `Landmark.LEFT_HIP`."""

    EAR = 0
    SHOULDER = 1
    ELBOW = 2
    WRIST = 3
    HIP = 4
    KNEE = 5
    ANKLE = 6
    HEEL = 7
    FOOT_INDEX = 8

    def on(self, side: Side) -> Landmark:
        # A table lookup: checkers and the overlay ask dozens of times per frame.
        return _SIDED[side][self]


_SIDED: dict[str, dict[Joint, Landmark]] = {
    side: {j: Landmark[f"{side.upper()}_{j.name}"] for j in Joint} for side in ("left", "right")
}


# Bones drawn for one side of the body (the side that faces the camera).
SIDE_BONES: tuple[tuple[Joint, Joint], ...] = (
    (Joint.EAR, Joint.SHOULDER),
    (Joint.SHOULDER, Joint.ELBOW),
    (Joint.ELBOW, Joint.WRIST),
    (Joint.SHOULDER, Joint.HIP),
    (Joint.HIP, Joint.KNEE),
    (Joint.KNEE, Joint.ANKLE),
    (Joint.ANKLE, Joint.HEEL),
    (Joint.HEEL, Joint.FOOT_INDEX),
    (Joint.ANKLE, Joint.FOOT_INDEX),
)

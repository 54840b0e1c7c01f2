"""The `Pose` container every backend fills and every downstream module reads."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vision.landmarks import NUM_LANDMARKS, Joint, Landmark, Side


@dataclass(frozen=True, slots=True, eq=False)
class Pose:
    """One person's landmarks in one frame.

    xy:         (33, 2) float32 image pixels (x right, y down) of the analysed frame.
    world:      (33, 3) float32 metres, origin between the hips (MediaPipe world landmarks).
    visibility: (33,) float32 in [0, 1], likelihood the landmark is visible (not occluded).
    presence:   (33,) float32 in [0, 1], likelihood the landmark is inside the frame.
    mask:       (H, W) float32 person-segmentation confidence in [0, 1], or None.
    t_ms:       presentation timestamp of the frame in milliseconds.
    frame_index: index of the frame in its source.
    image_size: (width, height) of the frame the pixel coordinates refer to.
    people:     how many people the estimator saw in the frame (this pose is the tracked one).
    track_id:   the tracker's id of the person followed (a new id = a different person), if known.
    people_counted: a fresh count of the people in view from the periodic people check, if one
                finished for this frame.
    inference_size: (width, height) of the image the model saw, if the frame was resized for it.
    extras:     free-form notes for tests and tools; nothing in the package reads them.
    """

    xy: np.ndarray
    world: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    t_ms: float
    frame_index: int
    image_size: tuple[int, int]
    mask: np.ndarray | None = None
    people: int = 1
    track_id: int | None = None
    people_counted: int | None = None
    inference_size: tuple[int, int] | None = None
    extras: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.xy.shape != (NUM_LANDMARKS, 2) or self.world.shape != (NUM_LANDMARKS, 3):
            raise ValueError(f"Pose needs (33,2) xy and (33,3) world, got {self.xy.shape} {self.world.shape}")

    def point(self, landmark: Landmark) -> np.ndarray:
        return self.xy[landmark]

    def joint(self, joint: Joint, side: Side) -> np.ndarray:
        return self.xy[joint.on(side)]

    def joint_world(self, joint: Joint, side: Side) -> np.ndarray:
        return self.world[joint.on(side)]

    def seen(self, landmark: Landmark) -> float:
        """How sure we are the landmark is in frame and unoccluded."""
        return float(min(self.visibility[landmark], self.presence[landmark]))

    def replace(self, **changes) -> Pose:
        from dataclasses import replace

        return replace(self, **changes)

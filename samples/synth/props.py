"""Props that cross the body's outline: a dowel along the back, dumbbells, a barbell.

Each prop is a rigid mesh built once (trimesh, vertex colours) and placed every frame from
the posed body: the dowel lies along the back's dorsal midline, clear of it; dumbbells and
the barbell sit in the palms. Placement is pure numpy (no OpenGL, no trimesh), so it is
testable without the rendering extras; the meshes need trimesh (`.[samples]`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from samples.synth.body import Body
from samples.synth.kinematics import Posed
from samples.synth.postures import Skeleton
from samples.synth.scenario import Prop

if TYPE_CHECKING:
    import trimesh

DOWEL_RADIUS = 0.016
BAR_RADIUS = 0.014
BAR_LENGTH = 1.8
PLATE_X = 0.62  # plate centre from the bar's middle
MAX_PLATE_RADIUS = 0.225  # a standard 45 cm plate


def _coloured(mesh: trimesh.Trimesh, rgb: tuple[float, float, float]) -> trimesh.Trimesh:
    mesh.visual.vertex_colors = np.tile(
        np.append(np.array(rgb) * 255, 255).astype(np.uint8), (len(mesh.vertices), 1)
    )
    return mesh


def _cylinder_x(radius: float, length: float, x: float, rgb: tuple[float, float, float]) -> trimesh.Trimesh:
    """A cylinder along x centred at (x, 0, 0)."""
    import trimesh

    c = trimesh.creation.cylinder(radius=radius, height=length, sections=24)
    c.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [0, 1, 0]))
    c.apply_translation([x, 0.0, 0.0])
    return _coloured(c, rgb)


def dowel_mesh(length: float, rgb: tuple[float, float, float]) -> trimesh.Trimesh:
    """A wooden dowel along z, its lower end at the origin."""
    import trimesh

    c = trimesh.creation.cylinder(radius=DOWEL_RADIUS, height=length, sections=16)
    c.apply_translation([0.0, 0.0, length / 2])
    return _coloured(c, rgb)


def dumbbell_mesh(rgb: tuple[float, float, float]) -> trimesh.Trimesh:
    """A dumbbell along x centred on its handle."""
    import trimesh

    parts = [_cylinder_x(0.016, 0.16, 0.0, (0.6, 0.6, 0.62))]
    parts += [_cylinder_x(0.07, 0.06, s * 0.10, rgb) for s in (-1, 1)]
    return trimesh.util.concatenate(parts)


def barbell_mesh(plate_radius: float, rgb: tuple[float, float, float]) -> trimesh.Trimesh:
    """A barbell along x centred on the bar, with one plate each side."""
    import trimesh

    parts = [_cylinder_x(BAR_RADIUS, BAR_LENGTH, 0.0, (0.72, 0.72, 0.74))]
    parts += [_cylinder_x(plate_radius, 0.05, s * PLATE_X, rgb) for s in (-1, 1)]
    parts += [_cylinder_x(0.03, 0.05, s * (PLATE_X - 0.05), (0.5, 0.5, 0.52)) for s in (-1, 1)]  # collars
    return trimesh.util.concatenate(parts)


def palm_centres(sk: Skeleton, posed: Posed) -> tuple[np.ndarray, np.ndarray]:
    """(left, right) centres of the hands' vertices: where a held handle sits."""
    return tuple(posed.vertices[sk.hands[s]].mean(0) for s in ("L", "R"))  # type: ignore[return-value]


def _translation(p: np.ndarray) -> np.ndarray:
    m = np.eye(4)
    m[:3, 3] = p
    return m


def dowel_pose(body: Body, posed: Posed) -> tuple[np.ndarray, float]:
    """(4x4 pose, length) of a dowel laid along the back: parallel to the lumbar -> C7 chord,
    just clear of the most dorsal point of the back, from below the lumbar spine to above
    the head's back."""
    mid = posed.vertices[body.surface.back_midline]
    low, high = mid[0], mid[-1]
    axis = (high - low) / np.linalg.norm(high - low)
    front = posed.vertices[body.surface.chest_front] - low
    dorsal = -(front - np.dot(front, axis) * axis)
    dorsal /= np.linalg.norm(dorsal)
    clearance = float(((mid - low) @ dorsal).max()) + DOWEL_RADIUS + 0.01
    below, above = 0.12, 0.40
    start = low + dorsal * clearance - axis * below
    length = float(np.linalg.norm(high - low)) + below + above
    pose = np.eye(4)
    pose[:3, :3] = _frame_with_z(axis)
    pose[:3, 3] = start
    return pose, length


def _frame_with_z(z: np.ndarray) -> np.ndarray:
    """A rotation whose third column is the unit vector z."""
    helper = np.array([1.0, 0.0, 0.0]) if abs(z[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    x = np.cross(helper, z)
    x /= np.linalg.norm(x)
    return np.stack([x, np.cross(z, x), z], 1)


def plate_radius_for(lowest_hand_z: float) -> float:
    """The largest plate that stays off the floor at the deepest point of the movement."""
    return float(np.clip(lowest_hand_z - 0.02, 0.10, MAX_PLATE_RADIUS))


class PropRig:
    """The meshes of a clip's props and their per-frame poses."""

    def __init__(self, props: tuple[Prop, ...], sk: Skeleton, lowest_hand_z: float) -> None:
        self.props = props
        self.sk = sk
        self.meshes: list[trimesh.Trimesh] = []
        self._dowel_length = 1.0
        for p in props:
            if p.kind == "dowel":
                self.meshes.append(dowel_mesh(self._dowel_length, p.colour))
            elif p.kind == "dumbbells":
                self.meshes += [dumbbell_mesh(p.colour), dumbbell_mesh(p.colour)]
            else:
                self.meshes.append(barbell_mesh(plate_radius_for(lowest_hand_z), p.colour))

    def poses(self, posed: Posed) -> list[np.ndarray]:
        """One 4x4 pose per mesh, in the order of `meshes`."""
        out = []
        left, right = palm_centres(self.sk, posed)
        for p in self.props:
            if p.kind == "dowel":
                pose, length = dowel_pose(self.sk.body, posed)
                scale = np.diag([1.0, 1.0, length / self._dowel_length, 1.0])
                out.append(pose @ scale)
            elif p.kind == "dumbbells":
                out += [_translation(left), _translation(right)]
            else:
                out.append(_translation(0.5 * (left + right)))
        return out

"""Forward kinematics and linear blend skinning for the MakeHuman rig (pure numpy).

Rotations are given in world axes about each bone's rest head, either relative to the
parent (`local`) or as the bone's absolute orientation change from rest (`world`), which
is how limbs are posed against gravity and the floor regardless of the trunk above them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from samples.synth.body import Body

Rotations = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Posed:
    """One posed frame: bone transforms (B, 4, 4) and skinned vertices (N, 3) or a subset."""

    transforms: np.ndarray
    vertices: np.ndarray

    def shifted(self, offset: np.ndarray) -> Posed:
        transforms = self.transforms.copy()
        transforms[:, :3, 3] += offset
        return Posed(transforms, self.vertices + offset)


def forward_kinematics(
    body: Body,
    local: Rotations,
    world: Rotations,
    root_rotation: np.ndarray,
    root_translation: np.ndarray,
) -> np.ndarray:
    """(B, 4, 4) transforms taking rest positions to posed positions, parents first."""
    n = len(body.bones)
    transforms = np.zeros((n, 4, 4))
    orientation = np.zeros((n, 3, 3))
    root = np.eye(4)
    root[:3, :3] = root_rotation
    root[:3, 3] = root_translation
    identity = np.eye(3)
    for i, name in enumerate(body.bones):
        p = body.parent[i]
        parent_orientation = orientation[p] if p >= 0 else root_rotation
        rel = parent_orientation.T @ world[name] if name in world else local.get(name, identity)
        orientation[i] = parent_orientation @ rel
        head = body.head[i]
        about_head = np.eye(4)
        about_head[:3, :3] = rel
        about_head[:3, 3] = head - rel @ head
        transforms[i] = (transforms[p] if p >= 0 else root) @ about_head
    return transforms


def skin(body: Body, transforms: np.ndarray, index: np.ndarray | None = None) -> np.ndarray:
    """Linear blend skinning of all vertices, or only of `index` (cheap for contact solving)."""
    weights = body.weights if index is None else body.weights[index]
    rest = body.rest if index is None else body.rest[index]
    blended = (weights @ transforms[:, :3, :].reshape(len(body.bones), 12)).reshape(-1, 3, 4)
    return np.einsum("nij,nj->ni", blended[:, :, :3], rest) + blended[:, :, 3]


def joint_positions(body: Body, transforms: np.ndarray) -> np.ndarray:
    """(B, 3) posed bone heads."""
    heads = np.concatenate([body.head, np.ones((len(body.head), 1))], 1)
    return np.einsum("bij,bj->bi", transforms, heads)[:, :3]


def pose(
    body: Body,
    local: Rotations,
    world: Rotations,
    root_rotation: np.ndarray,
    pivot: np.ndarray,
    index: np.ndarray | None = None,
) -> Posed:
    """Pose the body with the whole-body rotation applied about `pivot` (e.g. the hip centre)."""
    translation = pivot - root_rotation @ pivot
    transforms = forward_kinematics(body, local, world, root_rotation, translation)
    return Posed(transforms, skin(body, transforms, index))

"""The rigged body: morphed rest mesh, bone hierarchy, skinning weights, landmark vertices.

Coordinates: metres, z up, the body faces -y, its left side is +x (Blender/MPFB).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from samples.synth import assets

# Mesh groups rendered: the skin and the eyeballs (MakeHuman's helper geometry is dropped).
_RENDERED_GROUPS = ("body", "helper-l-eye", "helper-r-eye")
EYE_GROUPS = ("helper-l-eye", "helper-r-eye")


@dataclass(frozen=True)
class SurfacePoints:
    """Vertex indices standing in for landmarks that are not joints, and the back midline."""

    ear_left: np.ndarray
    ear_right: np.ndarray
    eye_left: np.ndarray
    eye_right: np.ndarray
    nose: np.ndarray
    back_midline: np.ndarray  # posterior midline lumbar -> C7, ordered bottom to top
    chest_front: int  # an anterior midline vertex, tells which side of the back is "front"


@dataclass(frozen=True)
class Body:
    rest: np.ndarray  # (N, 3) rest vertices
    faces: np.ndarray  # (F, 3) rendered triangles
    used: np.ndarray  # indices of vertices referenced by `faces`
    uv: np.ndarray  # (N, 2) one UV per vertex (skin only)
    groups: Mapping[str, np.ndarray]  # obj group -> vertex indices
    bones: tuple[str, ...]  # parents before children
    parent: np.ndarray  # (B,) parent index, -1 for the root
    head: np.ndarray  # (B, 3) bone head (joint centre) at rest
    tail: np.ndarray  # (B, 3)
    weights: np.ndarray  # (N, B) skinning weights, rows sum to 1
    dominant: np.ndarray  # (N,) name of the most influential bone per vertex
    surface: SurfacePoints
    bone_index: Mapping[str, int]

    def bone(self, name: str) -> int:
        return self.bone_index[name]

    def joint(self, name: str) -> np.ndarray:
        """Rest position of a bone's head."""
        return self.head[self.bone(name)]

    def vertices_of(self, bone_names: set[str] | list[str]) -> np.ndarray:
        """Vertices whose dominant bone is one of `bone_names`."""
        return np.where(np.isin(self.dominant, list(bone_names)))[0]


def _triangulate(mesh: assets.ObjMesh, n_vertices: int) -> tuple[np.ndarray, np.ndarray]:
    tris = []
    uv = np.zeros((n_vertices, 2))
    has_uv = np.zeros(n_vertices, bool)
    for face, face_uv, group in zip(mesh.faces, mesh.face_uvs, mesh.face_groups, strict=True):
        if group not in _RENDERED_GROUPS:
            continue
        tris.extend([face[0], face[k], face[k + 1]] for k in range(1, len(face) - 1))
        if group == "body" and face_uv[0] >= 0:
            for vi, ti in zip(face, face_uv, strict=True):
                if not has_uv[vi]:
                    uv[vi] = mesh.uvs[ti]
                    has_uv[vi] = True
    return np.array(tris, dtype=np.int64), uv


def _bone_order(rig: Mapping[str, dict]) -> list[str]:
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        if parent := rig[name]["parent"]:
            visit(parent)
        seen.add(name)
        order.append(name)

    for name in rig:
        visit(name)
    return order


def _joint_position(spec: dict, rest: np.ndarray, groups: Mapping[str, np.ndarray]) -> np.ndarray:
    """MPFB places joints relative to the morphed mesh, so body shapes keep fitting rigs."""
    strategy = spec["strategy"]
    if strategy == "CUBE":
        return rest[groups[spec["cube_name"]]].mean(0)
    if strategy == "VERTEX":
        return rest[spec["vertex_index"]]
    if strategy == "MEAN":
        return rest[spec["vertex_indices"]].mean(0)
    return np.array(spec["default_position"], float)


def _skin_weights(raw: Mapping[str, list], bones: list[str], n_vertices: int) -> np.ndarray:
    index = {b: i for i, b in enumerate(bones)}
    w = np.zeros((n_vertices, len(bones)), np.float32)
    for name, pairs in raw.items():
        if name in index and len(pairs):
            a = np.array(pairs)
            w[a[:, 0].astype(int), index[name]] = a[:, 1]
    total = w.sum(1, keepdims=True)
    has = total[:, 0] > 0
    w[has] /= total[has]
    return w


def _surface_points(
    data: Path,
    rest: np.ndarray,
    uv: np.ndarray,
    groups: Mapping[str, np.ndarray],
    dominant: np.ndarray,
    joint: Callable[[str], np.ndarray],
) -> SurfacePoints:
    skin = groups["body"]
    ear_mask = np.zeros(len(rest), bool)
    ear_mask[skin] = assets.sample_texture(assets.read_grey_texture(data, "mpfb_ears.jpg"), uv[skin]) > 0.5
    head_skin = skin[dominant[skin] == "head"]
    eye_z = rest[groups["helper-l-eye"], 2].mean()
    # Nose tip: the most anterior head vertex a few centimetres below the eyes.
    nose_band = head_skin[np.abs(rest[head_skin, 2] - (eye_z - 0.035)) < 0.02]
    nose = nose_band[np.argmin(rest[nose_band, 1])]
    # Posterior midline from just above the hip joints (lumbar) to just below the neck (C7).
    hip_z = joint("upperleg01.L")[2]
    neck_z = joint("neck01")[2]
    x, y, z = rest[skin, 0], rest[skin, 1], rest[skin, 2]
    back = skin[(np.abs(x) < 0.003) & (y > 0.0) & (z > hip_z + 0.09) & (z < neck_z - 0.005)]
    front = skin[(np.abs(x) < 0.01) & (np.abs(z - (hip_z + 0.3)) < 0.02)]
    return SurfacePoints(
        ear_left=np.where(ear_mask & (rest[:, 0] > 0))[0],
        ear_right=np.where(ear_mask & (rest[:, 0] < 0))[0],
        eye_left=groups["helper-l-eye"],
        eye_right=groups["helper-r-eye"],
        nose=np.array([nose]),
        back_midline=back[np.argsort(rest[back, 2])],
        chest_front=int(front[np.argmin(rest[front, 1])]),
    )


def build_body(targets: Mapping[str, float], data: Path | None = None) -> Body:
    """Morph the MakeHuman base mesh by macro targets (name -> weight) and fit the standard rig."""
    data = data or assets.find_mpfb_data()
    mesh = assets.read_obj(data / "3dobjs" / "base.obj")
    verts = mesh.vertices.copy()
    for name, weight in targets.items():
        index, delta = assets.read_target(data, name)
        verts[index] += weight * delta
    # obj: decimetres, y up, front +z  ->  metres, z up, front -y
    rest = np.stack([verts[:, 0], -verts[:, 2], verts[:, 1]], 1) * 0.1

    group_sets: dict[str, set[int]] = {}
    for face, group in zip(mesh.faces, mesh.face_groups, strict=True):
        group_sets.setdefault(group, set()).update(face)
    groups = {g: np.array(sorted(s)) for g, s in group_sets.items()}
    faces, uv = _triangulate(mesh, len(rest))

    rig = assets.read_json(data / "rigs" / "standard" / "rig.default.json")
    bones = _bone_order(rig)
    index = {b: i for i, b in enumerate(bones)}
    parent = np.array([index[rig[b]["parent"]] if rig[b]["parent"] else -1 for b in bones])
    head = np.array([_joint_position(rig[b]["head"], rest, groups) for b in bones])
    tail = np.array([_joint_position(rig[b]["tail"], rest, groups) for b in bones])

    raw_weights = assets.read_json(data / "rigs" / "standard" / "weights.default.json")["weights"]
    weights = _skin_weights(raw_weights, bones, len(rest))
    for g in EYE_GROUPS:  # eyeballs move rigidly with the head
        weights[groups[g]] = 0.0
        weights[groups[g], index["head"]] = 1.0
    dominant = np.array(bones)[weights.argmax(1)]

    surface = _surface_points(data, rest, uv, groups, dominant, lambda b: head[index[b]])
    return Body(
        rest=rest,
        faces=faces,
        used=np.unique(faces),
        uv=uv,
        groups=groups,
        bones=tuple(bones),
        parent=parent,
        head=head,
        tail=tail,
        weights=weights,
        dominant=dominant,
        surface=surface,
        bone_index=index,
    )

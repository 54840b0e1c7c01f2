"""A cluttered room: furniture, plants, lamps and pictures behind and beside the subject.

Everything is placed where the camera sees it but never between the camera and the
subject (items stand beyond the subject's plane or hang on the wall behind), so the body
is never hidden: the clutter changes the background MediaPipe segments against, not what
it can see of the person. Pure trimesh + numpy (no OpenGL).
"""

from __future__ import annotations

import numpy as np
import trimesh

from samples.synth.camera import Camera

# Free floor around the subject (|x| < X, |y| < Y): mats, planks and hinges fit inside.
_SUBJECT_X, _SUBJECT_Y = 0.9, 1.5
_COLOURS = np.array(
    [
        [0.55, 0.35, 0.20],  # wood
        [0.80, 0.78, 0.72],  # off-white
        [0.15, 0.15, 0.17],  # black
        [0.62, 0.12, 0.12],  # red
        [0.12, 0.30, 0.55],  # blue
        [0.20, 0.45, 0.25],  # green
        [0.85, 0.65, 0.15],  # mustard
        [0.45, 0.45, 0.48],  # grey
        [0.75, 0.45, 0.55],  # pink
    ]
)


def light_colour(warmth: float) -> np.ndarray:
    """RGB multiplier of the room's light: 0 neutral daylight, 1 warm tungsten."""
    w = float(np.clip(warmth, 0.0, 1.0))
    return np.array([1.0, 1.0 - 0.14 * w, 1.0 - 0.38 * w])


def _paint(mesh: trimesh.Trimesh, rgb: np.ndarray) -> trimesh.Trimesh:
    mesh.visual.vertex_colors = np.tile(
        np.append(np.clip(rgb, 0, 1) * 255, 255).astype(np.uint8), (len(mesh.vertices), 1)
    )
    return mesh


def _box(extents: tuple[float, float, float], centre: tuple[float, float, float], rgb: np.ndarray):
    box = trimesh.creation.box(extents=extents)
    box.apply_translation(centre)
    return _paint(box, rgb)


def _cylinder(radius: float, height: float, centre: tuple[float, float, float], rgb: np.ndarray):
    c = trimesh.creation.cylinder(radius=radius, height=height, sections=20)
    c.apply_translation(centre)
    return _paint(c, rgb)


def _colour(rng: np.random.Generator) -> np.ndarray:
    return _COLOURS[rng.integers(len(_COLOURS))] * rng.uniform(0.8, 1.15)


def _furniture(rng: np.random.Generator, x: float, y: float, yaw: float) -> list[trimesh.Trimesh]:
    """One free-standing item at (x, y) turned by yaw (radians)."""
    kind = rng.choice(["cabinet", "shelf", "sofa", "plant", "lamp", "chair", "ball"])
    parts: list[trimesh.Trimesh] = []
    if kind in ("cabinet", "shelf"):
        w, d, h = rng.uniform(0.5, 1.2), rng.uniform(0.3, 0.5), rng.uniform(0.7, 2.0)
        body = _colour(rng)
        parts.append(_box((d, w, h), (0, 0, h / 2), body))
        if kind == "shelf":  # books on the shelves: coloured slabs on the front face
            for level in np.arange(0.25, h - 0.1, 0.38):
                for k in range(int(rng.integers(3, 8))):
                    bw = rng.uniform(0.03, 0.07)
                    by = -w / 2 + 0.05 + k * 0.09 + rng.uniform(0, 0.03)
                    if by + bw / 2 < w / 2:
                        bh = rng.uniform(0.18, 0.3)
                        parts.append(_box((0.02, bw, bh), (d / 2 + 0.01, by, level + bh / 2), _colour(rng)))
        else:
            for _ in range(int(rng.integers(1, 4))):  # things on top
                s = rng.uniform(0.08, 0.25)
                parts.append(_box((s, s, s), (0, rng.uniform(-w / 3, w / 3), h + s / 2), _colour(rng)))
    elif kind == "sofa":
        w, c = rng.uniform(1.4, 2.0), _colour(rng)
        parts += [_box((0.85, w, 0.42), (0, 0, 0.21), c), _box((0.2, w, 0.45), (-0.33, 0, 0.64), c)]
        parts += [_box((0.85, 0.18, 0.6), (0, s * (w / 2 - 0.09), 0.3), c) for s in (-1, 1)]
    elif kind == "plant":
        pot = rng.uniform(0.12, 0.22)
        parts.append(_cylinder(pot, pot * 1.6, (0, 0, pot * 0.8), _colour(rng)))
        leaves = trimesh.creation.icosphere(subdivisions=2, radius=rng.uniform(0.3, 0.5))
        leaves.apply_scale([1.0, 1.0, rng.uniform(1.0, 1.8)])
        leaves.apply_translation([0, 0, pot * 1.6 + 0.35])
        parts.append(_paint(leaves, np.array([0.18, 0.42, 0.16]) * rng.uniform(0.7, 1.2)))
    elif kind == "lamp":
        h = rng.uniform(1.3, 1.8)
        parts += [_cylinder(0.15, 0.03, (0, 0, 0.015), np.array([0.2, 0.2, 0.2]))]
        parts += [_cylinder(0.015, h, (0, 0, h / 2), np.array([0.3, 0.3, 0.3]))]
        parts += [_cylinder(0.2, 0.3, (0, 0, h + 0.1), _colour(rng) * 0.5 + 0.5)]
    elif kind == "chair":
        c = _colour(rng)
        parts += [_box((0.45, 0.45, 0.05), (0, 0, 0.45), c), _box((0.05, 0.45, 0.5), (-0.2, 0, 0.72), c)]
        parts += [
            _box((0.04, 0.04, 0.45), (sx * 0.2, sy * 0.2, 0.225), c) for sx in (-1, 1) for sy in (-1, 1)
        ]
    else:  # an exercise ball
        r = rng.uniform(0.3, 0.38)
        ball = trimesh.creation.icosphere(subdivisions=3, radius=r)
        ball.apply_translation([0, 0, r])
        parts.append(_paint(ball, _colour(rng)))
    turn = trimesh.transformations.rotation_matrix(yaw, [0, 0, 1])
    for part in parts:
        part.apply_transform(turn)
        part.apply_translation([x, y, 0.0])
    return parts


def _picture(rng: np.random.Generator, centre: np.ndarray, normal: np.ndarray) -> list[trimesh.Trimesh]:
    """A framed picture or a striped poster hanging flat on a wall (normal: into the room)."""
    w, h = rng.uniform(0.4, 1.2), rng.uniform(0.4, 1.0)
    along = np.array([-normal[1], normal[0], 0.0])
    parts = [_box((0.02, w, h), (0, 0, 0), _colour(rng) * 0.3)]
    if rng.uniform() < 0.4:  # stripes: hard edges in the background
        n = int(rng.integers(4, 9))
        for k in range(0, n, 2):
            parts.append(_box((0.01, w / n, h * 0.92), (0.012, -w / 2 + (k + 0.5) * w / n, 0), _colour(rng)))
    else:
        parts.append(_box((0.01, w * 0.85, h * 0.85), (0.012, 0, 0), _colour(rng)))
        for _ in range(3):  # blobs of a painting
            s = rng.uniform(0.08, 0.25) * min(w, h)
            parts.append(
                _box(
                    (0.01, s, s),
                    (0.016, rng.uniform(-w / 3, w / 3), rng.uniform(-h / 3, h / 3)),
                    _colour(rng),
                )
            )
    rot = np.eye(4)
    rot[:3, 0], rot[:3, 1], rot[:3, 2] = normal, along, np.cross(normal, along)
    for part in parts:
        part.apply_transform(rot)
        part.apply_translation(centre)
    return parts


def _wall_behind(camera: Camera, wall_x: float, extent: float) -> tuple[np.ndarray, np.ndarray]:
    """(point, inward normal) where the camera's line of sight through the subject meets a wall."""
    eye = camera.eye[:2]
    target = np.array(camera.target[:2])
    d = target - eye
    d /= np.linalg.norm(d)
    walls = (  # (axis, coordinate, inward normal)
        (0, wall_x, np.array([1.0, 0.0])),
        (0, extent, np.array([-1.0, 0.0])),
        (1, extent, np.array([0.0, -1.0])),
        (1, -extent, np.array([0.0, 1.0])),
    )
    best = None
    for axis, coord, normal in walls:
        if abs(d[axis]) < 1e-9:
            continue
        s = (coord - target[axis]) / d[axis]
        if s > 0 and (best is None or s < best[0]):
            best = (s, normal)
    assert best is not None
    return target + best[0] * d, best[1]


def clutter(
    rng: np.random.Generator, count: int, camera: Camera, wall_x: float, extent: float, wall_h: float
) -> list[trimesh.Trimesh]:
    """About `count` items in view beyond the subject: furniture on the floor and pictures on
    the wall behind."""
    eye = camera.eye[:2]
    target = np.array(camera.target[:2])
    sight = (target - eye) / np.linalg.norm(target - eye)
    half_fov = np.radians(camera.hfov_deg / 2) * 0.95
    meshes: list[trimesh.Trimesh] = []
    placed: list[np.ndarray] = []
    hit, normal = _wall_behind(camera, wall_x, extent)
    along = np.array([-normal[1], normal[0]])
    for _ in range(count):
        if rng.uniform() < 0.35:
            p = hit + along * rng.uniform(-2.0, 2.0) + normal * 0.011
            centre = np.array([p[0], p[1], rng.uniform(1.1, min(2.2, wall_h - 0.6))])
            meshes += _picture(rng, centre, np.append(normal, 0.0))
            continue
        for _try in range(60):
            p = np.array([rng.uniform(wall_x + 0.4, extent - 0.4), rng.uniform(-extent + 0.4, extent - 0.4)])
            if abs(p[0]) < _SUBJECT_X and abs(p[1]) < _SUBJECT_Y:
                continue
            to_p = p - eye
            if np.dot(p - target, sight) < 0.3:  # must stand beyond the subject
                continue
            if np.arccos(np.clip(np.dot(to_p / np.linalg.norm(to_p), sight), -1, 1)) > half_fov:
                continue
            if any(np.linalg.norm(p - q) < 0.9 for q in placed):
                continue
            placed.append(p)
            meshes += _furniture(rng, float(p[0]), float(p[1]), float(rng.uniform(0, 2 * np.pi)))
            break
    return meshes

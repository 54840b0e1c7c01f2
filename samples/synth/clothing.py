"""Per-vertex colours: skin, T-shirt, trousers, shoes, hair, brows, lips, eyes.

Plain vertex colours (no textures) keep rendering fast; the regions come from skinning
weights and heights relative to the rig's joints, so they follow every body shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np

from samples.synth import assets
from samples.synth.body import EYE_GROUPS, Body

Rgb = tuple[float, float, float]
Sleeves = Literal["none", "short", "long"]


@dataclass(frozen=True)
class Palette:
    """sRGB colours 0..1."""

    skin: Rgb = (0.80, 0.60, 0.48)
    shirt: Rgb = (0.13, 0.38, 0.62)
    pants: Rgb = (0.12, 0.12, 0.14)
    shoes: Rgb = (0.85, 0.85, 0.82)
    sole: Rgb = (0.25, 0.25, 0.25)
    hair: Rgb = (0.16, 0.10, 0.06)
    brow: Rgb = (0.14, 0.09, 0.05)
    lips: Rgb = (0.62, 0.36, 0.34)
    sclera: Rgb = (0.92, 0.92, 0.90)
    iris: Rgb = (0.22, 0.14, 0.08)

    def with_overrides(self, colours: Mapping[str, Rgb]) -> Palette:
        unknown = set(colours) - set(self.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown palette colour(s): {', '.join(sorted(unknown))}")
        return replace(self, **{k: tuple(float(c) for c in v) for k, v in colours.items()})


@dataclass(frozen=True)
class Clothing:
    palette: Palette = field(default_factory=Palette)
    sleeves: Sleeves = "short"


def _weight_of(body: Body, names: list[str]) -> np.ndarray:
    return body.weights[:, [body.bone(b) for b in names if b in body.bone_index]].sum(1)


def paint(body: Body, clothing: Clothing, data: Path | None = None) -> np.ndarray:
    """(N, 3) sRGB vertex colours."""
    pal = {k: np.array(getattr(clothing.palette, k)) for k in clothing.palette.__dataclass_fields__}
    rest = body.rest
    y, z = rest[:, 1], rest[:, 2]
    colours = np.tile(pal["skin"], (len(rest), 1))

    both = lambda *names: [f"{n}.{s}" for n in names for s in "LR"]  # noqa: E731
    w_torso = _weight_of(
        body,
        [
            "spine05",
            "spine04",
            "spine03",
            "spine02",
            "spine01",
            "root",
            *both("breast", "clavicle", "shoulder01"),
        ],
    )
    w_upperarm = _weight_of(body, both("upperarm01", "upperarm02"))
    w_forearm = _weight_of(body, both("lowerarm01", "lowerarm02"))
    w_neck = _weight_of(body, ["neck01", "neck02", "neck03", "head"])
    w_leg = _weight_of(body, both("pelvis", "upperleg01", "upperleg02", "lowerleg01", "lowerleg02"))
    foot = np.char.startswith(body.dominant.astype(str), "foot") | np.char.startswith(
        body.dominant.astype(str), "toe"
    )

    waist_z = body.joint("upperleg01.L")[2] + 0.11
    shirt = (w_torso > 0.5) & (z > waist_z) & (w_neck < 0.5)
    shoulder_z = body.joint("upperarm01.L")[2]
    if clothing.sleeves == "short":
        shirt |= (w_upperarm > 0.3) & (z > shoulder_z - 0.13)
    elif clothing.sleeves == "long":
        shirt |= (w_upperarm > 0.3) | (w_forearm > 0.5)
    neck_base = body.joint("neck01")
    neckline = neck_base[2] - 0.015 - 0.05 * np.clip(-(y - neck_base[1]) / 0.09, 0, 1)  # dips at the front
    shirt &= z < neckline
    ankle_z = body.joint("foot.L")[2]
    pants = ((w_leg + w_torso) > 0.5) & (z <= waist_z) & ~foot & (z > ankle_z + 0.02)
    colours[shirt] = pal["shirt"]
    colours[pants] = pal["pants"]
    shoe = (foot | (z < ankle_z + 0.02)) & (z < ankle_z + 0.05)
    colours[shoe] = pal["shoes"]
    colours[shoe & (z < z.min() + 0.012)] = pal["sole"]

    # Hair: the scalp above a hairline that runs over the forehead and behind the ears.
    sp = body.surface
    head = (body.dominant == "head") | (body.dominant == "neck03")
    eye_z = rest[sp.eye_left, 2].mean()
    ear_z = rest[sp.ear_left, 2].mean() if len(sp.ear_left) else eye_z - 0.03
    ear_y = rest[sp.ear_left, 1].mean() if len(sp.ear_left) else 0.0
    hairline = (
        eye_z
        + 0.055
        + 0.03 * np.clip((y - ear_y + 0.04) / -0.08, 0, 1)
        - 0.035 * np.clip((y - ear_y + 0.03) / 0.06, 0, 1)
    )
    hair = head & ((z > hairline) | ((y > ear_y + 0.015) & (z > ear_z - 0.045)))
    colours[hair] = pal["hair"]

    for group in EYE_GROUPS:  # eyebrows: a soft band above each eye
        d = rest - rest[body.groups[group]].mean(0)
        band = np.clip(1 - np.abs(d[:, 2] - 0.019 + 0.004 * np.abs(d[:, 0]) / 0.02) / 0.006, 0, 1)
        band *= np.clip(1 - np.abs(d[:, 0]) / 0.026, 0, 1) ** 0.5
        band *= head & ~hair & (d[:, 1] < 0.0) & (d[:, 1] > -0.06)
        t = np.clip(1.6 * band, 0, 0.9)[:, None]
        colours = colours * (1 - t) + pal["brow"] * t

    skin = body.groups["body"]
    lips = assets.sample_texture(
        assets.read_grey_texture(data or assets.find_mpfb_data(), "mpfb_lips.jpg"), body.uv[skin]
    )[:, None]
    colours[skin] = colours[skin] * (1 - lips) + pal["lips"] * lips

    for group in EYE_GROUPS:
        ids = body.groups[group]
        d = rest[ids] - rest[ids].mean(0)
        d /= np.linalg.norm(d, axis=1, keepdims=True) + 1e-9
        colours[ids] = pal["sclera"]
        colours[ids[d[:, 1] < -0.80]] = pal["iris"]  # the front cap of the eyeball
    return colours

"""The webcam model: a pinhole camera orbiting the subject (pure numpy, no OpenGL)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WIDTH, HEIGHT = 640, 480
HFOV_DEG = 60.0  # a typical laptop webcam


def look_at(
    eye: np.ndarray, target: np.ndarray, up: tuple[float, float, float] = (0.0, 0.0, 1.0)
) -> np.ndarray:
    """4x4 camera-to-world pose (OpenGL: the camera looks down its -z)."""
    eye = np.asarray(eye, float)
    z = eye - np.asarray(target, float)
    z /= np.linalg.norm(z)
    x = np.cross(up, z)
    x /= np.linalg.norm(x)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = x, np.cross(z, x), z, eye
    return pose


@dataclass(frozen=True)
class Camera:
    """A pinhole camera orbiting the subject. yaw 0 looks at the subject's left side
    from +x; + yaw moves the camera round towards the subject's front (90 = facing them)."""

    yaw_deg: float
    height_m: float
    distance_m: float
    target: tuple[float, float, float]
    width: int = WIDTH
    height: int = HEIGHT
    hfov_deg: float = HFOV_DEG

    @property
    def eye(self) -> np.ndarray:
        yaw = np.radians(self.yaw_deg)
        tx, ty, _ = self.target
        return np.array(
            [tx + self.distance_m * np.cos(yaw), ty - self.distance_m * np.sin(yaw), self.height_m]
        )

    @property
    def pose(self) -> np.ndarray:
        return look_at(self.eye, np.array(self.target))

    @property
    def focal_px(self) -> float:
        return (self.width / 2) / np.tan(np.radians(self.hfov_deg) / 2)

    @property
    def yfov_rad(self) -> float:
        return float(2 * np.arctan((self.height / 2) / self.focal_px))

    def project(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) -> pixel coordinates (..., 2), y down."""
        pts = np.asarray(points, float)
        world_to_cam = np.linalg.inv(self.pose)
        cam = pts @ world_to_cam[:3, :3].T + world_to_cam[:3, 3]
        depth = -cam[..., 2]
        u = self.width / 2 + self.focal_px * cam[..., 0] / depth
        v = self.height / 2 - self.focal_px * cam[..., 1] / depth
        return np.stack([u, v], -1)

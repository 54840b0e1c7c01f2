"""Frames in, poses out: video sources, MediaPipe pose estimation, smoothing, geometry.

Nothing MediaPipe-typed leaves this package: everything downstream sees `Pose`.
"""

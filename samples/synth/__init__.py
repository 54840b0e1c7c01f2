"""Synthetic exercise clips: a rigged CC0 MakeHuman body posed by numpy kinematics, rendered offscreen.

Modules, bottom up: assets (MakeHuman/MPFB2 files) -> rotations -> body (mesh, rig, colours)
-> kinematics (FK, skinning) -> postures (one frame of an exercise) -> motions (a scenario
as a timeline) -> truth / labels (ground truth) -> scene (pyrender) -> video (H.264).
"""

"""Form judging: one checker per exercise, rep counting and hold timing, thresholds.

Depends only on `vision`; never draws, speaks or writes files.
"""

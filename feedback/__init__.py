"""What the user sees and keeps: overlay, cues, session reports, the pipeline loop and the CLI.

Depends on `exercises` and `vision`; nothing below it imports from here.
"""

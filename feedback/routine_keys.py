"""The routine's keys on top of live's: skip the exercise, and a dedicated stop-for-pain key.

Pause (space), repeat the set (`r`, live's reset), voice (`v`) and finish (`q`) are live's own.
"""

from __future__ import annotations

from enum import StrEnum

from feedback.live_control import LiveControl
from feedback.window import Command, LiveWindow


class RoutineCommand(StrEnum):
    SKIP = "skip"  # on to the next exercise
    PAIN = "pain"  # stop for pain: the session ends at once, the moment is logged


ROUTINE_KEYS: dict[int, RoutineCommand] = {
    ord("p"): RoutineCommand.PAIN,
    ord("P"): RoutineCommand.PAIN,
    ord("n"): RoutineCommand.SKIP,
    ord("N"): RoutineCommand.SKIP,
}
ROUTINE_KEY_HELP = "p stop for pain   n skip exercise   r repeat set   space pause   q finish"


class RoutineWindow(LiveWindow):
    """The live window, also reading the routine's keys."""

    def command_for(self, code: int) -> Command | RoutineCommand | None:  # type: ignore[override]
        if code >= 0 and (code & 0xFF) in ROUTINE_KEYS:
            return ROUTINE_KEYS[code & 0xFF]
        return super().command_for(code)


class RoutineControl(LiveControl):
    """Live's switches plus the routine's: skip the exercise, stop for pain."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.skip = False
        self.pain_at_ms: float | None = None  # session clock, when the pain key was pressed

    def handle(self, command) -> None:
        if command is RoutineCommand.PAIN:
            if self.pain_at_ms is None:
                self.pain_at_ms = self.clock.now_ms()
            self.quit = True  # ends at once, even while paused
        elif command is RoutineCommand.SKIP:
            self.skip = True
            self.paused = False
            self.notify("Skipping to the next exercise")
        else:
            super().handle(command)

    def begin_exercise(self) -> None:
        """A new exercise: its own reset hooks (the last one's stages are done with)."""
        self._on_reset.clear()
        self.skip = False
        self.target_reached_ms = None

    def start_next_set(self) -> None:
        """Between two sets: the count starts again, without live's "Count reset" notice."""
        self.reset_pending = False
        for fn in self._on_reset:
            fn()

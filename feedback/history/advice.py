"""What the advice says to notice in a journal, as pure functions of the history.

- Pain that does not ease over two weeks of regular practice: see a clinician.
- A long session right after missed days: do not make up for them all at once.

Each returns one line to show, or None. "Today" is passed in, so the rules are testable.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from feedback.history.records import JournalEntry, SessionEntry

WEEK_DAYS = 7


@dataclass(frozen=True)
class PainRule:
    """Two weeks of regular practice, and pain not easing across them."""

    practice_days_per_week: int = 3  # "regular": at least this many days with a session in each week
    readings_per_week: int = 2  # pain scores needed in each week to compare them at all
    min_drop: float = 0.5  # easing = the second week's average at least this much lower
    min_pain: float = 1.0  # below this average there is nothing left to ease


@dataclass(frozen=True)
class LoadRule:
    """A day's practice much longer than usual right after days without any."""

    missed_days: int = 3  # at least this many days in a row without a session before it
    factor: float = 1.5  # at least this many times the usual day's practice
    usual_days: int = 10  # "usual": the median over this many earlier practice days ...
    min_usual_days: int = 3  # ... and at least this many of them


def pain_readings(
    sessions: Sequence[SessionEntry], journal: Sequence[JournalEntry]
) -> list[tuple[date, int]]:
    """(day, pain 0-10): the pain before each session (the day's pain, before the exercise
    changes it) and each journal entry's pain."""
    readings = [(s.started_at.date(), s.comfort.pain_before) for s in sessions]
    readings += [(j.at.date(), j.pain) for j in journal]
    return sorted((d, p) for d, p in readings if p is not None)


def pain_not_easing(
    sessions: Sequence[SessionEntry],
    journal: Sequence[JournalEntry],
    today: date,
    rule: PainRule = PainRule(),
) -> str | None:
    """The clinician line, when the last two weeks (ending today) were both regular practice
    weeks and the second week's pain is not lower than the first's."""
    first_day = today - timedelta(days=2 * WEEK_DAYS - 1)
    weeks: list[tuple[set[date], list[int]]] = [(set(), []), (set(), [])]
    for s in sessions:
        day = s.started_at.date()
        if first_day <= day <= today:
            weeks[(day - first_day).days // WEEK_DAYS][0].add(day)
    for day, pain in pain_readings(sessions, journal):
        if first_day <= day <= today:
            weeks[(day - first_day).days // WEEK_DAYS][1].append(pain)
    if any(len(days) < rule.practice_days_per_week for days, _ in weeks):
        return None  # not regular practice: the rule does not apply
    if any(len(pains) < rule.readings_per_week for _, pains in weeks):
        return None  # too few scores to say
    before, after = (statistics.fmean(pains) for _, pains in weeks)
    if after < rule.min_pain or after <= before - rule.min_drop:
        return None
    return (
        f"Your pain has not eased over two weeks of regular practice (average {before:.1f} then "
        f"{after:.1f} out of 10): consider seeing a clinician or physiotherapist about it."
    )


def daily_practice(sessions: Sequence[SessionEntry]) -> dict[date, float]:
    """Seconds of practice per day with at least one session."""
    days: dict[date, float] = defaultdict(float)
    for s in sessions:
        days[s.started_at.date()] += s.duration_s
    return dict(sorted(days.items()))


def overdoing_after_a_break(sessions: Sequence[SessionEntry], rule: LoadRule = LoadRule()) -> str | None:
    """The don't-overcompensate note, when the latest practice day came after `missed_days`
    or more without practice and was `factor` times the usual day's length or more."""
    days = daily_practice(sessions)
    if len(days) < rule.min_usual_days + 1:
        return None
    *earlier, (last_day, last_s) = days.items()
    missed = (last_day - earlier[-1][0]).days - 1
    if missed < rule.missed_days:
        return None
    usual = statistics.median(seconds for _, seconds in earlier[-rule.usual_days :])
    if usual <= 0 or last_s < rule.factor * usual:
        return None
    return (
        f"After {missed} days off, your practice on {last_day:%a %d %b} was {last_s / usual:.1f} times "
        "your usual length: "
        "build back up gradually rather than making up for missed days."
    )


def advice(
    sessions: Sequence[SessionEntry], journal: Sequence[JournalEntry], now: datetime | None = None
) -> list[str]:
    """Every line the history has to say today."""
    today = (now or datetime.now()).date()
    lines = [pain_not_easing(sessions, journal, today), overdoing_after_a_break(sessions)]
    return [line for line in lines if line]

"""`backform history` and `backform journal`: the command-line side of the history.

Registered on the main app in feedback/cli.py. Every command runs inside the CLI's
`user_errors()`, so a fault is one `backform:` line and its exit code.
"""

from __future__ import annotations

import contextlib
import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from feedback.history.records import Comfort

history_app = typer.Typer(
    help="Past sessions and journal entries: a table, trends over weeks, a CSV for a clinician.",
    short_help="Past sessions and journal entries: table, trends, CSV.",
    add_completion=False,
    rich_markup_mode=None,
)
TABLE_WIDTH = 160
journal_app = typer.Typer(
    help="The comfort journal: pain, a note, daily tasks and sleep, on days with or without exercise.",
    short_help="Record pain, a note, tasks and sleep, with or without exercise.",
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
)

PainOption = Annotated[int | None, typer.Option("--pain", help="Pain now, 0 (none) to 10 (worst).")]
TasksOption = Annotated[
    str | None,
    typer.Option("--tasks", help="Daily tasks (getting up from a chair, ...): better, same or worse."),
]
SleepOption = Annotated[
    str | None, typer.Option("--sleep", help="Last night's sleep: better, same or worse.")
]


class ComfortOptions:
    """The comfort-journal options of a session command (`live`, later `routine`)."""

    PainBefore = Annotated[
        int | None, typer.Option("--pain-before", help="Journal: pain before the session, 0-10.")
    ]
    PainAfter = Annotated[
        int | None, typer.Option("--pain-after", help="Journal: pain after the session, 0-10.")
    ]
    Note = Annotated[str | None, typer.Option("--note", help="Journal: one line about the session.")]
    Tasks = Annotated[
        str | None, typer.Option("--tasks", help="Journal: daily tasks feel better, same or worse.")
    ]
    Sleep = Annotated[
        str | None, typer.Option("--sleep", help="Journal: last night's sleep better, same or worse.")
    ]


def ask_note(comfort: Comfort, ask=input) -> Comfort:
    """In a terminal, the one-line note if none was given (Enter skips)."""
    from dataclasses import replace

    if comfort.note is not None:
        return comfort
    note = " ".join(ask("A note about the session (Enter to skip): ").split())
    return replace(comfort, note=note or None)


def interactive() -> bool:
    """Someone at a terminal: the journal questions are asked. Both ends must be a terminal,
    so a script, a pipe or a test (output captured) is never held up by a question."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def ask_before_session(comfort: Comfort, ask_pain=None) -> Comfort:
    """Pain before, in a window of its own (keys 0-9, t for 10), unless already given."""
    from dataclasses import replace

    if comfort.pain_before is not None or not interactive():
        return comfort
    if ask_pain is None:
        from feedback.history.pain_window import ask_pain
    return replace(comfort, pain_before=ask_pain("How is your pain right now?"))


def record_and_advise(
    store, result, comfort: Comfort, console, ask: bool = True, ask_pain=None, ask_line=input, record=None
) -> Comfort:
    """After a live session: the answers not given yet (pain in a window, the note in the
    terminal), then the history, then the advice. `record` puts the session into the store
    (default: `record_live`; a routine passes its own). Returns the answers, for the other
    sessions of the same sitting."""
    from dataclasses import replace

    from feedback.history.advice import advice
    from feedback.history.recording import record_live
    from feedback.history.records import SessionEntry
    from feedback.history.views import pain_text

    if ask and result.folder is not None and interactive():
        if comfort.pain_after is None:
            if ask_pain is None:
                from feedback.history.pain_window import ask_pain
            comfort = replace(comfort, pain_after=ask_pain("How is your pain now, after the session?"))
        with contextlib.suppress(EOFError):
            comfort = ask_note(comfort, ask_line)
    entry = (record or record_live)(store, result, comfort)
    if isinstance(entry, SessionEntry):
        pain = pain_text(comfort.pain_before, comfort.pain_after)
        console.print(f"history: session {entry.uid} recorded" + (f" (pain {pain})" if pain != "-" else ""))
    elif entry is not None:
        console.print("history: no session saved; your answers went into the journal")
    for line in advice(store.sessions(), store.journal()):
        console.print(f"Note: {line}", soft_wrap=True)
    return comfort


def _cli():
    from feedback import cli

    return cli


def _warn_line(message: str) -> None:
    _cli().warn(message)


@history_app.callback(invoke_without_command=True)
def history(
    ctx: typer.Context,
    exercise: Annotated[
        str | None,
        typer.Option("--exercise", "-e", metavar="EXERCISE", help="Only this exercise: one of {exercises}."),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="From this date (2026-11-01) or span back (10d, 3w).")
    ] = None,
    last: Annotated[int, typer.Option("--last", min=1, help="Rows in the table (the most recent).")] = 15,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="PNG of the trends over weeks.", readable=False)
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option("--export", help="CSV of every session and journal entry shown (for a clinician)."),
    ] = None,
) -> None:
    """Recent sessions: date, exercises, good-form reps, hold, main fault, pain before -> after.

    `backform history delete SESSION` removes one session and its files.
    """
    if ctx.invoked_subcommand is not None:
        return
    cli = _cli()
    with cli.user_errors():
        from feedback.atomic import check_writable
        from feedback.history.advice import advice
        from feedback.history.store import HistoryStore
        from feedback.history.views import only_exercise, parse_since

        start = parse_since(since) if since is not None else None
        for path in (plot, export):  # a bad output name is found before anything is printed
            if path is not None:
                check_writable(path)
        with HistoryStore.open(write=False, warn=_warn_line) as store:
            everything = store.sessions()
            sessions = only_exercise(store.sessions(since=start, exercise=exercise), exercise)
            journal = store.journal(since=start)
            all_journal = store.journal()
            root = store.root
        _print_sessions(cli.out, sessions, last, exercise, start, root)
        if journal:
            scored = [j for j in journal if j.pain is not None]
            pains = f", last pain score {scored[-1].pain} on {scored[-1].at:%d %b}" if scored else ""
            entries = f"{len(journal)} {'entry' if len(journal) == 1 else 'entries'}"
            cli.out.print(f"Journal: {entries}{pains}.")
        for line in advice(everything, all_journal):
            cli.out.print(f"Note: {line}", soft_wrap=True)
        if plot is not None:
            from feedback.history.plot import write_plot

            cli.out.print(f"  plot: {write_plot(plot, sessions, journal)}", soft_wrap=True)
        if export is not None:
            from feedback.history.views import write_csv

            cli.out.print(f"   csv: {write_csv(export, sessions, journal)}", soft_wrap=True)


def _print_sessions(
    out: Console, sessions: list, last: int, exercise: str | None, start: datetime | None, root: Path
) -> None:
    """The table of the last `last` sessions, or one line saying there are none."""
    from feedback.history.views import sessions_table

    if not sessions:
        what = f" for {exercise}" if exercise else ""
        when = f" since {start:%d %b %Y}" if start else ""
        out.print(f"No sessions recorded{what}{when} (history in {root}).", soft_wrap=True)
        return
    shown = sessions[-last:]
    more = f" (last {len(shown)} of {len(sessions)})" if len(shown) < len(sessions) else ""
    # Piped or saved, the table keeps its full width instead of folding to 80 characters.
    table_out = out if out.is_terminal else Console(highlight=False, width=TABLE_WIDTH)
    table_out.print(sessions_table(shown, title=f"Sessions{more}"))


@history_app.command("delete")
def delete(
    session: Annotated[str, typer.Argument(help="The session's name, as `backform history` shows it.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove one session from the history and delete its folder (reports, plot)."""
    cli = _cli()
    with cli.user_errors():
        from feedback.history.store import HistoryStore

        with HistoryStore.open(write=False, warn=_warn_line) as store:
            if session not in {s.uid for s in store.sessions()}:
                from vision.errors import ConfigError

                raise ConfigError(
                    f"No session called '{session}' in the history (`backform history` lists them)."
                )
        if not yes and interactive() and not typer.confirm(f"Delete session {session} and its files?"):
            raise cli.fail("nothing deleted", 1)
        with HistoryStore.open(write=True, warn=_warn_line) as store:
            folder = store.delete_session(session)
        cli.out.print(
            f"Deleted session {session}" + (f" and {folder}" if folder else "") + ".", soft_wrap=True
        )


@journal_app.command("add")
def journal_add(
    pain: PainOption = None,
    note: Annotated[str | None, typer.Option("--note", help="One line about the day.")] = None,
    tasks: TasksOption = None,
    sleep: SleepOption = None,
    day: Annotated[
        str | None, typer.Option("--date", help="For an earlier day (2026-11-30) [default: now].")
    ] = None,
) -> None:
    """Record a day in the comfort journal (without exercising): pain 0-10, a note, tasks, sleep."""
    cli = _cli()
    with cli.user_errors():
        from feedback.history.recording import add_journal, comfort_from_options
        from feedback.history.store import HistoryStore
        from vision.errors import ConfigError

        comfort = comfort_from_options(pain_before=pain, note=note, daily_tasks=tasks, sleep=sleep)
        if comfort.pain_before is None and not any((comfort.note, comfort.daily_tasks, comfort.sleep)):
            raise ConfigError("Nothing to record: give --pain N, --note, --tasks or --sleep.")
        at = None
        if day is not None:
            try:
                when = date.fromisoformat(day.strip())
            except ValueError:
                raise ConfigError(f"--date takes a date like 2026-11-30, not '{day}'.") from None
            if when > date.today():
                raise ConfigError(f"--date {when} is in the future.")
            at = datetime.combine(when, time(12, 0)) if when != date.today() else None
        with HistoryStore.open(write=True, warn=_warn_line) as store:
            entry = add_journal(
                store,
                pain=comfort.pain_before,
                note=comfort.note,
                daily_tasks=comfort.daily_tasks,
                sleep=comfort.sleep,
                at=at,
            )
        pain_text = f"pain {entry.pain}" if entry.pain is not None else "no pain score"
        cli.out.print(
            f"Journal: {entry.at:%a %d %b %Y %H:%M}, {pain_text}" + (f", {entry.note}" if entry.note else "")
        )

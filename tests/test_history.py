"""History and comfort journal (issue 14): the store, its faults, the commands, the advice.

The store tests work on real files in a temporary data folder (BACKFORM_DATA_DIR); the
command tests run `backform` in-process. Weeks of sessions come from tests/history_data.py,
written as session folders exactly as `live` writes them, so the import path is the real one.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from feedback.history import advice, store
from feedback.history.advice import LoadRule, PainRule, overdoing_after_a_break, pain_not_easing
from feedback.history.recording import add_journal, record_live, save_analysis
from feedback.history.records import Comfort, ExerciseResult, JournalEntry, SessionEntry
from feedback.history.store import SCHEMA_VERSION, HistoryError, HistoryStore
from feedback.history.views import csv_rows, parse_since
from tests.cli_helpers import one_line_error, run_main
from tests.history_data import generate_weeks, make_report, write_session

FIRST_MONDAY = date(2026, 10, 19)


@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "data"
    monkeypatch.setenv("BACKFORM_DATA_DIR", str(root))
    return root


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the store ---------------------------------------------------------------------------------
def test_a_new_store_is_migrated_and_imports_old_session_folders(data):
    at = datetime(2026, 11, 2, 9, 0)
    write_session(data / "sessions", at, [make_report("hip-hinge", 5, 3, low=10, high=60)])
    with HistoryStore.open() as s:
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        [entry] = s.sessions()
    assert entry.uid == "2026-11-02_09-00-00" and entry.kind == "live" and entry.started_at == at
    [r] = entry.results
    assert (r.exercise, r.reps, r.good_reps, r.main_fault) == ("hip-hinge", 5, 3, "rounded_back")
    assert r.range_signal == "trunk_inclination_deg"
    assert r.range_low == pytest.approx(10, abs=1.5) and r.range_high == pytest.approx(60, abs=1.5)
    with HistoryStore.open() as s:  # imported once: a second open adds nothing
        assert len(s.sessions()) == 1
        assert s.import_files(lambda line: None) == 0


def test_migrations_run_in_order_from_any_older_version(data, monkeypatch):
    # A database made by a "previous release" that only knew the first migration's tables,
    # then opened by one with a second migration: the second runs, data survives.
    write_session(data / "sessions", datetime(2026, 11, 2, 9), [make_report("plank", hold_s=30.0)])
    HistoryStore.open().close()
    extra = "ALTER TABLE sessions ADD COLUMN mood TEXT;"
    monkeypatch.setattr(store, "MIGRATIONS", (*store.MIGRATIONS, extra))
    monkeypatch.setattr(store, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with HistoryStore.open() as s:
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert "mood" in {row[1] for row in s.conn.execute("PRAGMA table_info(sessions)")}
        assert [e.results[0].hold_s for e in s.sessions()] == [30.0]


def test_a_failed_migration_changes_nothing(data, monkeypatch):
    HistoryStore.open().close()
    db = data / "history.db"
    monkeypatch.setattr(store, "MIGRATIONS", (*store.MIGRATIONS, "CREATE TABLE x (a); CREATE TABLE x (a);"))
    monkeypatch.setattr(store, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(HistoryError, match="Cannot open the history database"):
        HistoryStore.open()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert "x" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()


def test_a_newer_database_is_refused_and_left_alone(data, capsys):
    write_session(data / "sessions", datetime(2026, 11, 2, 9), [make_report("plank", hold_s=30.0)])
    HistoryStore.open().close()
    db = data / "history.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 3}")
    conn.commit()
    conn.close()
    before = _digest(db)
    write_session(data / "sessions", datetime(2026, 11, 3, 9), [make_report("plank", hold_s=35.0)])
    for args in (
        ["history"],
        ["journal", "add", "--pain", "3"],
        ["history", "delete", "2026-11-02_09-00-00"],
    ):
        code, _out, err = run_main(args, capsys)
        line = one_line_error(code, err, 1)
        assert "newer backform" in line and "left as it is" in line, line
        assert _digest(db) == before
    assert sorted(p.name for p in (data / "sessions").iterdir()) == [
        "2026-11-02_09-00-00",
        "2026-11-03_09-00-00",
    ]
    assert not (data / "journal").exists()


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_database_is_kept_aside_and_rebuilt_from_the_files(data, capsys, damage):
    made = generate_weeks(data, FIRST_MONDAY, weeks=2)
    with HistoryStore.open() as s:
        add_journal(s, pain=4, note="stiff morning")
        expected = [(e.uid, e.comfort, e.results) for e in s.sessions()]
        journal = s.journal()
    db = data / "history.db"
    if damage == "garbage":
        db.write_bytes(b"this is not a database at all" * 200)
    else:
        content = db.read_bytes()
        db.write_bytes(content[:100] + b"\xff" * 300 + content[400 : len(content) // 2])
    broken = _digest(db)
    code, out, err = run_main(["history", "--last", "100"], capsys)
    assert code == 0, err
    [line] = err.strip().splitlines()
    assert line.startswith("backform: warning: the history database was damaged")
    [aside] = [p for p in data.iterdir() if p.name.startswith("history.db.damaged-")]
    assert str(aside) in line and _digest(aside) == broken  # kept, byte for byte
    with HistoryStore.open() as s:
        assert [(e.uid, e.comfort, e.results) for e in s.sessions()] == expected
        assert s.journal() == journal
    assert len(expected) == len(made.sessions)
    assert "stiff morning" not in out and "2026-10-19_08-" in out


def test_a_database_failing_mid_query_is_one_line(data, capsys):
    generate_weeks(data, FIRST_MONDAY, weeks=1)
    HistoryStore.open().close()
    conn = sqlite3.connect(data / "history.db")
    conn.execute("DROP TABLE exercise_results")
    conn.commit()
    conn.close()
    code, _out, err = run_main(["history"], capsys)
    line = one_line_error(code, err, 1)
    assert (
        "no such table: exercise_results" in line
        and "session folders and journal files are untouched" in line
    )
    assert len(list((data / "sessions").iterdir())) == 6


def test_set_aside_never_overwrites(tmp_path):
    db = tmp_path / "history.db"
    now = datetime(2026, 12, 1, 10, 0, 0)
    names = []
    for content in (b"one", b"two"):
        db.write_bytes(content)
        names.append(store.set_aside(db, now))
    assert names[0] != names[1]
    assert [p.read_bytes() for p in names] == [b"one", b"two"]
    assert not db.exists()


@pytest.fixture
def read_only(tmp_path):
    """A function: make folder `path` read-only (a read-only mount as root, chmod otherwise)."""
    mounted: list[Path] = []

    def make(path: Path) -> None:
        if os.geteuid() != 0:
            for p in [path, *path.rglob("*")]:
                if p.is_dir():
                    p.chmod(0o555)
            return
        if not shutil.which("mount"):
            pytest.skip("needs mount to make a read-only folder as root")
        keep = path.with_name(path.name + ".src")
        shutil.move(path, keep)
        path.mkdir()
        if subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(path)]).returncode != 0:
            pytest.skip("cannot mount a tmpfs here")
        mounted.append(path)
        shutil.copytree(keep, path, dirs_exist_ok=True)
        subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)

    yield make
    for path in mounted:
        subprocess.run(["umount", str(path)], check=True)
    for p in tmp_path.rglob("*"):
        if p.is_dir() and not os.access(p, os.W_OK):
            p.chmod(0o755)


def test_a_read_only_data_folder_reads_but_never_writes(data, read_only, capsys, tmp_path):
    generate_weeks(data, FIRST_MONDAY, weeks=2)
    HistoryStore.open().close()
    write_session(data / "sessions", datetime(2026, 11, 10, 9), [make_report("plank", hold_s=41.0)])
    read_only(data)
    before = {p.relative_to(data): _digest(p) for p in data.rglob("*") if p.is_file()}

    code, out, err = run_main(["history", "--last", "100", "--export", tmp_path / "h.csv"], capsys)
    assert code == 0 and err == "", err
    assert "2026-11-10_09-00-00" in out  # the folder not yet indexed is read all the same
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not looked at: the history is opened first")
    for args, expected_code in (
        (["journal", "add", "--pain", "3"], 1),
        (["history", "delete", "2026-11-10_09-00-00", "--yes"], 1),
        (["live", "-e", "hip-hinge", "--pain-before", "2"], 1),  # before the camera opens
        (["analyze", clip, "-e", "hip-hinge", "--save"], 1),  # before the analysis
    ):
        code, out, err = run_main(args, capsys)
        line = one_line_error(code, err, expected_code)
        assert "read-only" in line.lower() or "Read-only file system" in line, line
    assert {p.relative_to(data): _digest(p) for p in data.rglob("*") if p.is_file()} == before


# -- recording ---------------------------------------------------------------------------------
def test_live_sessions_keep_their_comfort_answers_beside_the_reports(data):
    from feedback.history.paths import sessions_dir
    from feedback.live import save_session

    report = make_report("hip-hinge", 6, 4, low=5, high=58)
    folder, _ = save_session(report, None, None, sessions_dir())
    comfort = Comfort(pain_before=5, pain_after=3, note="  felt   easier ", daily_tasks="better")
    with HistoryStore.open() as s:
        entry = record_live(s, SimpleNamespace(folder=folder, report=report), comfort)
        assert entry is not None and s.sessions() == [entry]
    meta = json.loads((folder / "session.json").read_text())
    assert meta["kind"] == "live" and meta["comfort"]["pain_after"] == 3
    assert entry.comfort.note == "felt easier"  # one line, as the journal keeps it
    # the folder alone rebuilds the same row
    (data / "history.db").unlink()
    with HistoryStore.open() as s:
        assert s.sessions() == [entry]


def test_nobody_seen_turns_the_answers_into_a_journal_entry(data):
    with HistoryStore.open() as s:
        entry = record_live(s, SimpleNamespace(folder=None, report=None), Comfort(pain_before=6))
        assert s.sessions() == [] and s.journal() == [entry] and entry.pain == 6
        assert record_live(s, SimpleNamespace(folder=None, report=None), Comfort()) is None


def test_analyze_save_keeps_its_own_copy_in_the_history(data, tmp_path, capsys, monkeypatch):
    from tests.feedback_fakes import fake_backends, hinge_schedule, write_fake_video

    monkeypatch.setattr("feedback.analysis.default_backends", lambda: fake_backends(hinge_schedule(2)))
    clip = tmp_path / "clip.mp4"
    write_fake_video(clip, 30 + 2 * 60 + 15)
    code, out, err = run_main(["analyze", clip, "-e", "hip-hinge", "--no-video", "--save"], capsys)
    assert code == 0, err
    with HistoryStore.open() as s:
        [entry] = s.sessions()
    assert entry.kind == "analyze" and entry.results[0].reps == 2
    assert f"saved as session {entry.uid}" in out
    folder = data / "sessions" / entry.uid
    assert sorted(p.name for p in folder.iterdir()) == [
        "report.csv",
        "report.json",
        "report.png",
        "session.json",
    ]
    code, out, err = run_main(["analyze", clip, clip, "-e", "hip-hinge", "--save"], capsys)
    assert "give one video" in one_line_error(code, err, 2)


def test_journal_add_and_its_bad_input(data, capsys):
    code, out, err = run_main(
        ["journal", "add", "--pain", "4", "--note", "long drive", "--tasks", "Worse", "--sleep", "same"],
        capsys,
    )
    assert code == 0, err
    assert "pain 4, long drive" in out
    code, out, err = run_main(["journal", "add", "--pain", "2", "--date", "2026-11-30"], capsys)
    assert code == 0, err
    with HistoryStore.open() as s:
        first, second = sorted(s.journal(), key=lambda j: j.pain)
    assert (second.pain, second.note, second.daily_tasks, second.sleep) == (4, "long drive", "worse", "same")
    assert first.at == datetime(2026, 11, 30, 12, 0)
    assert len(list((data / "journal").glob("*.json"))) == 2
    for args, words in (
        (["--pain", "11"], "--pain-before: pain must be 0-10, not 11"),
        (["--pain", "-1"], "pain must be 0-10"),
        (["--sleep", "great"], "--sleep: expected one of better, same, worse"),
        ([], "Nothing to record"),
        (["--pain", "3", "--date", "yesterday"], "--date takes a date"),
    ):
        code, out, err = run_main(["journal", "add", *args], capsys)
        assert words in one_line_error(code, err, 2)


def test_live_checks_its_journal_options_before_anything_starts(data, capsys):
    code, _out, err = run_main(["live", "-e", "hip-hinge", "--pain-before", "12"], capsys)
    assert "--pain-before: pain must be 0-10, not 12" in one_line_error(code, err, 2)
    code, _out, err = run_main(["live", "-e", "hip-hinge", "--tasks", "fine"], capsys)
    assert "--tasks: expected one of" in one_line_error(code, err, 2)
    assert not (data / "sessions").exists()


# -- history: table, plot, CSV, delete -------------------------------------------------------------
def test_history_table_plot_and_csv_over_weeks(data, tmp_path, capsys):
    made = generate_weeks(data, FIRST_MONDAY, weeks=6)
    plot, table_csv = tmp_path / "out" / "trend.png", tmp_path / "out" / "history.csv"
    code, out, err = run_main(["history", "--last", "100", "--plot", plot, "--export", table_csv], capsys)
    assert code == 0 and err == "", err
    rows = [line for line in out.splitlines() if line.startswith("│ 20")]
    assert len(rows) == len(made.sessions) == 36
    first_hinge = next(r for r in rows if "hip hinge" in r)
    assert "3/8" in first_hinge and "rounded back" in first_hinge
    routine = next(r for r in rows if "(routine)" in r)
    assert "cat cow, hip hinge, plank (routine)" in routine and " → " in routine
    assert "Journal: 6 entries" in out
    assert plot.read_bytes()[:4] == b"\x89PNG"
    with table_csv.open() as f:
        lines = list(csv.DictReader(f))
    assert len(lines) == made.exercise_results + len(made.journal)
    assert [r["date"] + r["time"] for r in lines] == sorted(r["date"] + r["time"] for r in lines)
    hinge = [r for r in lines if r["exercise"] == "hip-hinge"]
    assert int(hinge[-1]["good_form_reps"]) > int(hinge[0]["good_form_reps"])
    assert float(hinge[-1]["range_high"]) > float(hinge[0]["range_high"])
    assert {r["journal_pain"] for r in lines if r["kind"] == "journal"} == {"5", "4", "3", "2", "1", "0"}
    assert {r["session"] for r in lines if r["kind"] != "journal"} == {p.name for p in made.sessions}


def test_history_filters(data, capsys):
    generate_weeks(data, FIRST_MONDAY, weeks=6)
    code, out, err = run_main(["history", "--exercise", "plank", "--last", "100"], capsys)
    assert code == 0, err
    rows = [line for line in out.splitlines() if line.startswith("│ 20")]
    assert len(rows) == 18 and all("plank" in r and "hip hinge" not in r for r in rows)
    code, out, err = run_main(["history", "--since", "2026-11-23", "--last", "100"], capsys)
    rows = [line for line in out.splitlines() if line.startswith("│ 20")]
    assert code == 0 and len(rows) == 6 and all(r.startswith("│ 2026-11-2") for r in rows)
    code, out, err = run_main(["history", "--last", "3"], capsys)
    assert "(last 3 of 36)" in out
    code, out, err = run_main(["history", "--since", "last tuesday"], capsys)
    assert "--since takes a date" in one_line_error(code, err, 2)
    code, out, err = run_main(["history", "--plot", "/dev/null"], capsys)
    assert "not a regular file" in one_line_error(code, err, 1) and out == ""
    code, out, err = run_main(["history", "--exercise", "squat"], capsys)
    assert code == 0 and "No sessions recorded for squat" in out


def test_parse_since_spans():
    today = date(2026, 12, 2)
    assert parse_since("10d", today) == datetime(2026, 11, 22)
    assert parse_since("3w", today) == datetime(2026, 11, 11)
    assert parse_since("2026-11-01", today) == datetime(2026, 11, 1)


def test_history_delete_removes_the_session_and_its_files(data, capsys):
    made = generate_weeks(data, FIRST_MONDAY, weeks=1)
    victim = made.sessions[2]
    code, out, err = run_main(["history", "delete", victim.name], capsys)
    assert code == 0, err
    assert f"Deleted session {victim.name} and {victim}" in out
    assert not victim.exists()
    assert not [p for p in (data / "sessions").iterdir() if p.name.startswith(".")]
    with HistoryStore.open() as s:
        assert victim.name not in {e.uid for e in s.sessions()}
        assert len(s.sessions()) == len(made.sessions) - 1
    code, _out, err = run_main(["history", "delete", victim.name], capsys)
    assert "No session called" in one_line_error(code, err, 2)
    code, _out, err = run_main(["history", "delete", "../journal"], capsys)
    assert "No session called" in one_line_error(code, err, 2)
    assert len(list((data / "journal").iterdir())) == 1


def test_an_unreadable_session_folder_is_named_and_left_alone(data, capsys):
    generate_weeks(data, FIRST_MONDAY, weeks=1)
    bad = data / "sessions" / "2026-11-30_10-00-00"
    bad.mkdir()
    (bad / "report.json").write_text("{ not json")
    code, _out, err = run_main(["history"], capsys)
    assert code == 0
    [line] = err.strip().splitlines()
    assert line.startswith("backform: warning: left out of the history") and bad.name in line
    assert (bad / "report.json").read_text() == "{ not json"


# -- the advice --------------------------------------------------------------------------------
def _session(day: date, pain: int | None = None, minutes: float = 10.0, hour: int = 9) -> SessionEntry:
    return SessionEntry(
        uid=f"{day}_{hour:02d}",
        kind="live",
        started_at=datetime.combine(day, time(hour)),
        results=(ExerciseResult("hip-hinge", 8, 6, duration_s=minutes * 60),),
        comfort=Comfort(pain_before=pain),
        duration_s=minutes * 60,
    )


def _fortnight(pains_week1, pains_week2, days=(0, 2, 4, 5), end=date(2026, 11, 29)) -> list[SessionEntry]:
    start = end - timedelta(days=13)
    out = []
    for week, pains in enumerate((pains_week1, pains_week2)):
        for weekday, pain in zip(days, pains, strict=False):
            out.append(_session(start + timedelta(days=7 * week + weekday), pain))
    return out


TODAY = date(2026, 11, 29)


def test_pain_rule_fires_when_pain_does_not_ease_with_regular_practice():
    flat = _fortnight([5, 5, 4, 5], [5, 4, 5, 5])
    line = pain_not_easing(flat, [], TODAY)
    assert line is not None and "clinician" in line and "4.8 then 4.8" in line
    worse = _fortnight([3, 3, 4, 3], [4, 5, 5, 4])
    assert "clinician" in (pain_not_easing(worse, [], TODAY) or "")
    assert advice.advice(flat, [], datetime.combine(TODAY, time(20))) == [line]


def test_pain_rule_stays_quiet_otherwise():
    assert pain_not_easing(_fortnight([6, 6, 5, 6], [4, 4, 5, 4]), [], TODAY) is None  # easing
    assert pain_not_easing(_fortnight([1, 0, 1, 0], [0, 1, 0, 0]), [], TODAY) is None  # nothing to ease
    irregular = _fortnight([5, 5, 5, 5], [5, 5], days=(0, 3))
    assert pain_not_easing(irregular, [], TODAY) is None  # two days a week is not regular practice
    one_week = _fortnight([5, 5, 5, 5], [])
    assert pain_not_easing(one_week, [], TODAY) is None  # not two weeks yet
    no_scores = _fortnight([None] * 4, [None] * 4)
    assert pain_not_easing(no_scores, [], TODAY) is None
    long_ago = _fortnight([5, 5, 5, 5], [5, 5, 5, 5], end=TODAY - timedelta(days=21))
    assert pain_not_easing(long_ago, [], TODAY) is None  # stopped practising: not "regular"
    assert (
        pain_not_easing(_fortnight([5, 5, 5, 5], [5, 5, 5, 5]), [], TODAY, PainRule(practice_days_per_week=5))
        is None
    )


def test_pain_rule_counts_journal_scores():
    sessions = _fortnight([None] * 4, [None] * 4)
    start = TODAY - timedelta(days=13)
    journal = [
        JournalEntry(str(i), datetime.combine(start + timedelta(days=d), time(20)), pain)
        for i, (d, pain) in enumerate([(1, 5), (3, 6), (8, 6), (10, 5)])
    ]
    assert pain_not_easing(sessions, journal, TODAY) is not None
    easing = [
        JournalEntry(j.uid, j.at, j.pain - 3 if j.at.date() > start + timedelta(days=6) else j.pain)
        for j in journal
    ]
    assert pain_not_easing(sessions, easing, TODAY) is None


def test_pain_rule_on_the_generated_weeks(data):
    generate_weeks(data, FIRST_MONDAY, weeks=4, pain="flat")
    with HistoryStore.open() as s:
        sessions, journal = s.sessions(), s.journal()
    end = FIRST_MONDAY + timedelta(days=4 * 7 - 1)
    assert pain_not_easing(sessions, journal, end) is not None
    generate_weeks(data / "other", FIRST_MONDAY, weeks=4, pain="easing")
    with HistoryStore.open(data / "other") as s:
        assert pain_not_easing(s.sessions(), s.journal(), end) is None


def _days(*gaps_and_minutes) -> list[SessionEntry]:
    day, out = date(2026, 11, 2), []
    for gap, minutes in gaps_and_minutes:
        day += timedelta(days=gap)
        out.append(_session(day, minutes=minutes))
    return out


def test_overdoing_rule_fires_after_missed_days_and_a_long_session():
    usual = [(1, 10), (1, 12), (2, 10), (1, 11)]
    line = overdoing_after_a_break(_days(*usual, (5, 25)))
    assert line is not None and "After 4 days off" in line and "2.4 times" in line and "gradually" in line
    # two sessions on the day back count together
    back = _days(*usual, (5, 12))
    back.append(_session(back[-1].started_at.date(), minutes=12, hour=18))
    assert overdoing_after_a_break(back) is not None


def test_overdoing_rule_stays_quiet_otherwise():
    usual = [(1, 10), (1, 12), (2, 10), (1, 11)]
    assert overdoing_after_a_break(_days(*usual, (2, 30))) is None  # one missed day only
    assert overdoing_after_a_break(_days(*usual, (6, 12))) is None  # back after a break, usual length
    assert overdoing_after_a_break(_days((1, 10), (1, 10), (6, 40))) is None  # too little history
    assert overdoing_after_a_break(_days(*usual, (5, 25)), LoadRule(factor=3.0)) is None
    assert overdoing_after_a_break([]) is None


def test_csv_rows_put_journal_pain_in_its_own_column():
    s = _session(date(2026, 11, 2), pain=4)
    j = JournalEntry("j", datetime(2026, 11, 1, 20), 3, "rest", "same", None)
    journal_row, session_row = csv_rows([s], [j])
    assert (
        journal_row["kind"] == "journal"
        and journal_row["journal_pain"] == 3
        and journal_row["pain_before"] == ""
    )
    assert session_row["pain_before"] == 4 and session_row["exercise"] == "hip-hinge"


def test_save_analysis_rolls_back_a_failed_write(data, monkeypatch):
    from vision.errors import OutputError

    def broken(*args, **kwargs):
        raise OutputError("Cannot write session.json: No space left on device.")

    # the last file of the set fails: the report files staged before it must go too
    monkeypatch.setattr("feedback.history.files.stage_session_meta", broken)
    with HistoryStore.open() as s, pytest.raises(OutputError):
        save_analysis(s, make_report("plank", hold_s=20.0))
    assert list((data / "sessions").iterdir()) == []


# -- live through the CLI: the journal options and the history seam ---------------------------------
class _Camera:
    """A live source of `n` grey frames at 30 fps (the fake backends script the poses)."""

    def __init__(self, n: int) -> None:
        from tests.feedback_fakes import FakeInfo

        self.n, self.info, self.dropped, self.delivered = n, FakeInfo(live=True), 0, 0

    def clock_ms(self) -> float:
        return self.delivered * 1000.0 / 30.0

    def close(self) -> None:
        pass

    def __iter__(self):
        import numpy as np

        from vision.sources import Frame

        for i in range(self.n):
            self.delivered += 1
            yield Frame(np.full((480, 640, 3), 96, np.uint8), i * 1000.0 / 30.0, i, i)


def test_live_records_the_session_with_its_answers_and_the_advice(data, capsys, monkeypatch):
    from dataclasses import replace

    import feedback.live
    from feedback.voice import FakeEngine
    from tests.feedback_fakes import fake_backends, hinge_schedule

    real_run_live = feedback.live.run_live

    def run_live(options, say=print):  # the real loop, with scripted poses and no window
        return real_run_live(
            replace(options, show_window=False),
            backends=fake_backends(hinge_schedule(3)),
            speech=FakeEngine(),
            source_factory=lambda: _Camera(9 * 30),
            say=say,
            estimator_warmup=False,
        )

    monkeypatch.setattr(feedback.live, "run_live", run_live)
    # Four short days in a row weeks ago; today's 9 s session is three times as long.
    for day in (2, 3, 4, 5):
        write_session(
            data / "sessions", datetime(2026, 11, day, 9), [make_report("hip-hinge", 8, 6, duration_s=3.0)]
        )
    args = [
        "live",
        "-e",
        "hip-hinge",
        "--no-voice",
        "--pain-before",
        "4",
        "--pain-after",
        "2",
        "--note",
        "ok",
    ]
    code, out, err = run_main(args, capsys)
    assert code == 0, err
    with HistoryStore.open() as s:
        entry = s.sessions()[-1]
    assert entry.kind == "live" and entry.results[0].reps == 3
    assert (entry.comfort.pain_before, entry.comfort.pain_after, entry.comfort.note) == (4, 2, "ok")
    assert f"history: session {entry.uid} recorded (pain 4 → 2)" in out
    assert "Note: After" in out and "days off" in out  # 9 s against a usual 3 s
    assert (data / "sessions" / entry.uid / "session.json").is_file()


def test_pain_keys_map_to_scores_or_a_skip():
    from feedback.history.pain_window import answer_for_key

    assert [answer_for_key(ord(str(n))) for n in range(10)] == [(True, n) for n in range(10)]
    assert answer_for_key(ord("t")) == answer_for_key(ord("T")) == (True, 10)
    for skip in (13, 10, 27, ord(" "), ord("q")):
        assert answer_for_key(skip) == (True, None)
    for nothing in (-1, ord("a"), ord("r")):
        assert answer_for_key(nothing) == (False, None)
    assert answer_for_key(0x100000 | ord("7")) == (True, 7)  # modifier bits above the key code


def test_pain_is_answered_with_one_key_in_a_window(x_display):
    """Real key presses (XTEST) into the question window under Xvfb."""
    import cv2

    from feedback.history.pain_window import SIZE, ask_pain
    from feedback.window import LiveWindow
    from tests.test_window import _XTest

    keys = _XTest(x_display)
    try:
        for typed, expected in (("7", 7), ("t", 10), ("Return", None)):
            window = LiveWindow(f"backform-test-pain-{typed}")
            pressed: list[str] = []

            def read_key(ms: int, window=window, typed=typed, pressed=pressed) -> int:
                if len(pressed) < 2 and tuple(window.image_rect()[2:]) == SIZE:
                    x, y, w, h = window.image_rect()
                    keys.point_at(x + w // 2, y + h // 2)
                    name = "a" if not pressed else typed  # an unrelated key first: ignored
                    keys.press(name)
                    pressed.append(name)
                return cv2.waitKey(ms)

            # Bounded by polls (400 x 50 ms at most), not by how fast the machine is.
            assert ask_pain("How is your pain?", window, read_key, poll_ms=50, max_polls=400) == expected
            assert pressed == ["a", typed]
    finally:
        keys.close()


def test_the_questions_are_asked_only_at_a_terminal_and_only_for_what_was_not_given(
    data, monkeypatch, capsys
):
    from rich.console import Console

    from feedback.history import commands
    from feedback.history.paths import sessions_dir
    from feedback.live import save_session

    asked: list[str] = []

    def ask_pain(question: str) -> int:
        asked.append(question)
        return 3

    def ask_line(prompt: str) -> str:
        asked.append(prompt)
        return "  went   well "

    def session(comfort: Comfort) -> SessionEntry:
        folder, _ = save_session(make_report("hip-hinge", 4, 4), None, None, sessions_dir())
        with HistoryStore.open() as s:
            result = SimpleNamespace(folder=folder, report=None)
            commands.record_and_advise(s, result, comfort, Console(), ask_pain=ask_pain, ask_line=ask_line)
            return next(e for e in s.sessions() if e.uid == folder.name)

    monkeypatch.setattr(commands, "interactive", lambda: False)  # a script: nothing is asked
    assert commands.ask_before_session(Comfort(), ask_pain) == Comfort() and asked == []
    assert session(Comfort()).comfort == Comfort() and asked == []

    monkeypatch.setattr(commands, "interactive", lambda: True)
    assert commands.ask_before_session(Comfort(), ask_pain).pain_before == 3
    assert commands.ask_before_session(Comfort(pain_before=6), ask_pain).pain_before == 6
    assert len(asked) == 1
    asked.clear()
    got = session(Comfort(pain_before=5)).comfort
    assert (got.pain_before, got.pain_after, got.note) == (5, 3, "went well") and len(asked) == 2
    asked.clear()
    given = Comfort(pain_before=5, pain_after=2, note="ok")
    assert session(given).comfort == given and asked == []


@pytest.mark.parametrize("pain", ["flat", "easing"])
def test_history_says_when_to_see_a_clinician(data, capsys, pain):
    # Five weeks of practice up to this week: any 7 days hold 4 practice days of the pattern,
    # and the generated pain eases 0.9 a week, so the rule's answer does not depend on the
    # weekday the test runs (checked for every weekday).
    from feedback.history.plot import week_of

    generate_weeks(data, week_of(date.today()) - timedelta(weeks=4), weeks=5, pain=pain)
    code, out, err = run_main(["history"], capsys)
    assert code == 0, err
    said = [line for line in out.splitlines() if line.startswith("Note: ")]
    if pain == "flat":
        assert len(said) == 1 and "has not eased over two weeks of regular practice" in said[0]
    else:
        assert said == []


def test_live_at_a_terminal_asks_pain_in_windows_and_the_note_in_the_terminal(data, x_display, model_path):
    """`backform live` at a pseudo-terminal under Xvfb, a sample clip as the camera, MediaPipe:
    the pain windows before and after are answered with real keys, the note typed."""
    import pty
    import select
    import sys
    import time as clock

    from tests.cli_helpers import SAMPLES, backform_command, cli_env
    from tests.test_window import _XTest

    env = cli_env(DISPLAY=x_display, BACKFORM_DATA_DIR=str(data))
    cmd = backform_command("live", "-e", "hip-hinge", "--camera", SAMPLES / "hinge_good.mp4", "--no-voice")
    pid, fd = pty.fork()
    if pid == 0:  # the child: backform with the pty as its terminal
        os.execvpe(sys.executable, cmd, env)
    keys = _XTest(x_display)
    out = b""
    try:
        # Without a window manager the window under the pointer has the keys; windows open at 0,0.
        keys.point_at(60, 60)
        for _ in range(3000):  # bounded by count; each round waits at most 0.1 s for output
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
                if b"A note about the session" in chunk:
                    os.write(fd, b"  felt   fine \n")
            if b"A note about the session" not in out:
                # "4" answers the question before the session (the live window ignores the
                # ones that follow); once the summary is out, "t" (10) answers the one after.
                keys.press("t" if b"report:" in out else "4")
                clock.sleep(0.2)
    finally:
        keys.close()
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    text = out.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, text[-2000:]
    with HistoryStore.open() as s:
        [entry] = s.sessions()
    assert (entry.comfort.pain_before, entry.comfort.pain_after, entry.comfort.note) == (4, 10, "felt fine")
    assert f"history: session {entry.uid} recorded (pain 4 → 10)" in text

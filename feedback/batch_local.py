"""A batch on this machine: one process per core, each analysing one video at a time.

MediaPipe runs a model on one core, and the rest of the pipeline (decoding, judging, drawing,
H.264) is Python and C that holds the GIL in places, so separate processes with one estimator
each keep every core busy where threads in one process could not.

Each slot is a one-process executor, so when a process dies (a crash inside a native library
on a malformed file) the video it was on is known exactly: it is tried once more in a fresh
process and then becomes a failed row; the other videos carry on.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from feedback.batch import BatchJob, BatchRow, JobCancelled, failed_row, run_job_in_place
from feedback.stopping import held, signum_of

FRAMES_PER_UPDATE = 10  # progress messages per video: a few dozen a second at most
CRASHES_ALLOWED = 1  # a video whose process dies twice is failed
# After a stop signal the running videos stop at their next frame and their processes exit;
# any still there after this long are killed, so a stopped batch always ends. A worker that
# hangs (or Python 3.11's ProcessPoolExecutor, which has known shutdown deadlocks, e.g.
# CPython gh-94440 and gh-116685) once kept a stopped batch waiting for good on a loaded CI run.
STOP_GRACE_S = 60.0

# Set in each worker process by `_init_worker`.
_events: Any = None
_cancel: Any = None
_idle_core: Any = None  # set by the batch once no video is left to start and a core idles


def _init_worker(events: Any, cancel: Any, idle_core: Any) -> None:
    # Ctrl+C reaches the whole process group: the parent decides, workers stop via `cancel`.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _events, _cancel, _idle_core
    _events, _cancel, _idle_core = events, cancel, idle_core
    import cv2

    # One process per core already: OpenCV's own threads would only contend.
    cv2.setNumThreads(1)
    from vision.estimator import keep_people_counters

    # Video after video in this process: the people-count model is loaded once, not per video.
    keep_people_counters()


def _worker_job(job: BatchJob) -> BatchRow:
    last = 0

    def on_frames(done: int) -> None:
        nonlocal last
        if _cancel.is_set():
            raise JobCancelled
        if done - last >= FRAMES_PER_UPDATE:
            _events.put((job.index, done))
            last = done

    try:
        # While every core has a video, each worker runs its video in series (it then keeps its
        # core busy; a pose thread beside it would only contend); once a core idles, the
        # videos still running estimate their poses ahead on a thread and use it too.
        return run_job_in_place(job, on_frames, work_ahead=_idle_core.is_set)
    except JobCancelled:
        return BatchRow(job.label, job.exercise, "not run", note="stopped before it finished")


def run_local(
    jobs: list[BatchJob],
    processes: int,
    on_frames: Callable[[int, int], None],
    on_row: Callable[[BatchJob, BatchRow], None],
    task: Callable[[BatchJob], BatchRow] | None = None,
) -> tuple[dict[int, BatchRow], int | None]:
    """Run `jobs` over `processes` worker processes: rows by job index, and the stop signal
    (Ctrl+C, SIGTERM, SIGHUP) that ended the batch early, if any (the rows then cover the
    videos finished so far).

    `on_frames(index, frames_done)` and `on_row(job, row)` report progress (called from a
    helper thread and the calling thread). `task` (a module-level function, run in the worker
    processes) defaults to analysing the video. Ctrl+C stops the running videos at their next frame
    (nothing of theirs is written); a second Ctrl+C kills the workers at once.
    """
    # spawn: the workers must not inherit this process's threads (or a loaded MediaPipe).
    ctx = mp.get_context("spawn")
    events = ctx.Queue()
    cancel = ctx.Event()
    idle_core = ctx.Event()
    reader = threading.Thread(target=_read_events, args=(events, on_frames), daemon=True)
    reader.start()
    slots: list[ProcessPoolExecutor | None] = [None] * max(1, min(processes, len(jobs)))
    running: dict[Future, tuple[int, BatchJob]] = {}
    pending = deque(jobs)
    crashes: Counter[int] = Counter()
    rows: dict[int, BatchRow] = {}
    stopped_by: int | None = None
    closing: list[threading.Thread] = []  # workers let go early, exiting (_release_idle)
    try:
        while pending or running:
            busy = {slot for slot, _ in running.values()}
            for slot in range(len(slots)):
                if pending and slot not in busy:
                    if slots[slot] is None:
                        slots[slot] = ProcessPoolExecutor(
                            1,
                            mp_context=ctx,
                            initializer=_init_worker,
                            initargs=(events, cancel, idle_core),
                        )
                    job = pending.popleft()
                    with held():  # a stop mid-submit would leave a job running that nobody waits for
                        running[slots[slot].submit(task or _worker_job, job)] = (slot, job)
            if not pending:  # nothing left to start: the cores without a video are idle
                _release_idle(slots, running, closing)
                if len(running) < processes:
                    idle_core.set()
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                slot, job = running.pop(future)
                row = _finished_row(future, slot, job, slots, crashes, pending)
                if row is not None:
                    rows[job.index] = row
                    on_row(job, row)
    except KeyboardInterrupt as stop:  # feedback.stopping turns SIGTERM/SIGHUP into one too
        stopped_by = signum_of(stop)
        workers = _processes(slots)
        _stop_running(running, rows, cancel, slots)
        _close_within(slots, workers, STOP_GRACE_S)
    finally:
        if stopped_by is None:  # a stop has closed them already, within its grace
            _shut_down(slots)
        for closer in closing:  # long done by now, as a rule: they had the last videos' time
            closer.join(STOP_GRACE_S)
        events.put(None)
        reader.join(timeout=10)
    return rows, stopped_by


def _stop_running(
    running: dict[Future, tuple[int, BatchJob]],
    rows: dict[int, BatchRow],
    cancel: Any,
    slots: list[ProcessPoolExecutor | None],
) -> None:
    """Ask the running videos to stop at their next frame and collect their rows; a second
    Ctrl+C meanwhile kills the workers at once."""
    cancel.set()
    deadline = time.monotonic() + STOP_GRACE_S
    try:
        for future, (_, job) in list(running.items()):
            with contextlib.suppress(BrokenProcessPool, FutureTimeout):
                rows[job.index] = future.result(timeout=max(0.0, deadline - time.monotonic()))
    except KeyboardInterrupt:
        _kill(slots)


def _close_within(slots: list[ProcessPoolExecutor | None], workers: list[Any], grace_s: float) -> None:
    """Shut the executors down, killing their `workers` if that takes longer than `grace_s`."""
    closer = threading.Thread(target=_shut_down, args=(slots,), daemon=True)
    closer.start()
    with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl+C: kill them now
        closer.join(grace_s)
    if closer.is_alive():
        for process in workers:
            process.kill()
        closer.join(grace_s)


def _release_idle(
    slots: list[ProcessPoolExecutor | None],
    running: dict[Future, tuple[int, BatchJob]],
    closing: list[threading.Thread],
) -> None:
    """Let the workers with nothing left to do exit now, while the last videos still run (a
    worker takes ~0.1 s to exit with MediaPipe loaded, which the batch's end used to wait for,
    one worker after the other); `closing` gets the threads waiting for them. A video that
    crashes its worker later gets a fresh one."""
    busy = {slot for slot, _ in running.values()}
    for slot, executor in enumerate(slots):
        if executor is not None and slot not in busy:
            closer = threading.Thread(target=executor.shutdown, name="batch-close", daemon=True)
            closer.start()
            closing.append(closer)
            slots[slot] = None


def _shut_down(slots: list[ProcessPoolExecutor | None]) -> None:
    """Shut every executor down and wait for all of them, side by side (one by one, each
    waited for its worker to exit before the next was even told to)."""
    live = [executor for executor in slots if executor is not None]
    if len(live) <= 1:
        for executor in live:
            executor.shutdown(wait=True, cancel_futures=True)
        return
    with ThreadPoolExecutor(len(live), thread_name_prefix="batch-close") as closers:
        list(closers.map(lambda executor: executor.shutdown(wait=True, cancel_futures=True), live))


def _processes(slots: list[ProcessPoolExecutor | None]) -> list[Any]:
    # The executor has no public way to stop a running call; its processes are its own.
    return [p for e in slots if e is not None for p in (getattr(e, "_processes", None) or {}).values()]


def _finished_row(
    future: Future,
    slot: int,
    job: BatchJob,
    slots: list[ProcessPoolExecutor | None],
    crashes: Counter[int],
    pending: deque[BatchJob],
) -> BatchRow | None:
    """The row of a finished job; None when its process crashed and the job goes round again
    (on a fresh process in its slot), until it has crashed CRASHES_ALLOWED + 1 times."""
    try:
        return future.result()
    except BrokenProcessPool:
        slots[slot].shutdown(wait=False)
        slots[slot] = None
        crashes[job.index] += 1
        if crashes[job.index] <= CRASHES_ALLOWED:
            pending.appendleft(job)
            return None
        return failed_row(job, "the analysis process crashed on this video (twice)")
    except Exception as err:  # e.g. the job could not be sent to the process
        return failed_row(job, f"unexpected {type(err).__name__}: {err}")


def _read_events(events: Any, on_frames: Callable[[int, int], None]) -> None:
    while (item := events.get()) is not None:
        on_frames(*item)


def _kill(slots: list[ProcessPoolExecutor | None]) -> None:
    for process in _processes(slots):
        process.kill()

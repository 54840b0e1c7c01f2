"""A batch on a Dask distributed cluster: `backform analyze ... --cluster tcp://scheduler:8786`.

Each video is one Dask task. The worker reads the video from the path the client gave (a
folder every machine mounts at the same path), resolves the pose model itself (`--model` as
given, else its own BACKFORM_MODEL or user cache), analyses into a private temporary folder
and returns the files' bytes; the client writes them into its output folder under temporary
names and renames them as a set, exactly as a local batch does. Dask's scheduler re-runs the
task of a worker that dies, and any result the client has not fetched yet, so a lost worker
loses no video.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from distributed import Client, as_completed, get_worker
from distributed.comm import CommClosedError
from distributed.scheduler import KilledWorker

from feedback.atomic import discard, temp_path_beside
from feedback.batch import BatchJob, BatchRow, analyze_job, commit_set, failed_row
from feedback.stopping import signum_of
from vision.errors import BackformError, OutputError

FRAMES_PER_EVENT = 30  # progress events per video: about one a second per worker
CONNECT_TIMEOUT = "10s"  # a scheduler answers in well under a second; a typo should not hang


@dataclass
class RemoteOutcome:
    row: BatchRow
    files: dict[str, bytes]  # output kind -> content, for a row that is "done"


def analyze_remote(job: BatchJob, topic: str) -> RemoteOutcome:
    """The task run on a worker: one video, its outputs returned as bytes."""
    try:
        worker = get_worker()
    except ValueError:  # called outside a worker (tests): no progress events
        worker = None
    sent = 0

    def on_frames(done: int) -> None:
        nonlocal sent
        if worker is not None and done - sent >= FRAMES_PER_EVENT:
            worker.log_event(topic, (job.index, done))
            sent = done

    if worker is not None:  # a worker runs video after video: one people-count model for all
        from vision.estimator import keep_people_counters

        keep_people_counters()
    with tempfile.TemporaryDirectory(prefix="backform-job-") as folder:
        row, written = analyze_job(job, Path(folder), on_frames)
        files = {kind: path.read_bytes() for kind, path in written.items()} if row.status == "done" else {}
    return RemoteOutcome(row, files)


def commit_remote(job: BatchJob, outcome: RemoteOutcome) -> BatchRow:
    """Write a worker's outputs into the client's output folder as one set."""
    if outcome.row.status != "done":
        return outcome.row
    final = job.outputs.paths()
    missing = set(final) - set(outcome.files)
    if missing:
        return failed_row(job, f"the worker returned no {', '.join(sorted(missing))}")
    staged: dict[str, Path] = {}
    try:
        for kind, path in final.items():
            staged[kind] = temp_path_beside(path)
            staged[kind].write_bytes(outcome.files[kind])
        commit_set(staged, final)
    except OSError as err:
        for path in staged.values():
            discard(path)
        return failed_row(
            job, f"Cannot write the outputs in {job.outputs.report.parent}: {err.strerror or err}."
        )
    except OutputError as err:
        return failed_row(job, str(err))
    return outcome.row


def connect(address: str) -> Client:
    try:
        return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise BackformError(f"Cannot reach the Dask scheduler at {address}: {err}") from None


def run_on_cluster(
    client: Client,
    jobs: list[BatchJob],
    on_frames: Callable[[int, int], None],
    on_row: Callable[[BatchJob, BatchRow], None],
) -> tuple[dict[int, BatchRow], int | None]:
    """Run `jobs` on the cluster; rows by job index and the stop signal that ended it early."""
    batch = uuid.uuid4().hex[:12]
    topic = f"backform-progress-{batch}"
    rows: dict[int, BatchRow] = {}
    stopped_by: int | None = None
    try:
        client.subscribe_topic(topic, lambda event: on_frames(*event[1]))
        # pure=False and a key per batch: a re-run is new work, never a cached result.
        futures = {
            client.submit(analyze_remote, job, topic, key=f"backform-{batch}-{job.index}", pure=False): job
            for job in jobs
        }
        try:
            for future in as_completed(futures, loop=client.loop):
                job = futures[future]
                try:
                    row = commit_remote(job, future.result())
                except KilledWorker:
                    row = failed_row(job, "every Dask worker that ran it died (KilledWorker)")
                except Exception as err:
                    row = failed_row(job, f"the cluster failed it: {type(err).__name__}: {err}")
                future.release()
                rows[job.index] = row
                on_row(job, row)
        except KeyboardInterrupt as stop:  # Ctrl+C, or SIGTERM/SIGHUP via feedback.stopping
            stopped_by = signum_of(stop)
            client.cancel(list(futures))
        except (OSError, CommClosedError) as err:
            raise BackformError(
                f"Lost the Dask scheduler during the batch ({err}); finished videos are in the output folder."
            ) from None
    finally:
        client.unsubscribe_topic(topic)
    return rows, stopped_by

"""Live loop figures on a clip played as a 30 fps camera (prints figures; asserts nothing).

    BACKFORM_MODEL=... PYTHONPATH=. python -m bench.bench_live samples/hinge_good.mp4 -e hip-hinge

Measures, per judged frame, the latency from capture (the moment ClipAsCamera publishes
the frame, as a camera driver would) to the overlay being drawn, plus the fraction of
camera frames the loop had to skip and where the time goes. The window is real: on a
machine without a display a private Xvfb is started for the run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from feedback.live import LiveOptions, run_live
from feedback.voice import FakeEngine


def start_xvfb() -> subprocess.Popen | None:
    if os.environ.get("DISPLAY"):
        return None
    exe = shutil.which("Xvfb")
    if exe is None:
        raise SystemExit("no DISPLAY and no Xvfb: apt-get install xvfb, or pass --no-window")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [exe, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        os.environ["DISPLAY"] = ":" + pipe.readline().strip()
    return proc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", type=Path)
    parser.add_argument("-e", "--exercise", required=True)
    parser.add_argument("--no-window", action="store_true", help="skip the window (loop cost only)")
    parser.add_argument("--record", action="store_true", help="also encode the session video")
    parser.add_argument("--debug", action="store_true", help="draw the fps/latency corner")
    args = parser.parse_args()

    xvfb = None if args.no_window else start_xvfb()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            options = LiveOptions(
                args.exercise,
                clip=args.clip,
                show_window=not args.no_window,
                sessions_dir=Path(tmp) / "sessions",
                record=Path(tmp) / "session.mp4" if args.record else None,
                debug=args.debug,
            )
            result = run_live(options, speech=FakeEngine(), say=lambda line: None)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait()

    s, p = result.stats, result.pipeline
    n = max(p.frames, 1)
    print(f"clip: {args.clip}  window: {not args.no_window}  record: {args.record}")
    print(f"frames judged: {p.frames}  skipped by the camera stand-in: {s.dropped}")
    print(f"dropped fraction: {s.dropped_fraction:.3f}   loop rate: {s.fps:.1f} fps")
    print(
        f"latency capture->overlay: p50 {s.latency_percentile(50):.1f} ms  "
        f"p95 {s.latency_percentile(95):.1f} ms  max {max(s.latencies_ms):.1f} ms"
    )
    t = p.times
    print(
        f"per frame: estimate {1000 * t.estimate_s / n:.1f} ms  check {1000 * t.check_s / n:.1f} ms  "
        + "  ".join(f"{name} {1000 * v / n:.1f} ms" for name, v in t.sinks_s.items())
    )
    if result.report is not None:
        r = result.report
        print(f"reps {r.rep_count}  hold {r.hold_s:.1f} s  faults {sorted(r.fault_time_s)}")


if __name__ == "__main__":
    main()

"""Render the sample clips and their labels.

PYOPENGL_PLATFORM=osmesa python -m samples.generate --all
python -m samples.generate hinge_good plank_sag --out /tmp/clips --png-every 30
python -m samples.generate --stress 66 --seed 12   # random scenarios into samples/stress/
python -m samples.generate --other 18 --seed 5     # "other" footage into samples/other/
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from samples.synth.scenario import SCENARIOS_FILE, load_scenarios
from vision.errors import BackformError

SAMPLES_DIR = Path(__file__).resolve().parent
STRESS_DIR = SAMPLES_DIR / "stress"
OTHER_DIR = SAMPLES_DIR / "other"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m samples.generate", description=__doc__.splitlines()[1])
    parser.add_argument("names", nargs="*", help="clip names from the scenarios file")
    parser.add_argument("--all", action="store_true", help="render every clip")
    parser.add_argument("--list", action="store_true", help="list the clips and exit")
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default: samples/, or samples/stress/)"
    )
    parser.add_argument("--stress", type=int, default=0, metavar="N", help="render N random scenarios")
    parser.add_argument(
        "--other",
        type=int,
        default=0,
        metavar="N",
        help="render N clips of 'other' footage (standing, lying, squats, push-ups...)",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="seed of the random scenarios (--stress, --other)"
    )
    parser.add_argument("--fps", type=float, default=15.0, help="frame rate of the random scenarios")
    parser.add_argument(
        "--only",
        type=int,
        nargs="*",
        default=None,
        metavar="I",
        help="with --stress: render only clips I ...",
    )
    parser.add_argument("--scenarios", type=Path, default=SCENARIOS_FILE)
    parser.add_argument(
        "--supersample",
        type=int,
        default=None,
        help="render at N x size, then downscale (default 2, stress 1)",
    )
    parser.add_argument("--crf", type=int, default=28, help="x264 quality (lower = better, bigger)")
    parser.add_argument("--png-every", type=int, default=0, help="also save every Nth frame as PNG")
    parser.add_argument("--dry-run", action="store_true", help="print the expected labels, render nothing")
    parser.add_argument("--png-dir", type=Path, default=None, help="folder for PNGs (default: --out)")
    args = parser.parse_args(argv)
    if args.other:
        return _render_other(args)
    if args.stress < 0 or (args.stress and args.seed is None) or (args.seed is not None and not args.stress):
        parser.error("--stress N (N >= 1) and --seed S go together")
    if args.stress and (args.names or args.all):
        parser.error("--stress renders random scenarios: do not name clips or pass --all with it")
    if args.fps <= 0 or args.fps > 60:
        parser.error("--fps must be in (0, 60]")
    if args.only is not None and (not args.stress or any(not 0 <= i < args.stress for i in args.only)):
        parser.error(f"--only takes clip numbers from 0 to {max(args.stress - 1, 0)} with --stress")
    args.out = args.out or (STRESS_DIR if args.stress else SAMPLES_DIR)
    # The stress clips are degraded on purpose (noise, blur, JPEG): supersampling buys nothing there.
    args.supersample = args.supersample or (1 if args.stress else 2)
    try:
        if args.stress:
            from samples.synth.stress import stress_scenarios

            scenarios = {s.name: s for s in stress_scenarios(args.stress, args.seed, fps=args.fps)}
            if args.only is not None:
                scenarios = {n: s for k, (n, s) in enumerate(scenarios.items()) if k in set(args.only)}
            args.all = True
        else:
            scenarios = load_scenarios(args.scenarios)
        if args.list:
            for s in scenarios.values():
                print(f"{s.name:30s} {s.exercise:10s} {s.description}")
            return 0
        names = list(scenarios) if args.all else args.names
        unknown = [n for n in names if n not in scenarios]
        if unknown or not names:
            parser.error(f"unknown clip(s): {', '.join(unknown)}" if unknown else "name clips or pass --all")
        if args.dry_run:
            from samples.synth.clip import measure_clip

            for name in names:
                doc = measure_clip(scenarios[name])
                print(name, json.dumps(doc["expected"]), json.dumps(doc["reps"]))
            return 0
        from samples.synth.clip import render_clip

        for name in names:
            render_clip(
                scenarios[name],
                args.out,
                supersample=args.supersample,
                crf=args.crf,
                preview_every=args.png_every,
                preview_dir=args.png_dir or args.out,
            )
    except BackformError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    return 0


def _render_other(args: argparse.Namespace) -> int:
    """`--other N --seed S`: footage that is none of the three exercises, for the recogniser."""
    from samples.synth.other import other_clips, render_other

    if args.other < 0 or args.seed is None or args.stress or args.names or args.all:
        print("error: --other N needs --seed S and no clip names, --all or --stress", file=sys.stderr)
        return 2
    scenarios = load_scenarios(args.scenarios)
    subjects = list({s.subject.name: s.subject for s in scenarios.values()}.values())
    clips = other_clips(args.other, args.seed, subjects, fps=args.fps)
    if args.list:
        for c in clips:
            print(f"{c.name:30s} {c.activity:10s} {c.duration_s:.1f} s")
        return 0
    if args.only is not None:
        clips = [c for i, c in enumerate(clips) if i in set(args.only)]
    for clip in clips:
        render_other(clip, args.out or OTHER_DIR, supersample=args.supersample or 1, crf=args.crf)
    return 0


if __name__ == "__main__":
    sys.exit(main())

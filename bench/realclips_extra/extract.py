"""Copy the extra real development clips out of local repository snapshots.

usage: python bench/realclips_extra/extract.py SNAPSHOTS OUTDIR

SNAPSHOTS holds one folder per repository named `owner+name`, each with a git directory
somewhere below it (what the search library's `fetch` brings). Every clip in PROVENANCE.tsv
beside this file is read by its blob hash, so the exact bytes that labels.json describes come
back. Clips already in OUTDIR are kept. The clips are third-party: OUTDIR stays out of git.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent


@cache
def git_dirs(root: Path) -> list[Path]:
    """The git directories under a snapshot (walked once per repository, not once per clip)."""
    if not root.is_dir():
        return []
    return [p for p in root.rglob("*") if p.is_dir() and (p / "objects").is_dir() and (p / "HEAD").exists()]


def read_blob(root: Path, blob: str) -> bytes | None:
    for git_dir in git_dirs(root):
        cmd = ["git", "--git-dir", str(git_dir), "cat-file", "blob", blob]
        done = subprocess.run(cmd, capture_output=True)
        if done.returncode == 0:
            return done.stdout
    return None


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    snapshots, out = Path(argv[0]), Path(argv[1])
    if not snapshots.is_dir():
        print(f"no snapshots folder at {snapshots}", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    got, missing = 0, []
    with open(HERE / "PROVENANCE.tsv", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            dst = out / row["file"]
            if not dst.exists():
                data = read_blob(snapshots / row["repo"].replace("/", "+"), row["blob_sha1"])
                if data is None:
                    missing.append(f"{row['file']} (from {row['repo']})")
                    continue
                tmp = dst.with_name(f".{dst.name}.part")
                tmp.write_bytes(data)
                tmp.replace(dst)
            got += 1
    print(f"{got} clips in {out}")
    for m in missing:
        print(f"missing: {m}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

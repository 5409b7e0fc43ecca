"""Time the grading command on a class of identical reference submissions.

    python scripts/benchmark_grading.py [ASSIGNMENT] [--learners N]

Prints the wall time of one grading call, and seconds per learner and per notebook
(the budget is 30 s per notebook on 2 cores). Not a test: timings vary with the machine.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder import ROOT
from autograder.nbtools import filled, solution_sources


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", nargs="?", default="ex1_lm_dataset")
    parser.add_argument("--learners", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=None, help="learners graded at once (default: one per core)")
    parser.add_argument("--unsafe", action="store_true", help="without the sandbox, to measure what it costs")
    args = parser.parse_args()
    sources = sorted((ROOT / "solutions" / args.assignment).glob("*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        submitted = Path(tmp) / "submitted"
        for i in range(args.learners):
            for source in sources:
                nb = filled(ROOT / "notebooks" / args.assignment / source.name, solution_sources(source))
                target = submitted / f"learner{i:03d}" / args.assignment / source.name
                target.parent.mkdir(parents=True)
                nbformat.write(nb, target)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "autograder.grade", args.assignment, "--submitted",
                        str(submitted), "--out", str(Path(tmp) / "out"),
                        *(["--jobs", str(args.jobs)] if args.jobs else []), *(["--unsafe"] if args.unsafe else [])],
                       check=True,
                       stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
    notebooks = args.learners * len(sources)
    mode = "without the sandbox" if args.unsafe else "in the sandbox"
    print(f"{args.assignment}: {args.learners} learner(s), {notebooks} notebook(s), {os.cpu_count()} CPU(s), "
          f"jobs {args.jobs or os.cpu_count()}, {mode}")
    print(f"  one grading call: {seconds:.1f} s")
    print(f"  per learner:      {seconds / args.learners:.1f} s")
    print(f"  per notebook:     {seconds / notebooks:.1f} s  (budget: 30 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

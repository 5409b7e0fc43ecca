"""Grade a synthetic class across every assignment, as `make regrade` would, and time it.

    python scripts/benchmark_class.py [--learners 30] [--jobs N]

The class: mostly correct learners, some partly wrong (plausible wrong answers from
tests/<prefix>_variants.py), some blank, and a few hostile (an output flood, a network
request, an infinite loop stopped at the cell time limit). Prints learners per minute and
seconds per notebook; the target is 30 learners, every assignment, in at most 30 minutes on
2 cores. Not a test: timings vary with the machine.
"""
import argparse
import csv
import importlib
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the wrong answers and hostile cells the tests use

from autograder.nbtools import filled, grade_id, solution_sources  # noqa: E402
from hostile_submissions import HOSTILE  # noqa: E402

HOSTILE_KINDS = ["output_flood", "network_request", "infinite_loop"]


def variants(assignment: str) -> list[dict]:
    try:
        module = importlib.import_module(f"{assignment.split('_')[0]}_variants")
    except ModuleNotFoundError:
        return []
    return [v["replace"] for v in module.VARIANTS.values()]


def notebook_for(kind: str, index: int, release: Path, reference: dict, wrong: list[dict]):
    if kind == "blank":
        return nbformat.read(release, as_version=4)
    if kind == "wrong" and wrong:
        return filled(release, {**reference, **wrong[index % len(wrong)]})
    nb = filled(release, reference)
    if kind == "hostile":
        code = HOSTILE[HOSTILE_KINDS[index % len(HOSTILE_KINDS)]]["code"]
        first = next(i for i, c in enumerate(nb.cells) if (grade_id(c) or "").startswith("answer_"))
        nb.cells.insert(first + 1, nbformat.v4.new_code_cell(code))
    return nb


def kinds(learners: int) -> list[str]:
    """About 2/3 correct, 1/6 partly wrong, 1/10 blank, the rest (at least one) hostile."""
    hostile, blank, wrong = max(1, learners // 10), max(1, learners // 10), max(1, learners // 6)
    return ["hostile"] * hostile + ["blank"] * blank + ["wrong"] * wrong + ["correct"] * (learners - hostile - blank - wrong)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None, help="keep the reports here (default: thrown away)")
    args = parser.parse_args()
    assignments = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
    class_kinds = kinds(args.learners)
    notebooks = 0
    with tempfile.TemporaryDirectory() as tmp:
        submitted = Path(tmp) / "submitted"
        for assignment in assignments:
            wrong = variants(assignment)
            for source in sorted((ROOT / "solutions" / assignment).glob("*.ipynb")):
                release = ROOT / "notebooks" / assignment / source.name
                reference = solution_sources(source)
                for i, kind in enumerate(class_kinds):
                    target = submitted / f"{kind}{i:03d}" / assignment / source.name
                    target.parent.mkdir(parents=True)
                    nbformat.write(notebook_for(kind, i, release, reference, wrong), target)
                    notebooks += 1
        started = time.perf_counter()
        reports = args.out or Path(tmp) / "reports"
        subprocess.run([sys.executable, "-m", "autograder.grade", "--all", "--submitted", str(submitted),
                        "--out", str(reports), *(["--jobs", str(args.jobs)] if args.jobs else [])],
                       check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
        flags = flags_by_kind(reports)
    counts = {k: class_kinds.count(k) for k in dict.fromkeys(class_kinds)}
    print(f"{args.learners} learners {counts}, {len(assignments)} assignments, {notebooks} notebooks, "
          f"{os.cpu_count()} CPU(s), jobs {args.jobs or os.cpu_count()}")
    print(f"  wall time:          {seconds / 60:.1f} min  (target: 30 min for 30 learners on 2 cores)")
    print(f"  learners per minute: {args.learners / (seconds / 60):.2f}")
    print(f"  seconds per notebook: {seconds / notebooks:.1f}")
    print("  flags by kind of learner (correct and partly wrong learners should have none):")
    for kind in dict.fromkeys(class_kinds):
        print(f"    {kind:8} {dict(sorted(flags[kind].items())) or 'none'}")
    return 0


def flags_by_kind(reports: Path) -> dict[str, Counter]:
    """kind of learner -> how many of their notebooks carried each flag."""
    found: dict[str, Counter] = defaultdict(Counter)
    for path in reports.glob("*/learners.csv"):
        with path.open() as f:
            for row in csv.DictReader(f):
                kind = row["student_id"].rstrip("0123456789")
                found[kind].update(flag for flag in row["flags"].split(";") if flag)
    return found


if __name__ == "__main__":
    sys.exit(main())

"""Grade every learner's submission of one assignment with nbgrader.

    python -m autograder.grade ASSIGNMENT [--submitted DIR] [--out DIR]
    make grade ASSIGNMENT=ex1_lm_dataset

`--submitted` (default autograder/submitted) holds <student_id>/<assignment>/<notebook>.ipynb.
    python -m autograder.grade --all        (make regrade: every assignment with submissions)

Writes into `--out` (default autograder/reports/<assignment>, created when missing):
  grades.csv      one row per graded cell per learner
  learners.csv    one row per learner, with flags naming what went wrong
  feedback/<student_id>/<assignment>.md   what passed, and the rule each failed test names
  autograded/     nbgrader's executed copies (hidden tests included: for instructors only)
  gradebook.db    this run's nbgrader gradebook
  summary.md, summary.csv, cell_pass_rates.csv, scores_<assignment>.png   the class at a glance

Learners' kernels run in the grading sandbox (autograder/sandbox.py; `--unsafe` to do without,
recorded in learners.csv), one shard of learners per CPU core at a time (autograder/parallel.py),
in a private working folder: a broken or hostile submission scores what it earned with a flag and
never stops the others, and no earlier gradebook is touched.
Exits 0 when every learner found was graded, whatever the scores.
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from . import ROOT
from .feedback import CellResult, render, write_feedback
from .flags import GRADE_COLUMNS, LEARNER_COLUMNS, needs_review, sentence
from .judge import judge
from .messages import NotebookTexts
from .parallel import autograde_in_shards, run_nbgrader
from .proof import RunProofs
from .release import RELEASE, SOURCE
from .reports import write_reports
from .sandbox import Limits, nbgrader_options, why_unavailable, write_kernel_spec
from .submissions import Problem, expected_notebooks, inspect
from .tamper import inspect_and_repair


def graded_cells(notebook: Path) -> list[tuple[str, float]]:
    """(grade_id, points) of every autograded test cell of a source notebook, in order."""
    nb = nbformat.read(notebook, as_version=4)
    cells = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and cell.cell_type == "code":
            cells.append((meta["grade_id"], float(meta.get("points", 0))))
    return cells


def read_scores(work: Path, assignment: str) -> dict[tuple[str, str], dict[str, float]]:
    """(student, notebook) -> {grade_id: score} from the run's gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(f"sqlite:///{work / 'gradebook.db'}") as gb:
        for student in gb.students:
            try:
                submission = gb.find_submission(assignment, student.id)
            except MissingEntry:
                continue
            for nb in submission.notebooks:
                scores[(student.id, nb.name)] = {g.name: float(g.score) for g in nb.grades}
    return scores


def zero_unproved(work: Path, assignment: str, cells: list[tuple[str, str, str]]) -> None:
    """Score 0 (nbgrader's manual score, which overrides its own) for (student, notebook, grade_id)
    cells that nbgrader counted but that did not prove they ran as written."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{work / 'gradebook.db'}") as gb:
        for student, notebook, gid in cells:
            gb.find_grade(gid, notebook, assignment, student).manual_score = 0.0
        gb.db.commit()


def grade(assignment: str, submitted: Path, out: Path, *, unsafe: bool = False,
          limits: Limits | None = None, cell_timeout: int | None = None, jobs: int | None = None) -> int:
    source_dir = SOURCE / assignment
    notebooks = expected_notebooks(source_dir)
    if not notebooks:
        known = ", ".join(sorted(p.parent.name for p in SOURCE.glob("*/*.ipynb"))) or "none"
        print(f"error: no assignment {assignment!r} in solutions/ (known: {known})", file=sys.stderr)
        return 2
    if not unsafe and (reason := why_unavailable()):
        print(f"error: refusing to run learners' code without the grading sandbox: {reason}.\n"
              "Install it (Debian: apt-get install bubblewrap), or pass --unsafe to run their code "
              "with your own rights (recorded as 'unsafe' in learners.csv).", file=sys.stderr)
        return 3
    cells = {nb: graded_cells(source_dir / f"{nb}.ipynb") for nb in notebooks}
    submissions = inspect(submitted, assignment, notebooks)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        work = Path(tmp)
        proofs = RunProofs()  # fresh values for this run only (see autograder/proof.py)
        for name in notebooks:
            proofs.instrument(source_dir / f"{name}.ipynb", work / "source" / assignment / f"{name}.ipynb")
        released = {name: nbformat.read(RELEASE / assignment / f"{name}.ipynb", as_version=4) for name in notebooks}
        # What feedback may say, from the instrumented copies: this run's proof lines are withheld too.
        texts = {name: NotebookTexts.load(work / "source" / assignment / f"{name}.ipynb",
                                          RELEASE / assignment / f"{name}.ipynb") for name in notebooks}
        withheld = set().union(*(t.withheld_lines for t in texts.values()))
        found: dict[tuple[str, str], list[Problem]] = {}  # (student, notebook) -> tampering found
        theirs: dict[tuple[str, str], object] = {}  # (student, notebook) -> the notebook as repaired
        for sub in submissions:  # only readable notebooks reach nbgrader, repaired where needed
            for name, path in sub.gradable.items():
                dest = work / "submitted" / sub.student / assignment / f"{name}.ipynb"
                dest.parent.mkdir(parents=True, exist_ok=True)
                nb = nbformat.read(path, as_version=4)
                found[(sub.student, name)] = inspect_and_repair(nb, released[name])
                theirs[(sub.student, name)] = nb
                nbformat.write(nbformat.from_dict({**nb, "cells": [*nb.cells, proofs.final_cell(name)]}), dest)
        result = run_nbgrader(["generate_assignment", assignment, "--force"], work)
        if result.returncode != 0:
            print(result.stderr[-3000:], file=sys.stderr)
            print("error: nbgrader could not register the assignment", file=sys.stderr)
            return 2

        def shard_setup(shard: Path) -> tuple[dict[str, str], list[str]]:
            env, args = {}, [f"--Execute.timeout={cell_timeout}"] if cell_timeout else []
            if not unsafe:
                env = write_kernel_spec(shard / "sandbox", limits or Limits())
                args += nbgrader_options(shard / "sandbox")
            return env, args

        students = sorted(sub.student for sub in submissions if sub.gradable)
        if students:
            log = autograde_in_shards(work, assignment, students, jobs or os.cpu_count() or 1, shard_setup)
            (out / "nbgrader.log").write_text(log)
        scores = read_scores(work, assignment)

        grade_rows, learner_rows, unproved = [], [], []
        for sub in submissions:
            results, problems, ungraded = [], [Problem("unsafe", sentence("unsafe"))] if unsafe else [], set()
            for name in notebooks:
                problem = sub.problems.get(name)
                executed = work / "autograded" / sub.student / assignment / f"{name}.ipynb"
                got = scores.get((sub.student, name))
                if problem is None and (got is None or not executed.exists()):
                    problem = Problem("grading_error", f"{name}.ipynb could not be graded; your instructor "
                                                       "has the log (nbgrader.log)")
                if problem is not None:
                    problems.append(problem)
                    ungraded.add(name)
                    results += [CellResult(name, gid, 0.0, points, None) for gid, points in cells[name]]
                    continue
                verdict = judge(name, nbformat.read(executed, as_version=4), theirs[(sub.student, name)],
                                released[name], cells[name], got, texts[name], proofs)
                unproved += [(sub.student, name, gid) for gid in verdict.not_run]
                problems += found[(sub.student, name)] + verdict.problems
                results += verdict.results
            for r in results:
                if r.max_score is not None:
                    grade_rows.append([sub.student, assignment, r.notebook, r.grade_id, _num(r.score or 0),
                                       _num(r.max_score)])
            text, scrubbed = render(sub.student, assignment, results, [p.message for p in problems], ungraded,
                                    withheld)
            flags = list(dict.fromkeys([p.flag for p in problems] + (["unexpected_message"] if scrubbed else [])))
            total, maximum = sum(r.score or 0 for r in results), sum(r.max_score or 0 for r in results)
            learner_rows.append([sub.student, assignment, _num(total), _num(maximum), ";".join(flags)])
            write_feedback(out / "feedback" / sub.student / f"{assignment}.md", text)
        if unproved:
            zero_unproved(work, assignment, unproved)
        learner_rows.sort(key=lambda row: not needs_review(row[4].split(";")))  # for review first, stable

        _write_csv(out / "grades.csv", GRADE_COLUMNS, grade_rows)
        _write_csv(out / "learners.csv", LEARNER_COLUMNS, learner_rows)
        write_reports(grade_rows, learner_rows, out, assignments=[assignment])
        if (work / "autograded").exists():
            shutil.rmtree(out / "autograded", ignore_errors=True)
            shutil.copytree(work / "autograded", out / "autograded")
        shutil.copyfile(work / "gradebook.db", out / "gradebook.db")

    seconds = time.perf_counter() - started
    for row in learner_rows:
        print(f"{row[0]:24} {row[2]:>6} / {row[3]:<6} {row[4]}")
    print(f"graded {len(submissions)} learner(s) of {assignment} in {seconds:.1f} s -> {out}")
    return 0


def _num(x: float) -> str:
    return f"{x:g}"


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Grade every learner's submission of an assignment.")
    parser.add_argument("assignment", nargs="?", help="an assignment folder of solutions/, e.g. ex1_lm_dataset")
    parser.add_argument("--all", action="store_true",
                        help="grade every assignment that has submissions, each into OUT/<assignment> (make regrade)")
    parser.add_argument("--submitted", type=Path, default=ROOT / "autograder" / "submitted",
                        help="folder of <student_id>/<assignment>/<notebook>.ipynb")
    parser.add_argument("--out", type=Path, default=None,
                        help="where the CSV files, feedback and autograded notebooks go "
                             "(default autograder/reports/<assignment>)")
    limits = Limits()
    parser.add_argument("--cell-timeout", type=int, default=None,
                        help="seconds one cell may run before it is interrupted (default: the nbgrader config's 60)")
    parser.add_argument("--notebook-timeout", type=int, default=limits.notebook_seconds,
                        help="seconds a whole notebook may run before its kernel is killed")
    parser.add_argument("--memory-gb", type=float, default=limits.memory_bytes / 2**30,
                        help="address space a learner's kernel may use, in GiB")
    parser.add_argument("--jobs", type=int, default=None,
                        help="learners graded at once (default: one per CPU core)")
    parser.add_argument("--unsafe", action="store_true",
                        help="grade without the sandbox (learner code runs with your rights); flagged in learners.csv")
    args = parser.parse_args(argv)
    if bool(args.assignment) == args.all:
        parser.error("name one assignment, or pass --all")
    limits.notebook_seconds, limits.memory_bytes = args.notebook_timeout, int(args.memory_gb * 2**30)
    submitted = args.submitted.resolve()
    assignments = [args.assignment] if args.assignment else sorted(
        {p.name for p in submitted.glob("*/*") if p.is_dir() and (SOURCE / p.name).is_dir()})
    if not assignments:
        print(f"nothing to grade: no submissions of a known assignment in {submitted}")
        return 0
    status = 0
    for assignment in assignments:
        if args.out is None:
            out = ROOT / "autograder" / "reports" / assignment
        else:
            out = args.out / assignment if args.all else args.out
        status = max(status, grade(assignment, submitted, out.resolve(), unsafe=args.unsafe, limits=limits,
                                   cell_timeout=args.cell_timeout, jobs=args.jobs))
    return status


if __name__ == "__main__":
    sys.exit(main())

"""Grade every learner's submission of one assignment with nbgrader.

    python -m autograder.grade ASSIGNMENT [--submitted DIR] [--out DIR]
    make grade ASSIGNMENT=ex1_lm_dataset

`--submitted` (default autograder/submitted) holds <student_id>/<assignment>/<notebook>.ipynb.
Writes into `--out` (default autograder/reports, created when missing):
  grades.csv      one row per graded cell per learner
  learners.csv    one row per learner, with flags naming what went wrong
  feedback/<student_id>/<assignment>.md   what passed, and the rule each failed test names
  autograded/     nbgrader's executed copies (hidden tests included: for instructors only)
  gradebook.db    this run's nbgrader gradebook

All learners run in one nbgrader call, in a private working folder: a broken submission
scores zero with a flag and never stops the others, and no earlier gradebook is touched.
Exits 0 when every learner found was graded, whatever the scores.
"""
from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from . import ROOT
from .feedback import CellResult, write_feedback
from .release import SOURCE, nbgrader_env
from .submissions import Problem, expected_notebooks, inspect

GRADES_HEADER = ["student_id", "assignment", "notebook", "grade_id", "score", "max_score"]
LEARNERS_HEADER = ["student_id", "assignment", "score", "max_score", "flags"]


def graded_cells(notebook: Path) -> list[tuple[str, float]]:
    """(grade_id, points) of every autograded test cell of a source notebook, in order."""
    nb = nbformat.read(notebook, as_version=4)
    cells = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and cell.cell_type == "code":
            cells.append((meta["grade_id"], float(meta.get("points", 0))))
    return cells


def run_nbgrader(args: list[str], work: Path) -> subprocess.CompletedProcess:
    overrides = [
        f"--CourseDirectory.db_url=sqlite:///{work / 'gradebook.db'}",
        f"--CourseDirectory.release_directory={work / 'release'}",
        f"--CourseDirectory.submitted_directory={work / 'submitted'}",
        f"--CourseDirectory.autograded_directory={work / 'autograded'}",
    ]
    return subprocess.run([sys.executable, "-m", "nbgrader", *args, *overrides], cwd=ROOT,
                          env=nbgrader_env(), capture_output=True, text=True)


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


def cell_outputs(notebook: Path) -> tuple[dict[str, str], dict[str, str]]:
    """From an executed notebook: grade_id -> "ErrorName: message" of every cell that raised,
    and grade_id -> the text a test cell printed (shown to the learner, e.g. why an answer
    is right)."""
    errors, printed = {}, {}
    if not notebook.exists():
        return errors, printed
    for cell in nbformat.read(notebook, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if not grade_id:
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                message = f"{out.get('ename', 'Error')}: {out.get('evalue', '')}".rstrip(": ")
                errors[grade_id] = message if grade_id not in errors else f"{errors[grade_id]}; {message}"
            elif out.get("output_type") == "stream" and out.get("name") == "stdout" and meta.get("grade"):
                printed[grade_id] = printed.get(grade_id, "") + out.get("text", "")
    return errors, printed


def tampering(submitted: Path, released: Path) -> list[str]:
    """Locked cells (tests, set-up) that the learner changed or deleted; nbgrader grades the
    released version of them anyway, so this is reported, not punished."""
    def locked(path):
        cells = nbformat.read(path, as_version=4).cells
        return {c.metadata["nbgrader"]["grade_id"]: c.source for c in cells
                if c.metadata.get("nbgrader", {}).get("locked")}
    original, theirs = locked(released), locked(submitted)
    return [gid for gid, src in original.items() if theirs.get(gid) != src]


def grade(assignment: str, submitted: Path, out: Path) -> int:
    source_dir = SOURCE / assignment
    notebooks = expected_notebooks(source_dir)
    if not notebooks:
        known = ", ".join(sorted(p.parent.name for p in SOURCE.glob("*/*.ipynb"))) or "none"
        print(f"error: no assignment {assignment!r} in solutions/ (known: {known})", file=sys.stderr)
        return 2
    cells = {nb: graded_cells(source_dir / f"{nb}.ipynb") for nb in notebooks}
    submissions = inspect(submitted, assignment, notebooks)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        work = Path(tmp)
        for sub in submissions:  # only readable notebooks reach nbgrader
            for name, path in sub.gradable.items():
                dest = work / "submitted" / sub.student / assignment / f"{name}.ipynb"
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
        result = run_nbgrader(["generate_assignment", assignment, "--force"], work)
        if result.returncode != 0:
            print(result.stderr[-3000:], file=sys.stderr)
            print("error: nbgrader could not register the assignment", file=sys.stderr)
            return 2
        if any(sub.gradable for sub in submissions):
            result = run_nbgrader(["autograde", assignment, "--force"], work)
            (out / "nbgrader.log").write_text(result.stdout + result.stderr)
        scores = read_scores(work, assignment)

        grade_rows, learner_rows = [], []
        for sub in submissions:
            results, flags, notes, ungraded = [], [], [], set()
            for name in notebooks:
                problem = sub.problems.get(name)
                executed = work / "autograded" / sub.student / assignment / f"{name}.ipynb"
                got = scores.get((sub.student, name))
                if problem is None and got is None:
                    problem = Problem("grading_error", f"{name}.ipynb could not be graded; your instructor "
                                                       "has the log (nbgrader.log)")
                if problem is not None:
                    flags.append(problem.flag)
                    notes.append(problem.message)
                    ungraded.add(name)
                    got = {}
                else:
                    changed = tampering(sub.gradable[name], work / "release" / assignment / f"{name}.ipynb")
                    if changed:
                        flags.append("tampered")
                        notes.append(f"locked cells were changed or deleted ({', '.join(changed)}); "
                                     "they were graded as released")
                errors, printed = cell_outputs(executed)
                if any("CellTimeoutError" in e for e in errors.values()):
                    flags.append("timeout")
                    notes.append("a cell ran past the time limit and was stopped")
                for grade_id, points in cells[name]:
                    score = got.get(grade_id, 0.0)
                    grade_rows.append([sub.student, assignment, name, grade_id, _num(score), _num(points)])
                    results.append(CellResult(name, grade_id, score, points, errors.get(grade_id),
                                              printed.get(grade_id, "").strip()))
                answer_errors = {g: e for g, e in errors.items() if g not in dict(cells[name])}
                results.extend(CellResult(name, g, None, None, e) for g, e in answer_errors.items())
            total, maximum = sum(r.score or 0 for r in results), sum(r.max_score or 0 for r in results)
            flags = list(dict.fromkeys(flags))  # unique, in order
            learner_rows.append([sub.student, assignment, _num(total), _num(maximum), ";".join(flags)])
            write_feedback(out / "feedback" / sub.student / f"{assignment}.md", sub.student, assignment,
                           results, notes, ungraded)

        _write_csv(out / "grades.csv", GRADES_HEADER, grade_rows)
        _write_csv(out / "learners.csv", LEARNERS_HEADER, learner_rows)
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
    parser = argparse.ArgumentParser(description="Grade every learner's submission of one assignment.")
    parser.add_argument("assignment", help="an assignment folder of solutions/, e.g. ex1_lm_dataset")
    parser.add_argument("--submitted", type=Path, default=ROOT / "autograder" / "submitted",
                        help="folder of <student_id>/<assignment>/<notebook>.ipynb")
    parser.add_argument("--out", type=Path, default=ROOT / "autograder" / "reports",
                        help="where the CSV files, feedback and autograded notebooks go")
    args = parser.parse_args(argv)
    return grade(args.assignment, args.submitted.resolve(), args.out.resolve())


if __name__ == "__main__":
    sys.exit(main())

"""Class reports from the grading command's CSV files: how each assignment went, and which
test cells the class fails most.

    python -m autograder.reports REPORTS_DIR [--out DIR]

Reads REPORTS_DIR/grades.csv and learners.csv (written by `python -m autograder.grade`) and
writes into --out (default REPORTS_DIR):
  summary.csv           one row per assignment: learners, flagged, mean, median, min, max
  cell_pass_rates.csv   one row per test cell: how many learners got full marks, most failed first
  summary.md            both tables, for reading
  scores_<assignment>.png   a histogram of the learners' total scores

From Python: `write_reports(grade_rows, learner_rows, out)`, where the rows are dicts (as
csv.DictReader gives) or lists in the CSV files' column order.
"""
from __future__ import annotations

import argparse
import csv
import statistics
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .flags import GRADE_COLUMNS, LEARNER_COLUMNS, NOT_GRADED, needs_review

SUMMARY_COLUMNS = ["assignment", "learners", "flagged", "max_score", "mean", "median", "min", "max"]
CELL_COLUMNS = ["assignment", "notebook", "grade_id", "max_score", "learners", "full_marks", "pass_rate"]


@dataclass
class CellRate:
    notebook: str
    grade_id: str
    max_score: float
    learners: int  # learners whose notebook was graded
    full_marks: int

    @property
    def pass_rate(self) -> float | None:
        return self.full_marks / self.learners if self.learners else None


@dataclass
class AssignmentSummary:
    assignment: str
    scores: list[float] = field(default_factory=list)  # one total per learner
    flagged: int = 0  # learners with any flag
    max_score: float | None = None
    cells: list[CellRate] = field(default_factory=list)  # most failed first

    def stat(self, name: str) -> float | None:
        if not self.scores:
            return None
        return {"mean": statistics.fmean, "median": statistics.median, "min": min, "max": max}[name](self.scores)


def _as_dicts(rows, columns) -> list[dict]:
    return [dict(r) if isinstance(r, Mapping) else dict(zip(columns, r)) for r in rows]


def _flags(row: dict) -> set[str]:
    return {f for f in (row.get("flags") or "").split(";") if f}


def summarize(grade_rows, learner_rows, assignments: Sequence[str] = ()) -> list[AssignmentSummary]:
    """One summary per assignment found in the rows, plus any named in `assignments` (so that
    an assignment nobody submitted still gets a line)."""
    grades, learners = _as_dicts(grade_rows, GRADE_COLUMNS), _as_dicts(learner_rows, LEARNER_COLUMNS)
    names = list(dict.fromkeys([*assignments, *(r["assignment"] for r in learners),
                                *(r["assignment"] for r in grades)]))
    summaries = {name: AssignmentSummary(name) for name in names}
    not_graded = set()  # (student, assignment)
    for row in learners:
        summary = summaries[row["assignment"]]
        summary.scores.append(float(row["score"]))
        summary.max_score = float(row["max_score"])
        flags = _flags(row)
        summary.flagged += bool(flags)
        if flags & NOT_GRADED:
            not_graded.add((row["student_id"], row["assignment"]))

    cells: dict[tuple[str, str, str], CellRate] = {}  # insertion order = notebook order
    for row in grades:
        key = (row["assignment"], row["notebook"], row["grade_id"])
        cell = cells.setdefault(key, CellRate(row["notebook"], row["grade_id"], float(row["max_score"]), 0, 0))
        if (row["student_id"], row["assignment"]) in not_graded:
            continue
        cell.learners += 1
        cell.full_marks += float(row["score"]) >= float(row["max_score"])
    for (assignment, _, _), cell in cells.items():
        summaries[assignment].cells.append(cell)
    for summary in summaries.values():
        # Lowest pass rate first; cells nobody was graded on go last; ties keep notebook order.
        summary.cells.sort(key=lambda c: (c.pass_rate is None, c.pass_rate or 0.0))
    return list(summaries.values())


def _fmt(x: float | None, digits: int = 2) -> str:
    return "" if x is None else f"{round(x, digits):g}"


def summary_table(summaries: list[AssignmentSummary]) -> list[list[str]]:
    return [[s.assignment, str(len(s.scores)), str(s.flagged), _fmt(s.max_score),
             *(_fmt(s.stat(k)) for k in ("mean", "median", "min", "max"))] for s in summaries]


def cell_table(summaries: list[AssignmentSummary]) -> list[list[str]]:
    return [[s.assignment, c.notebook, c.grade_id, _fmt(c.max_score), str(c.learners), str(c.full_marks),
             _fmt(c.pass_rate, 3)] for s in summaries for c in s.cells]


def flagged_learners(learner_rows) -> list[dict]:
    """Learners with any flag: those a person must review (integrity flags) first."""
    rows = [r for r in _as_dicts(learner_rows, LEARNER_COLUMNS) if _flags(r)]
    return sorted(rows, key=lambda r: not needs_review(_flags(r)))


def markdown(summaries: list[AssignmentSummary], learner_rows=()) -> str:
    if not summaries:
        return "# Class report\n\nNo learners were graded.\n"
    lines = ["# Class report", "", "| " + " | ".join(SUMMARY_COLUMNS) + " |",
             "|" + " --- |" * len(SUMMARY_COLUMNS)]
    lines += ["| " + " | ".join(row) + " |" for row in summary_table(summaries)]
    lines += ["", "A learner is flagged when learners.csv names any problem (missing notebook, "
              "tampering, timeout...)."]
    flagged = flagged_learners(learner_rows)
    if flagged:
        lines += ["", "## Flagged learners, those to review first", "",
                  "| learner | assignment | score | flags | review |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {r['student_id']} | {r['assignment']} | {r['score']} / {r['max_score']} | "
                  f"{', '.join(sorted(_flags(r)))} | {'yes' if needs_review(_flags(r)) else ''} |" for r in flagged]
        lines += ["", "Review: open the learner's notebook in `autograded/` and the lines their feedback names; "
                  "the flags are explained on the instructors' page."]
    for s in summaries:
        lines += ["", f"## {s.assignment}: test cells, most failed first", ""]
        if not s.cells:
            lines.append("No test cell was graded.")
            continue
        lines += ["| cell | full marks | pass rate |", "| --- | --- | --- |"]
        lines += [f"| {c.notebook} / {c.grade_id} | {c.full_marks} of {c.learners} | "
                  f"{'' if c.pass_rate is None else f'{c.pass_rate:.0%}'} |" for c in s.cells]
        lines += ["", "Learners whose notebook could not be graded (missing, unreadable) are left "
                  "out of the pass rates."]
    return "\n".join(lines) + "\n"


def histogram(summary: AssignmentSummary, path: Path) -> None:
    """The learners' totals, drawn without pyplot (on an Agg canvas) so that a caller's own
    matplotlib backend is never changed."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(6, 3.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    top = summary.max_score or max(summary.scores, default=0.0) or 1.0
    if summary.scores:
        ax.hist(summary.scores, bins=min(20, max(5, len(summary.scores))), range=(0, top),
                color="tab:blue", edgecolor="white")
        ax.axvline(summary.stat("median"), color="black", linestyle="--",
                   label=f"median {_fmt(summary.stat('median'))}")
        ax.legend(loc="upper left")
    else:
        ax.text(0.5, 0.5, "no learners", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlim(0, top)
    ax.set_xlabel(f"total score (of {_fmt(summary.max_score)})" if summary.max_score else "total score")
    ax.set_ylabel("learners")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"{summary.assignment}: {len(summary.scores)} learner(s), {summary.flagged} flagged")
    fig.savefig(path, dpi=100)


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def write_reports(grade_rows, learner_rows, out: Path, assignments: Sequence[str] = ()) -> list[Path]:
    """Write the summary files and one histogram per assignment into `out`; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    summaries = summarize(grade_rows, learner_rows, assignments)
    written = [out / "summary.csv", out / "cell_pass_rates.csv", out / "summary.md"]
    _write_csv(written[0], SUMMARY_COLUMNS, summary_table(summaries))
    _write_csv(written[1], CELL_COLUMNS, cell_table(summaries))
    written[2].write_text(markdown(summaries, learner_rows))
    for summary in summaries:
        path = out / f"scores_{summary.assignment}.png"
        histogram(summary, path)
        written.append(path)
    return written


def read_rows(path: Path) -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def write_reports_from_files(grades_csv: Path, learners_csv: Path, out: Path) -> list[Path]:
    return write_reports(read_rows(grades_csv), read_rows(learners_csv), out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", type=Path, help="folder with grades.csv and learners.csv")
    parser.add_argument("--out", type=Path, help="where the reports go (default: the same folder)")
    args = parser.parse_args(argv)
    missing = [n for n in ("grades.csv", "learners.csv") if not (args.reports / n).is_file()]
    if missing:
        print(f"error: {', '.join(missing)} not found in {args.reports}", file=sys.stderr)
        return 2
    written = write_reports_from_files(args.reports / "grades.csv", args.reports / "learners.csv",
                                       args.out or args.reports)
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

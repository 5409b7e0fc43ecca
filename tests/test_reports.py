"""Class reports (autograder/reports.py) on synthetic grading rows: the statistics, the cells
the class fails most first, a learner with a flag, and an empty class."""
import csv
import subprocess
import sys

import pytest

from autograder.reports import summarize, write_reports

GRADES = ["student_id", "assignment", "notebook", "grade_id", "score", "max_score"]
LEARNERS = ["student_id", "assignment", "score", "max_score", "flags"]


def class_rows():
    """ex1: four learners on three cells (2 + 3 + 5 points); ex2: one learner on one cell."""
    cells = {"ann": (2, 3, 5), "bob": (2, 0, 5), "cid": (2, 0, 0), "dee": (0, 0, 0)}
    flags = {"ann": "", "bob": "tampered", "cid": "", "dee": "missing_notebook"}
    grades, learners = [], []
    for student, scores in cells.items():
        for grade_id, score, top in zip(["test_a", "test_b", "test_c"], scores, [2, 3, 5]):
            grades.append(dict(zip(GRADES, [student, "ex1", "ex1", grade_id, str(score), str(top)])))
        learners.append(dict(zip(LEARNERS, [student, "ex1", str(sum(scores)), "10", flags[student]])))
    grades.append(dict(zip(GRADES, ["ann", "ex2", "ex2", "test_x", "1.5", "4"])))
    learners.append(dict(zip(LEARNERS, ["ann", "ex2", "1.5", "4", ""])))
    return grades, learners


def read(path):
    with path.open() as f:
        return list(csv.DictReader(f))


def test_statistics_per_assignment():
    ex1, ex2 = summarize(*class_rows())
    assert ex1.assignment == "ex1" and sorted(ex1.scores) == [0, 2, 7, 10]
    assert (ex1.stat("mean"), ex1.stat("median"), ex1.stat("min"), ex1.stat("max")) == (4.75, 4.5, 0, 10)
    assert ex1.flagged == 2 and ex1.max_score == 10
    assert ex2.scores == [1.5] and ex2.flagged == 0


def test_cells_most_failed_first_without_learners_who_submitted_nothing():
    ex1 = summarize(*class_rows())[0]
    # dee (missing_notebook) is left out; bob (tampered) was graded and counts.
    assert [(c.grade_id, c.full_marks, c.learners) for c in ex1.cells] == [
        ("test_b", 1, 3), ("test_c", 2, 3), ("test_a", 3, 3)]
    assert [round(c.pass_rate, 3) for c in ex1.cells] == [0.333, 0.667, 1.0]


def test_rows_as_lists_give_the_same_summary():
    grades, learners = class_rows()
    as_lists = summarize([[r[c] for c in GRADES] for r in grades], [[r[c] for c in LEARNERS] for r in learners])
    assert [(s.scores, s.flagged, [(c.grade_id, c.full_marks) for c in s.cells]) for s in as_lists] == \
           [(s.scores, s.flagged, [(c.grade_id, c.full_marks) for c in s.cells]) for s in summarize(grades, learners)]


def test_files_written(tmp_path):
    written = write_reports(*class_rows(), tmp_path)
    assert {p.name for p in written} == {"summary.csv", "cell_pass_rates.csv", "summary.md",
                                         "scores_ex1.png", "scores_ex2.png"}
    summary = {r["assignment"]: r for r in read(tmp_path / "summary.csv")}
    assert summary["ex1"] == {"assignment": "ex1", "learners": "4", "flagged": "2", "max_score": "10",
                              "mean": "4.75", "median": "4.5", "min": "0", "max": "10"}
    cells = read(tmp_path / "cell_pass_rates.csv")
    assert [(r["assignment"], r["grade_id"], r["pass_rate"]) for r in cells] == [
        ("ex1", "test_b", "0.333"), ("ex1", "test_c", "0.667"), ("ex1", "test_a", "1"), ("ex2", "test_x", "0")]
    text = (tmp_path / "summary.md").read_text()
    assert "| ex1 / test_b | 1 of 3 | 33% |" in text and text.index("test_b") < text.index("test_a")
    for name in ("scores_ex1.png", "scores_ex2.png"):
        png = (tmp_path / name).read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 5000


def test_empty_class(tmp_path):
    assert write_reports([], [], tmp_path / "nobody")[:3] == [
        tmp_path / "nobody" / n for n in ("summary.csv", "cell_pass_rates.csv", "summary.md")]
    assert read(tmp_path / "nobody" / "summary.csv") == [] and read(tmp_path / "nobody" / "cell_pass_rates.csv") == []
    assert "No learners were graded" in (tmp_path / "nobody" / "summary.md").read_text()
    # Named assignments nobody submitted still get a line and an (empty) histogram.
    write_reports([], [], tmp_path / "named", assignments=["ex1"])
    assert read(tmp_path / "named" / "summary.csv") == [{"assignment": "ex1", "learners": "0", "flagged": "0",
                                                         "max_score": "", "mean": "", "median": "", "min": "",
                                                         "max": ""}]
    assert (tmp_path / "named" / "scores_ex1.png").read_bytes().startswith(b"\x89PNG")


def test_command_line(root, tmp_path):
    grades, learners = class_rows()
    for name, header, rows in [("grades.csv", GRADES, grades), ("learners.csv", LEARNERS, learners)]:
        with (tmp_path / name).open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows)
    result = subprocess.run([sys.executable, "-m", "autograder.reports", str(tmp_path)], cwd=root,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "summary.md").is_file() and (tmp_path / "scores_ex1.png").is_file()
    missing = subprocess.run([sys.executable, "-m", "autograder.reports", str(tmp_path / "none")], cwd=root,
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "grades.csv, learners.csv not found" in missing.stderr


@pytest.mark.parametrize("flags", ["missing_notebook", "empty_file;tampered"])
def test_learner_who_submitted_nothing_still_counts_in_the_scores(flags):
    grades = [dict(zip(GRADES, ["eve", "ex1", "ex1", "test_a", "0", "2"]))]
    learners = [dict(zip(LEARNERS, ["eve", "ex1", "0", "2", flags]))]
    (summary,) = summarize(grades, learners)
    assert summary.scores == [0] and summary.flagged == 1
    assert summary.cells[0].learners == 0 and summary.cells[0].pass_rate is None

"""The grading command, driven through real nbgrader: the reference scores full marks, the
blank release zero, each plausible wrong solution loses exactly the cells of the function it
breaks, broken submissions score zero with a flag, and feedback never shows a hidden test.

Every learner below is graded in ONE call of the grading command (nbgrader's start-up costs
more than a small notebook)."""
import csv
import json
import subprocess
import sys

import nbformat
import pytest
from ex1_variants import VARIANTS
from autograder.nbtools import filled, marked_lines, solution_sources

pytestmark = pytest.mark.slow
ASSIGNMENT = "ex1_lm_dataset"
BROKEN = {  # learner -> flag expected in learners.csv
    "broken_empty": "empty_file",
    "broken_json": "invalid_json",
    "broken_renamed": "wrong_notebook_name",
    "broken_missing": "missing_notebook",
}


@pytest.fixture(scope="module")
def paths(root):
    return {"source": root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
            "release": root / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"}


@pytest.fixture(scope="module")
def graded(root, paths, tmp_path_factory):
    submitted, out = tmp_path_factory.mktemp("submitted"), tmp_path_factory.mktemp("reports") / "new"
    reference = solution_sources(paths["source"])

    def submit(student, nb=None, name=ASSIGNMENT, raw=None):
        folder = submitted / student / ASSIGNMENT
        folder.mkdir(parents=True)
        target = folder / f"{name}.ipynb"
        if raw is not None:
            target.write_text(raw)
        elif nb is not None:
            nbformat.write(nb, target)

    submit("reference", filled(paths["release"], reference))
    submit("blank", nbformat.read(paths["release"], as_version=4))
    for name, variant in VARIANTS.items():
        submit(f"wrong_{name}", filled(paths["release"], {**reference, **variant["replace"]}))
    good_json = nbformat.writes(filled(paths["release"], reference))
    submit("broken_empty", raw="")
    submit("broken_json", raw=good_json[: len(good_json) // 2])  # truncated upload
    submit("broken_renamed", filled(paths["release"], reference), name=f"{ASSIGNMENT} (1)")
    submit("broken_missing")
    result = subprocess.run([sys.executable, "-m", "autograder.grade", ASSIGNMENT, "--submitted",
                             str(submitted), "--out", str(out)], cwd=root, capture_output=True, text=True)
    return result, out


def rows(out, name):
    with (out / name).open() as f:
        return list(csv.DictReader(f))


def scores(out):
    """student -> {grade_id: (score, max_score)}"""
    table = {}
    for r in rows(out, "grades.csv"):
        table.setdefault(r["student_id"], {})[r["grade_id"]] = (float(r["score"]), float(r["max_score"]))
    return table


def test_command_exits_zero_and_writes_the_contract_columns(graded):
    result, out = graded
    assert result.returncode == 0, result.stderr[-3000:]
    with (out / "grades.csv").open() as f:
        assert next(csv.reader(f)) == ["student_id", "assignment", "notebook", "grade_id", "score", "max_score"]
    with (out / "learners.csv").open() as f:
        assert next(csv.reader(f)) == ["student_id", "assignment", "score", "max_score", "flags"]
    learners = {r["student_id"] for r in rows(out, "learners.csv")}
    assert learners == {"reference", "blank", *(f"wrong_{v}" for v in VARIANTS), *BROKEN}
    table = scores(out)
    assert all(set(cells) == set(table["reference"]) for cells in table.values()), "every learner gets every cell"
    assert all(r["notebook"] == ASSIGNMENT and r["assignment"] == ASSIGNMENT for r in rows(out, "grades.csv"))


def test_reference_scores_full_marks(graded):
    table = scores(graded[1])["reference"]
    lost = {g: s for g, s in table.items() if s[0] != s[1]}
    assert not lost, f"the reference solution loses points on {lost}"
    assert sum(m for _, m in table.values()) > 0


def test_blank_release_scores_zero(graded):
    table = scores(graded[1])["blank"]
    assert not {g: s for g, s in table.items() if s[0] != 0}, "the blank release must score zero"


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_wrong_solution_loses_exactly_its_cells(graded, variant):
    table = scores(graded[1])[f"wrong_{variant}"]
    failed = {g for g, (score, _) in table.items() if score == 0}
    partial = {g for g, (score, top) in table.items() if 0 < score < top}
    assert not partial
    assert failed == VARIANTS[variant]["fails"], (
        f"{variant}: expected to fail {sorted(VARIANTS[variant]['fails'])}, failed {sorted(failed)}")


@pytest.mark.parametrize("student", sorted(BROKEN))
def test_broken_submission_scores_zero_with_flag_and_message(graded, student):
    out = graded[1]
    learner = {r["student_id"]: r for r in rows(out, "learners.csv")}[student]
    assert float(learner["score"]) == 0 and BROKEN[student] in learner["flags"].split(";")
    feedback = (out / "feedback" / student / f"{ASSIGNMENT}.md").read_text()
    assert "Problems with the submission" in feedback and f"{ASSIGNMENT}.ipynb" in feedback


def test_clean_submissions_have_no_flags(graded):
    learners = {r["student_id"]: r["flags"] for r in rows(graded[1], "learners.csv")}
    assert learners["reference"] == "" and learners["blank"] == ""


def test_feedback_names_the_failed_rule(graded):
    out = graded[1]
    for variant in VARIANTS:
        text = (out / "feedback" / f"wrong_{variant}" / f"{ASSIGNMENT}.md").read_text()
        failed_lines = [l for l in text.splitlines() if l.startswith("- FAILED")]
        assert failed_lines, f"{variant}: no failed test in the feedback"
        vague = [l for l in failed_lines if l.rstrip().endswith(("the test did not pass", "AssertionError"))]
        assert not vague, f"{variant}: feedback does not say what is wrong: {vague}"


def test_feedback_never_shows_a_hidden_test_line(graded, paths):
    hidden = marked_lines(paths["source"], "HIDDEN TESTS", min_len=20)
    assert hidden, "the source notebook has hidden tests"
    for feedback in (graded[1] / "feedback").rglob("*.md"):
        text = feedback.read_text()
        leaks = [line for line in hidden if line in text]
        assert not leaks, f"{feedback.parent.name}'s feedback shows hidden test lines: {leaks[:3]}"


def test_gradebook_of_the_run_is_kept(graded):
    assert (graded[1] / "gradebook.db").stat().st_size > 0
    assert (graded[1] / "autograded" / "reference" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()


def test_unknown_assignment_fails_with_a_clear_message(root, tmp_path):
    result = subprocess.run([sys.executable, "-m", "autograder.grade", "ex9_nothing", "--out", str(tmp_path)],
                            cwd=root, capture_output=True, text=True)
    assert result.returncode == 2 and "no assignment 'ex9_nothing'" in result.stderr


def test_empty_submitted_folder_writes_headers_only(root, tmp_path):
    result = subprocess.run([sys.executable, "-m", "autograder.grade", ASSIGNMENT, "--submitted",
                             str(tmp_path / "nobody"), "--out", str(tmp_path / "out")],
                            cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert rows(tmp_path / "out", "grades.csv") == [] and rows(tmp_path / "out", "learners.csv") == []

"""Hostile submissions, all graded in ONE call of the grading command with the sandbox: each is
graded as far as it can be, gets a flag and a feedback line, and none stops the run, changes
another learner's result, or touches the gradebook, the solutions or the autograder folder.
Needs bubblewrap: skipped without it, unless REQUIRE_SANDBOX=1 (CI), where that fails."""
import csv
import hashlib
import os
import subprocess

import nbformat
import pytest
from hostile_submissions import ATTACKS, HOSTILE, ORDINARY, TAMPERED

from autograder.nbtools import filled, grade_id, solution_sources
from autograder.sandbox import why_unavailable
from leaks import leaks_in, run_grading

pytestmark = pytest.mark.slow
CLEAN = ["clean_first", "clean_last"]  # sorted before and after every hostile learner


@pytest.fixture(scope="module")
def sandbox():
    reason = why_unavailable()
    if reason and os.environ.get("REQUIRE_SANDBOX") == "1":
        pytest.fail(f"REQUIRE_SANDBOX=1 but {reason}")
    if reason:
        pytest.skip(reason)


def checksum(paths) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for base in paths if base.exists() for p in ([base] if base.is_file() else base.rglob("*"))):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path).encode() + path.read_bytes())
    return digest.hexdigest()


def with_extra_cell(release, reference, code):
    nb = filled(release, reference)
    first_answer = next(i for i, c in enumerate(nb.cells) if (grade_id(c) or "").startswith("answer_"))
    nb.cells.insert(first_answer + 1, nbformat.v4.new_code_cell(code))
    return nb


@pytest.fixture(scope="module")
def graded(sandbox, root, tmp_path_factory):
    release = root / "notebooks" / "ex1_lm_dataset" / "ex1_lm_dataset.ipynb"
    reference = solution_sources(root / "solutions" / "ex1_lm_dataset" / "ex1_lm_dataset.ipynb")
    submitted, out = tmp_path_factory.mktemp("submitted"), tmp_path_factory.mktemp("reports")
    learners = {name: filled(release, reference) for name in CLEAN}
    learners.update({f"hostile_{n}": with_extra_cell(release, reference, h["code"]) for n, h in HOSTILE.items()})
    for name, tamper in TAMPERED.items():
        learners[f"tampered_{name}"] = nb = filled(release, reference)
        tamper["edit"](nb)
    for name, attack in ATTACKS.items():
        learners[f"attack_{name}_blank"] = with_extra_cell(release, {}, attack["code"])
        learners[f"attack_{name}_correct"] = with_extra_cell(release, reference, attack["code"])
    learners.update({f"ordinary_{name}": with_extra_cell(release, reference, code) for name, code in ORDINARY.items()})
    for student, nb in learners.items():
        (submitted / student / "ex1_lm_dataset").mkdir(parents=True)
        nbformat.write(nb, submitted / student / "ex1_lm_dataset" / "ex1_lm_dataset.ipynb")
    guarded = [root / "solutions", root / "autograder", root / "course_support"]
    before = checksum(guarded)
    result = run_grading(["ex1_lm_dataset", "--submitted", str(submitted), "--out", str(out), "--cell-timeout", "10",
                          "--notebook-timeout", "60", "--memory-gb", "4"], timeout=900)
    return result, out, before, checksum(guarded), guarded


def learners_csv(out):
    with (out / "learners.csv").open() as f:
        return {r["student_id"]: r for r in csv.DictReader(f)}


def test_the_run_finishes_and_grades_everyone_once(graded):
    result, out, *_ = graded
    assert result.returncode == 0, result.stderr[-3000:]
    with (out / "learners.csv").open() as f:
        students = [r["student_id"] for r in csv.DictReader(f)]
    assert sorted(students) == sorted(CLEAN + [f"hostile_{n}" for n in HOSTILE] + [f"tampered_{n}" for n in TAMPERED]
                                      + [f"attack_{n}_{k}" for n in ATTACKS for k in ("blank", "correct")]
                                      + [f"ordinary_{n}" for n in ORDINARY])


def test_clean_learners_are_untouched_by_their_neighbours(graded):
    _, out, *_ = graded
    rows = learners_csv(out)
    for name in CLEAN:
        assert rows[name]["score"] == rows[name]["max_score"] and not rows[name]["flags"], rows[name]


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_each_hostile_submission_is_flagged_explained_and_graded_as_far_as_it_can_be(graded, name):
    _, out, *_ = graded
    row, hostile = learners_csv(out)[f"hostile_{name}"], HOSTILE[name]
    flags = row["flags"].split(";") if row["flags"] else []
    feedback = (out / "feedback" / f"hostile_{name}" / "ex1_lm_dataset.md").read_text()
    if hostile["flag"]:
        assert hostile["flag"] in flags, f"{name}: flags {flags}\n{feedback}"
        assert hostile["words"] in feedback, f"{name}: the feedback does not say {hostile['words']!r}:\n{feedback}"
    full = row["score"] == row["max_score"]
    assert hostile["full"] is None or full == hostile["full"], f"{name}: scored {row['score']} of {row['max_score']}\n{feedback}"


@pytest.mark.parametrize("name", sorted(TAMPERED))
def test_tampering_is_flagged_and_graded_as_released(graded, name):
    _, out, *_ = graded
    row, tamper = learners_csv(out)[f"tampered_{name}"], TAMPERED[name]
    feedback = (out / "feedback" / f"tampered_{name}" / "ex1_lm_dataset.md").read_text()
    assert tamper["flag"] in row["flags"].split(";"), f"{name}: flags {row['flags']!r}\n{feedback}"
    assert tamper["words"] in feedback, f"{name}: the feedback does not say {tamper['words']!r}:\n{feedback}"
    assert (row["score"], row["max_score"]) == ("24", "24"), f"{name}: {row['score']} of {row['max_score']}"


def test_nothing_outside_the_sandbox_changed_and_nothing_survived(graded, root):
    _, _, before, after, guarded = graded
    assert before == after, f"grading changed files in {[str(g) for g in guarded]}"
    assert not (root / "autograder" / "owned.txt").exists()
    leftovers = subprocess.run(["ps", "-eo", "user,args"], capture_output=True, text=True).stdout
    survivors = [line for line in leftovers.splitlines() if "time.sleep(120)" in line or "time.sleep(600)" in line]
    assert not survivors, f"learner processes outlived grading: {survivors}"


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_an_attack_on_the_grader_never_scores_unearned_marks_unflagged(graded, name):
    _, out, *_ = graded
    rows = learners_csv(out)
    for kind in ("blank", "correct"):
        row = rows[f"attack_{name}_{kind}"]
        flags = set(row["flags"].split(";")) - {""}
        feedback = (out / "feedback" / f"attack_{name}_{kind}" / "ex1_lm_dataset.md").read_text()
        assert ATTACKS[name]["flags"] <= flags, f"{name} on a {kind} notebook: flags {sorted(flags)}\n{feedback}"
    assert float(rows[f"attack_{name}_blank"]["score"]) < float(rows[f"attack_{name}_blank"]["max_score"])


def test_no_attack_gets_a_hidden_line_into_its_feedback(graded):
    _, out, *_ = graded
    leaks = {name: lines for name, lines in leaks_in(out).items() if name.startswith("attack_")}
    assert not leaks, leaks


def test_flagged_learners_are_listed_first_for_review(graded):
    from autograder.flags import needs_review
    _, out, *_ = graded
    with (out / "learners.csv").open() as f:
        review = [needs_review(r["flags"].split(";")) for r in csv.DictReader(f)]
    assert any(review) and review == sorted(review, reverse=True), "learners to review must come first"
    summary = (out / "summary.md").read_text()
    assert "to review first" in summary and "attack_input_transformer_blank" in summary


@pytest.mark.parametrize("name", sorted(ORDINARY))
def test_ordinary_learner_code_keeps_full_marks_and_raises_no_flag(graded, name):
    _, out, *_ = graded
    row = learners_csv(out)[f"ordinary_{name}"]
    feedback = (out / "feedback" / f"ordinary_{name}" / "ex1_lm_dataset.md").read_text()
    assert (row["score"], row["flags"]) == (row["max_score"], ""), f"{name}: {row}\n{feedback}"


def test_the_gradebook_agrees_that_a_test_that_did_not_run_scores_nothing(graded):
    """nbgrader counted the skipped cells as passed; the grader's override (a manual score of 0)
    is in the run's gradebook, so the formgrader and nbgrader's exports agree with grades.csv."""
    from nbgrader.api import Gradebook
    _, out, *_ = graded
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        submission = gb.find_submission("ex1_lm_dataset", "attack_input_transformer_correct")
        grades = {g.name: (g.auto_score, g.score) for nb in submission.notebooks for g in nb.grades}
    assert grades and all(score == 0 for _, score in grades.values()), grades
    assert any(auto for auto, _ in grades.values()), "nbgrader itself should have counted the skipped cells"

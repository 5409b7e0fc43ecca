"""The grading command, driven through real nbgrader, for every exercise that has a file of
wrong solutions (tests/<assignment>_variants.py): the reference scores full marks, the blank
release zero, each plausible wrong solution loses exactly the cells of the function it
breaks, broken submissions score zero with a flag, and feedback never shows a hidden test.

Each exercise's learners are all graded in ONE call of the grading command (nbgrader's
start-up costs more than a small notebook), and wrong solutions that neither replace the same
answer cell nor fail the same test cell share one notebook (a "pack", at most PACK_SIZE): a pack
must lose exactly the union of its variants' cells. A variant that failed too few cells leaves
one of its own cells passing; one that failed too many fails a cell no variant of the pack
claims. Packing grades 56 notebooks instead of 139."""
import csv
import importlib
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.nbtools import filled, marked_lines, solution_sources
from leaks import run_grading

pytestmark = pytest.mark.slow
# tests/ex1_variants.py holds the wrong solutions of solutions/ex1_*/ (ex1_lm_dataset), and so on.
VARIANT_FILES = {p.stem.removesuffix("_variants"): p.stem for p in Path(__file__).parent.glob("*_variants.py")}
SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
EXERCISES = sorted(d.name for d in SOLUTIONS.iterdir() if d.name.split("_")[0] in VARIANT_FILES)
PACK_SIZE = 4
BROKEN = {  # learner -> flag expected in learners.csv
    "broken_empty": "empty_file",
    "broken_json": "invalid_json",
    "broken_renamed": "wrong_notebook_name",
    "broken_missing": "missing_notebook",
}


@pytest.fixture(scope="module", params=EXERCISES)
def exercise(request):
    return request.param


@pytest.fixture(scope="module")
def variants(exercise):
    return importlib.import_module(VARIANT_FILES[exercise.split("_")[0]]).VARIANTS


def packs(variants: dict) -> dict[str, list[str]]:
    """learner name -> the variants graded together in its notebook (greedy, in name order):
    no two replace the same answer cell or fail the same test cell."""
    groups: list[list[str]] = []
    for name in sorted(variants):
        spec = variants[name]
        home = next((g for g in groups if len(g) < PACK_SIZE and all(
            not set(spec["replace"]) & set(variants[o]["replace"]) and not spec["fails"] & variants[o]["fails"]
            for o in g)), None)
        home.append(name) if home is not None else groups.append([name])
    return {f"wrong_pack{i:02d}": g for i, g in enumerate(groups, 1)}


def merged(variants: dict, names: list[str]) -> dict:
    """The replacements and the expected failures of a pack."""
    return {"replace": {k: v for n in names for k, v in variants[n]["replace"].items()},
            "fails": set().union(*(variants[n]["fails"] for n in names))}


@pytest.fixture(scope="module")
def paths(root, exercise):
    return {"source": root / "solutions" / exercise / f"{exercise}.ipynb",
            "release": root / "notebooks" / exercise / f"{exercise}.ipynb"}


@pytest.fixture(scope="module")
def graded(root, paths, exercise, variants, tmp_path_factory):
    ASSIGNMENT = exercise
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
    for learner, names in packs(variants).items():
        submit(learner, filled(paths["release"], {**reference, **merged(variants, names)["replace"]}))
    good_json = nbformat.writes(filled(paths["release"], reference))
    submit("broken_empty", raw="")
    submit("broken_json", raw=good_json[: len(good_json) // 2])  # truncated upload
    submit("broken_renamed", filled(paths["release"], reference), name=f"{ASSIGNMENT} (1)")
    submit("broken_missing")
    result = run_grading([ASSIGNMENT, "--submitted", str(submitted), "--out", str(out)])
    return result, out, ASSIGNMENT


def rows(out, name):
    with (out / name).open() as f:
        return list(csv.DictReader(f))


def scores(out):
    """student -> {grade_id: (score, max_score)}"""
    table = {}
    for r in rows(out, "grades.csv"):
        table.setdefault(r["student_id"], {})[r["grade_id"]] = (float(r["score"]), float(r["max_score"]))
    return table


def test_command_exits_zero_and_writes_the_contract_columns(graded, variants):
    result, out, assignment = graded
    assert result.returncode == 0, result.stderr[-3000:]
    with (out / "grades.csv").open() as f:
        assert next(csv.reader(f)) == ["student_id", "assignment", "notebook", "grade_id", "score", "max_score"]
    with (out / "learners.csv").open() as f:
        assert next(csv.reader(f)) == ["student_id", "assignment", "score", "max_score", "flags"]
    learners = {r["student_id"] for r in rows(out, "learners.csv")}
    assert learners == {"reference", "blank", *packs(variants), *BROKEN}
    table = scores(out)
    assert all(set(cells) == set(table["reference"]) for cells in table.values()), "every learner gets every cell"
    assert all(r["notebook"] == assignment and r["assignment"] == assignment for r in rows(out, "grades.csv"))


def test_reference_scores_full_marks(graded):
    table = scores(graded[1])["reference"]
    lost = {g: s for g, s in table.items() if s[0] != s[1]}
    assert not lost, f"the reference solution loses points on {lost}"
    assert sum(m for _, m in table.values()) > 0


def test_blank_release_scores_zero(graded):
    table = scores(graded[1])["blank"]
    assert not {g: s for g, s in table.items() if s[0] != 0}, "the blank release must score zero"


def test_each_wrong_solution_loses_exactly_its_cells(graded, variants):
    table, wrong = scores(graded[1]), []
    for learner, names in packs(variants).items():
        spec, cells = merged(variants, names), table[learner]
        failed = {g for g, (score, _) in cells.items() if score == 0}
        partial = {g for g, (score, top) in cells.items() if 0 < score < top}
        if failed != spec["fails"] or partial:
            owners = {g: n for n in names for g in variants[n]["fails"]}
            wrong.append(f"{learner} ({', '.join(names)}): still passing "
                         f"{sorted(f'{g} (of {owners[g]})' for g in spec['fails'] - failed)}, "
                         f"failing unclaimed {sorted(failed - spec['fails'])}, partial {sorted(partial)}")
    assert len(variants) >= 5 and not wrong, "\n".join(wrong)


def test_broken_submission_scores_zero_with_flag_and_message(graded):
    _, out, assignment = graded
    learners = {r["student_id"]: r for r in rows(out, "learners.csv")}
    for student, flag in BROKEN.items():
        assert float(learners[student]["score"]) == 0 and flag in learners[student]["flags"].split(";"), student
        feedback = (out / "feedback" / student / f"{assignment}.md").read_text()
        assert "Problems with the submission" in feedback and f"{assignment}.ipynb" in feedback


def test_clean_submissions_have_no_flags(graded):
    learners = {r["student_id"]: r["flags"] for r in rows(graded[1], "learners.csv")}
    assert learners["reference"] == "" and learners["blank"] == ""


def test_honest_wrong_answers_raise_no_integrity_flag(graded, variants):
    """A wrong answer is no attack: no flag that asks a person to review (a message the tests do
    not contain, a test that did not run, a hook, suspicious code)."""
    from autograder.flags import needs_review
    flagged = {r["student_id"]: r["flags"] for r in rows(graded[1], "learners.csv")
               if r["student_id"].startswith("wrong_") and needs_review(r["flags"].split(";"))}
    assert not flagged, f"honest wrong answers flagged for review: {flagged}"


def test_feedback_names_the_failed_rule(graded, variants):
    _, out, assignment = graded
    for variant in packs(variants):
        text = (out / "feedback" / variant / f"{assignment}.md").read_text()
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
    _, out, assignment = graded
    assert (out / "gradebook.db").stat().st_size > 0
    assert (out / "autograded" / "reference" / assignment / f"{assignment}.ipynb").exists()


def test_parallel_shards_merge_into_one_gradebook_with_each_learner_once(graded):
    """Learners are graded in shards, one per core; the merged gradebook has every readable
    submission exactly once, scored as in grades.csv."""
    import sqlite3
    _, out, assignment = graded
    with sqlite3.connect(out / "gradebook.db") as db:
        per_student = dict(db.execute("SELECT student_id, COUNT(*) FROM submitted_assignment GROUP BY student_id"))
        graded_cells = db.execute("SELECT COUNT(*) FROM grade").fetchone()[0]
    readable = {r["student_id"] for r in rows(out, "learners.csv")} - {"broken_empty", "broken_json",
                                                                        "broken_renamed", "broken_missing"}
    assert set(per_student) == readable and set(per_student.values()) == {1}, per_student
    assert graded_cells == len([r for r in rows(out, "grades.csv") if r["student_id"] in readable])


def test_class_reports_are_written(graded):
    _, out, assignment = graded
    summary = (out / "summary.md").read_text()
    assert assignment in summary and "pass rate" in summary.lower()
    assert (out / "cell_pass_rates.csv").read_text().count("\n") > 3
    assert (out / f"scores_{assignment}.png").stat().st_size > 5000


def test_unknown_assignment_fails_with_a_clear_message(root, tmp_path):
    result = subprocess.run([sys.executable, "-m", "autograder.grade", "ex9_nothing", "--out", str(tmp_path)],
                            cwd=root, capture_output=True, text=True)
    assert result.returncode == 2 and "no assignment 'ex9_nothing'" in result.stderr


def test_empty_submitted_folder_writes_headers_only(root, tmp_path):
    result = subprocess.run([sys.executable, "-m", "autograder.grade", "ex1_lm_dataset", "--submitted",
                             str(tmp_path / "nobody"), "--out", str(tmp_path / "out")],
                            cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert rows(tmp_path / "out", "grades.csv") == [] and rows(tmp_path / "out", "learners.csv") == []

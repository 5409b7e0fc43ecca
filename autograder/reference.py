"""The reference answers, run from the source notebooks in solutions/: for the instructors' tools
(the benchmark, the scripts that make the shipped checkpoints and figures, the book, the tests).

    from autograder.reference import reference_namespace, lab_answers
    train = reference_namespace("ex3_training_loop")["train"]
    lab.run("tiny", **lab_answers())   # the lab of exercise 3 with the reference answers

The code runs as it is in the notebook, never a copy of it, so the tools always use exactly
what learners are graded against. Of a notebook only the set-up cell and the answer cells run,
by the same rule as the lab's command, which reads a learner's own notebooks instead
(course_support/lab.py): the learners' bundle has no solutions/. Needs no Jupyter package.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from course_support.lab import answer_cells, run_cells

from . import ROOT

SOLUTIONS = ROOT / "solutions"
# nbtools.MARKER too; nbtools imports nbformat, which a bare GPU machine may not have.
MARKER = re.compile(r"^\s*### (BEGIN|END) (SOLUTION|HIDDEN TESTS)\s*$")


def source_notebook(assignment: str) -> Path:
    path = SOLUTIONS / assignment / f"{assignment}.ipynb"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the reference answers live in solutions/")
    return path


def reference_cells(assignment: str, grade_ids: list[str] | None = None) -> list[tuple[str, str]]:
    """(grade_id, source) of the source notebook's set-up cell and answer cells (all of them,
    or those named in `grade_ids`), in notebook order, with the solution markers removed."""
    path = source_notebook(assignment)
    cells = answer_cells(path)
    missing = sorted(set(grade_ids or ()) - {gid for gid, _ in cells})
    if missing:
        raise KeyError(f"{path.name} has no answer cells {missing}")
    return [(gid, "\n".join(line for line in source.splitlines() if not MARKER.match(line)) + "\n")
            for gid, source in cells if gid == "setup" or grade_ids is None or gid in grade_ids]


def notebook_code(assignment: str, grade_ids: list[str] | None = None) -> str:
    """The Python source of `reference_cells`, as one text."""
    return "\n".join(source for _, source in reference_cells(assignment, grade_ids))


@lru_cache(maxsize=None)
def _namespace(assignment: str, grade_ids: tuple[str, ...] | None) -> dict:
    cells = reference_cells(assignment, list(grade_ids) if grade_ids else None)
    return run_cells(cells, f"solutions/{assignment}/{assignment}.ipynb", f"reference_{assignment}")


def reference_namespace(assignment: str, grade_ids: list[str] | None = None) -> dict:
    """A module-like namespace in which the set-up cell and the answer cells of a source
    notebook have run: `reference_namespace("ex3_training_loop")["train"]` is the reference
    loop. Loaded once per process."""
    return _namespace(assignment, tuple(grade_ids) if grade_ids else None)


def lab_answers() -> dict:
    """The keyword arguments of `course_support.lab.run` with the reference answers: exercise
    3's train, evaluate and get_device, and exercise 1's PackedLMDataset."""
    ex3 = reference_namespace("ex3_training_loop")
    packed = reference_namespace("ex1_lm_dataset", ["answer_PackedLMDataset"])["PackedLMDataset"]
    return dict(train=ex3["train"], evaluate=ex3["evaluate"], get_device=ex3["get_device"], dataset=packed)

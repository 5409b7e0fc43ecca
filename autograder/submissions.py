"""Inspect learners' submissions before nbgrader sees them.

A submission that nbgrader cannot read (missing, empty, invalid JSON, not a notebook, wrongly
named) is set aside with a flag and a sentence for the learner, so that it scores zero on its
own and never stops the grading of the others.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .flags import FLAGS


@dataclass
class Problem:
    flag: str  # short machine-readable name, goes into learners.csv
    message: str  # one sentence for the learner's feedback

    def __post_init__(self):
        if self.flag not in FLAGS:  # every flag is defined once, in flags.py
            raise ValueError(f"flag {self.flag!r} is not in autograder/flags.py")


@dataclass
class Submission:
    student: str
    gradable: dict[str, Path] = field(default_factory=dict)  # notebook name -> file
    problems: dict[str, Problem] = field(default_factory=dict)  # notebook name -> what is wrong


def expected_notebooks(source_dir: Path) -> list[str]:
    """Notebook names (without .ipynb) of an assignment's source folder."""
    return sorted(p.stem for p in source_dir.glob("*.ipynb"))


def students(submitted: Path) -> list[str]:
    """Every learner folder in the submitted folder (hidden folders skipped)."""
    if not submitted.is_dir():
        return []
    return sorted(p.name for p in submitted.iterdir() if p.is_dir() and not p.name.startswith("."))


def read_problem(path: Path) -> Problem | None:
    """Why nbgrader could not grade this file, or None when it can."""
    raw = path.read_bytes()
    if not raw.strip():
        return Problem("empty_file", f"{path.name} is empty: save the notebook in Jupyter and submit it again")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return Problem("invalid_json", f"{path.name} is not valid notebook JSON ({err.__class__.__name__}: "
                                       f"{err}); it may be truncated or edited outside Jupyter")
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return Problem("invalid_notebook", f"{path.name} is JSON but not a Jupyter notebook (no list of cells)")
    try:
        nbformat.validate(nbformat.reads(raw.decode("utf-8"), as_version=4))
    except Exception as err:  # nbformat raises several kinds of validation errors
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else err.__class__.__name__
        return Problem("invalid_notebook", f"{path.name} is not a valid notebook: {first_line}")
    return None


def inspect(submitted: Path, assignment: str, notebooks: list[str]) -> list[Submission]:
    """Sort every learner's notebooks into gradable files and problems."""
    result = []
    for student in students(submitted):
        sub = Submission(student)
        folder = submitted / student / assignment
        present = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
        others = [p.name for p in present if p.stem not in notebooks]
        for name in notebooks:
            path = folder / f"{name}.ipynb"
            if path.is_file():
                problem = read_problem(path)
                if problem is None:
                    sub.gradable[name] = path
                else:
                    sub.problems[name] = problem
            elif others:
                sub.problems[name] = Problem(
                    "wrong_notebook_name",
                    f"{name}.ipynb is missing; found {', '.join(others)} instead. Submit the notebook "
                    f"under its original name {name}.ipynb")
            else:
                sub.problems[name] = Problem(
                    "missing_notebook", f"{name}.ipynb was not found in your {assignment} submission")
        result.append(sub)
    return result

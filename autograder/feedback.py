"""Per-learner feedback: what passed, and for each failed test the rule its message names.

Every word about a test comes from the grader (autograder/messages.py decides what an error may
say); tracebacks and cell sources never appear, because they would show the hidden tests. As a
last line of defence `render` withholds any line that holds a whole line of the hidden tests or
reference answers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

WITHHELD_LINE = "- (a line of this feedback was withheld: it quoted the hidden tests)"


@dataclass
class CellResult:
    notebook: str
    grade_id: str
    score: float | None  # None for an answer cell (not graded itself) that raised
    max_score: float | None
    error: str | None  # what the feedback says about the failure (built by the grader), or None
    said: list[str] = field(default_factory=list)  # `[feedback]` lines of the cell, checked against the source


def render(student: str, assignment: str, results: list[CellResult], notes: list[str],
           ungraded: set[str] = frozenset(), withheld: set[str] = frozenset()) -> tuple[str, bool]:
    """The feedback file's text, and whether a line had to be withheld.
    `ungraded`: notebooks that could not be graded at all (their problem is in `notes`);
    `withheld`: lines of the source notebooks that the release does not show."""
    graded = [r for r in results if r.max_score is not None]
    total = sum(r.score or 0 for r in graded)
    maximum = sum(r.max_score for r in graded)
    lines = [f"# {assignment}: feedback for {student}", "", f"Score: {total:g} / {maximum:g}", ""]
    if notes:
        lines += ["## Problems with the submission", ""] + [f"- {n}" for n in notes] + [""]
    for notebook in dict.fromkeys(r.notebook for r in results):
        lines += [f"## {notebook}.ipynb", ""]
        for r in results:
            if r.notebook != notebook:
                continue
            if r.notebook in ungraded:
                lines.append(f"- not graded `{r.grade_id}`: 0 / {r.max_score:g} (see the problem above)")
                continue
            if r.max_score is None:
                lines.append(f"- answer cell `{r.grade_id}` raised {r.error}")
            elif r.score is not None and r.score >= r.max_score:
                lines.append(f"- passed `{r.grade_id}`: {r.score:g} / {r.max_score:g}")
            else:
                lines.append(f"- FAILED `{r.grade_id}`: {r.score or 0:g} / {r.max_score:g}: "
                             f"{r.error or 'the test did not pass'}")
            lines += [f"  > {line}" for line in r.said[:20]]
        lines.append("")
    scrubbed = [WITHHELD_LINE if any(w in line for w in withheld) else line for line in lines]
    return "\n".join(scrubbed), scrubbed != lines


def write_feedback(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)

"""Per-learner feedback: what passed, and for each failed test the rule its message names.

Only the exception's type and message are kept. Tracebacks and cell sources never are,
because they would show the hidden tests.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# A test cell that wants to tell the learner something (why an answer is right) prints a line
# starting with this; nothing else a cell prints reaches the feedback (it could echo hidden inputs).
FEEDBACK_PREFIX = "[feedback] "


@dataclass
class CellResult:
    notebook: str
    grade_id: str
    score: float | None  # None for an answer cell (not graded itself) that raised
    max_score: float | None
    error: str | None  # "ErrorName: message", or None
    printed: str = ""  # what the test cell printed


def explain(error: str | None) -> str:
    if not error:
        return "the test did not pass"
    error = ANSI.sub("", error).strip()
    if error.startswith("NotImplementedError"):
        return "not answered yet (the function still raises NotImplementedError)"
    if error.startswith("CellTimeoutError"):
        return "stopped: the cell ran past the time limit (an endless loop, or far too much work?)"
    if error.startswith("NameError"):
        return f"{error} (did an earlier answer cell fail to run, or is a name misspelt?)"
    return error


def write_feedback(path: Path, student: str, assignment: str, results: list[CellResult],
                   notes: list[str], ungraded: set[str] = frozenset()) -> None:
    """`ungraded`: notebooks that could not be graded at all (their problem is in `notes`)."""
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
            elif r.max_score is None:
                lines.append(f"- answer cell `{r.grade_id}` raised {explain(r.error)}")
            elif r.score is not None and r.score >= r.max_score:
                lines.append(f"- passed `{r.grade_id}`: {r.score:g} / {r.max_score:g}")
            else:
                lines.append(f"- FAILED `{r.grade_id}`: {r.score or 0:g} / {r.max_score:g}: {explain(r.error)}")
            if r.notebook not in ungraded:
                said = [l[len(FEEDBACK_PREFIX):] for l in ANSI.sub("", r.printed).splitlines()
                        if l.startswith(FEEDBACK_PREFIX)]
                lines += [f"  > {line}" for line in said[:20]]
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))

"""One learner's executed notebook, read by the grader from outside the kernel: which graded cells
really ran (their proofs), what each failure may say, which `[feedback]` lines stand, what the
learner's own code reaches for, and what happened while it ran."""
from __future__ import annotations

from dataclasses import dataclass, field

from .feedback import CellResult
from .flags import sentence
from .incidents import incidents_of
from .messages import NotebookTexts
from .nbtools import grade_id
from .proof import FINAL_ID, RunProofs, shown
from .scan import scan
from .submissions import Problem


@dataclass
class Verdict:
    results: list[CellResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)  # graded cells nbgrader scored that did not prove they ran


def _outputs(executed) -> tuple[dict[str, list[tuple[str, str]]], dict[str, str]]:
    """grade_id -> [(ename, evalue)] of every cell that raised, and grade_id -> what it printed."""
    errors, printed = {}, {}
    for cell in executed.cells:
        gid = grade_id(cell)
        if not gid:
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.setdefault(gid, []).append((str(out.get("ename", "")), str(out.get("evalue", ""))))
            elif out.get("output_type") == "stream" and out.get("name") == "stdout":
                printed[gid] = printed.get(gid, "") + str(out.get("text", ""))
    return errors, printed


def learner_code(submitted, released) -> list[tuple[str, str]]:
    """(where, source) of every code cell the learner wrote or changed: answer cells and added
    cells; a cell identical to one of the release is ours."""
    ours = {c.source.strip() for c in released.cells if c.cell_type == "code"}
    found = []
    for index, cell in enumerate(submitted.cells, 1):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or meta.get("locked") or cell.source.strip() in ours:
            continue
        found.append((f"cell `{meta['grade_id']}`" if meta.get("grade_id") else f"cell {index}", cell.source))
    return found


def judge(name: str, executed, submitted, released, cells: list[tuple[str, float]], scores: dict[str, float],
          texts: NotebookTexts, proofs: RunProofs) -> Verdict:
    verdict = Verdict()
    errors, printed = _outputs(executed)
    proved = shown(executed)

    unexpected = False
    for gid, points in cells:
        score = scores.get(gid, 0.0)
        judged = [texts.judge(*e) for e in errors.get(gid, [])]
        unexpected |= any(j.flag for j in judged)
        said, other = texts.feedback_lines(printed.get(gid, ""))
        unexpected |= other
        error = "; ".join(dict.fromkeys(j.text for j in judged)) or None
        if score > 0 and proofs.expected(name, gid) not in proved.get(gid, set()):
            verdict.not_run.append(gid)
            score, error = 0.0, "the test did not run to its end as written (something skipped or rewrote it)"
        verdict.results.append(CellResult(name, gid, score, points, error, said))
    graded = dict(cells)
    for gid, raised in errors.items():  # answer cells (not graded themselves) that raised
        if gid not in graded and gid != FINAL_ID:
            judged = [texts.judge(*e) for e in raised]
            unexpected |= any(j.flag for j in judged)
            verdict.results.append(CellResult(name, gid, None, None, "; ".join(j.text for j in judged)))

    if verdict.not_run:
        verdict.problems.append(Problem("test_not_run", f"{sentence('test_not_run')} ({', '.join(verdict.not_run)})"))
    final_errors = errors.get(FINAL_ID, [])
    if not final_errors and proofs.expected(name, FINAL_ID) not in proved.get(FINAL_ID, set()):
        verdict.problems.append(Problem("hooked", f"{sentence('hooked')} (the grader's last check did not run)"))
    if unexpected:
        verdict.problems.append(Problem("unexpected_message", sentence("unexpected_message")))
    suspicious = [f"{where}, line {n}: `{line[:120]}` ({why})"
                  for where, source in learner_code(submitted, released) for n, line, why in scan(source)]
    if suspicious:
        verdict.problems.append(Problem("suspicious_code", f"{sentence('suspicious_code')}: " + "; ".join(suspicious[:10])))
    incidents = incidents_of(executed)
    if any(p.flag == "hooked" for p in incidents):
        verdict.problems = [p for p in verdict.problems if p.flag != "hooked"]
    verdict.problems += incidents
    return verdict

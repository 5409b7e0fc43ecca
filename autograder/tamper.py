"""Compare a learner's notebook with the released one before grading, repair what nbgrader
would choke on, and name every change to what the learner may not change.

nbgrader itself restores locked cells, points and cell types from the gradebook; this module
makes those changes visible (flags and a sentence), and handles what nbgrader would refuse: a
grade id used twice (only the first is kept graded) or one the assignment does not have (graded
as an ordinary cell)."""
from __future__ import annotations

import re
from collections import Counter

from .flags import sentence
from .nbtools import grade_id
from .submissions import Problem

# Assigning to, or setattr on, what the tests compare with (the guard cell checks identities at
# run time; this catches the attempt in the source as well).
PATCHING = re.compile(r"(\btorch\.(equal|allclose)|\bTensor\.(__eq__|tolist)|\bbuiltins\.\w+|\b_comparisons)\s*=(?!=)"
                      r"|setattr\(\s*(torch|builtins|torch\.Tensor)\b")
GRADED_KEYS = ("grade", "solution", "locked", "task", "points")


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def inspect_and_repair(submitted, released) -> list[Problem]:
    """Repairs `submitted` (an nbformat notebook) in place; returns what was found."""
    problems: list[Problem] = []
    original = {grade_id(c): c for c in released.cells if grade_id(c)}

    counts = Counter(grade_id(c) for c in submitted.cells if grade_id(c))
    duplicates = sorted(g for g, n in counts.items() if n > 1)
    unknown = sorted(g for g in counts if g not in original)
    seen = set()
    for cell in submitted.cells:
        gid = grade_id(cell)
        if gid and (gid in seen or gid in unknown):
            cell.metadata.pop("nbgrader", None)  # an ordinary cell now: runs, never scored
        seen.add(gid)
    if duplicates:
        problems.append(Problem("duplicate_grade_ids", f"{sentence('duplicate_grade_ids')} ({', '.join(duplicates)})"))
    if unknown:
        problems.append(Problem("unknown_grade_ids", f"{sentence('unknown_grade_ids')} ({', '.join(unknown)})"))

    theirs = {grade_id(c): c for c in submitted.cells if grade_id(c)}
    edited = [g for g, c in original.items() if _nbgrader(c).get("locked") and g in theirs
              and theirs[g].source != c.source]
    deleted = [g for g, c in original.items() if _nbgrader(c).get("locked") and g not in theirs]  # an
    # unanswered question is not tampering: a deleted answer cell just scores nothing
    if edited or deleted:
        parts = ([f"edited: {', '.join(edited)}"] if edited else []) + ([f"deleted: {', '.join(deleted)}"] if deleted else [])
        problems.append(Problem("tampered", f"{sentence('tampered')} ({'; '.join(parts)})"))
    changed = [g for g, c in original.items() if g in theirs and (
        theirs[g].cell_type != c.cell_type
        or any(_nbgrader(theirs[g]).get(k) != _nbgrader(c).get(k) for k in GRADED_KEYS))]
    if changed:
        problems.append(Problem("tampered_metadata", f"{sentence('tampered_metadata')} ({', '.join(changed)})"))
    patched = [grade_id(c) or f"cell {i + 1}" for i, c in enumerate(submitted.cells)
               if c.cell_type == "code" and not _nbgrader(c).get("locked") and PATCHING.search(c.source)]
    if patched:
        problems.append(Problem("tampered_comparisons", f"{sentence('tampered_comparisons')} (code assigns to them "
                                f"in {', '.join(patched)})"))
    return problems

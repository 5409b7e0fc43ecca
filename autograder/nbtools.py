"""Read the source notebooks and build learner submissions from the release (for tests,
benchmarks and instructors checking an exercise)."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

MARKER = re.compile(r"^\s*### (BEGIN|END) (SOLUTION|HIDDEN TESTS)\s*$")


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def solution_sources(source_nb: Path) -> dict[str, str]:
    """answer grade_id -> the reference answer as a learner would type it (markers removed)."""
    nb = nbformat.read(source_nb, as_version=4)
    return {grade_id(c): "\n".join(l for l in c.source.splitlines() if not MARKER.match(l))
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


def edited(reference: dict[str, str], cell: str, *edits: tuple[str, str]) -> dict[str, str]:
    """{cell: the reference source of `cell` with each (old, new) replacement applied once}: a
    plausible wrong answer. Each `old` must occur exactly once, so that a changed reference
    fails loudly instead of silently making a different variant."""
    source = reference[cell] + "\n"  # so that an edit of the last line may end in a newline too
    for old, new in edits:
        found = source.count(old)
        assert found == 1, f"{cell}: the text to replace occurs {found} times in the reference, not once: {old!r}"
        source = source.replace(old, new)
    return {cell: source.removesuffix("\n")}


def marked_lines(source_nb: Path, kind: str, min_len: int) -> list[str]:
    """Stripped lines of at least min_len characters between the BEGIN/END `kind` markers
    (kind: "SOLUTION" or "HIDDEN TESTS")."""
    lines, inside = [], False
    for cell in nbformat.read(source_nb, as_version=4).cells:
        for line in cell.source.splitlines():
            m = MARKER.match(line)
            if m and m.group(2) == kind:
                inside = m.group(1) == "BEGIN"
            elif inside and len(line.strip()) >= min_len:
                lines.append(line.strip())
    return lines


def filled(release_nb: Path, answers: dict[str, str]):
    """The released notebook with some answer cells replaced (what a learner submits)."""
    nb = nbformat.read(release_nb, as_version=4)
    for cell in nb.cells:
        if grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    return nb

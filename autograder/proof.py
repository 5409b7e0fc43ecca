"""Proof that each graded cell ran as written, checked from outside the learner's kernel.

nbgrader counts a test cell as passed when its output holds no error, and learner code in the
same kernel can make a cell hold no error without running it (an IPython input transformer that
turns every cell into `pass`, a patched traceback display, ...). So for each grading run the
grader makes fresh random values and adds two lines to every graded cell of a private copy of the
source notebooks, the copy that nbgrader restores locked cells from:

    _comparisons.begin_test("test_x", "<begin>")    first line: checks the hooks, remembers <begin>
    ...the test as written...
    _comparisons.end_test("<end>")                  last line: checks again, shows a proof

The proof (course_support.integrity.proof) mixes both values, so `pass`, a cell cut short or one
that failed shows none; the grader knows what each cell must show. A last locked cell does the
same check after the learner's final cell. The values exist only in the grader's temporary
folder and in the cells as they run: never in the release or on the kernel's disk.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

import nbformat

from course_support.integrity import PROOF_MIME, proof

FINAL_ID = "grading_final_check"


def _value(key: bytes, *parts: str) -> str:
    return hmac.new(key, "/".join(parts).encode(), hashlib.sha256).hexdigest()[:24]


class RunProofs:
    """The values and expected proofs of one grading run."""

    def __init__(self, key: bytes | None = None):
        self._key = key or secrets.token_bytes(32)

    def _pair(self, notebook: str, grade_id: str) -> tuple[str, str]:
        return _value(self._key, notebook, grade_id, "begin"), _value(self._key, notebook, grade_id, "end")

    def expected(self, notebook: str, grade_id: str) -> str:
        return proof(grade_id, *self._pair(notebook, grade_id))

    def final_cell(self, notebook: str):
        begin, end = self._pair(notebook, FINAL_ID)
        cell = nbformat.v4.new_code_cell(f"_comparisons.final_check({FINAL_ID!r}, {begin!r}, {end!r})")
        cell.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True, "task": False,
                                     "grade_id": FINAL_ID, "schema_version": 3}
        return cell

    def instrument(self, source_nb: Path, dest: Path) -> None:
        """Write `source_nb` with every graded cell wrapped and the final check appended."""
        nb = nbformat.read(source_nb, as_version=4)
        name = source_nb.stem
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("grade"):
                begin, end = self._pair(name, meta["grade_id"])
                cell.source = (f"_comparisons.begin_test({meta['grade_id']!r}, {begin!r})\n"
                               f"{cell.source.rstrip()}\n_comparisons.end_test({end!r})")
        nb.cells.append(self.final_cell(name))
        dest.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, dest)


def shown(executed_nb) -> dict[str, set[str]]:
    """grade_id -> the proofs each cell of an executed notebook showed."""
    found: dict[str, set[str]] = {}
    for cell in executed_nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid:
            found.setdefault(gid, set()).update(
                str(out["data"][PROOF_MIME]) for out in cell.get("outputs", [])
                if out.get("output_type") == "display_data" and PROOF_MIME in out.get("data", {}))
    return found

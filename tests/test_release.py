"""notebooks/ is exactly what nbgrader generates from solutions/, and carries no answers."""
import json
import subprocess
import sys

from autograder import release

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def test_committed_release_is_fresh(root):
    result = subprocess.run([sys.executable, "-m", "autograder.release", "--check"], cwd=root,
                            capture_output=True, text=True)
    assert result.returncode == 0, f"notebooks/ is stale (run `make release`):\n{result.stdout}{result.stderr}"


def test_every_assignment_is_released(root):
    released = sorted(p.parent.name for p in (root / "notebooks").glob("*/*.ipynb"))
    assert released == release.assignments()


def test_staleness_is_detected(tmp_path):
    """The comparison behind --check sees a changed, a missing and an extra file."""
    a, b = tmp_path / "a", tmp_path / "b"
    for tree in (a, b):
        (tree / "ex").mkdir(parents=True)
        (tree / "ex" / "same.ipynb").write_text("{}")
        (tree / "ex" / "edited.ipynb").write_text("{}")
    (b / "ex" / "edited.ipynb").write_text('{"cells": []}')
    (a / "ex" / "only_in_a.ipynb").write_text("{}")
    (b / "ex" / "only_in_b.ipynb").write_text("{}")
    assert release.differences(a, b) == ["ex/edited.ipynb", "ex/only_in_a.ipynb", "ex/only_in_b.ipynb"]


def notebooks(folder):
    return sorted(p for p in folder.glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def test_release_has_no_solution_or_hidden_test(root):
    for path in notebooks(root / "notebooks"):
        text = path.read_text()
        found = [m for m in MARKERS if m in text]
        assert not found, f"{path.relative_to(root)} contains {found}"


def test_notebooks_are_committed_without_outputs(root):
    for path in notebooks(root / "solutions") + notebooks(root / "notebooks"):
        nb = json.loads(path.read_text())
        dirty = [i for i, c in enumerate(nb["cells"]) if c.get("outputs") or c.get("execution_count")]
        assert not dirty, f"{path.relative_to(root)}: cells {dirty} carry outputs; clear them"

"""nbgrader's Validate, as a learner runs it from the command line, on every exercise:
the source passes every test, and a blank release fails every test."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def assignments(root):
    return sorted(p.parent.name for p in (root / "solutions").glob("*/*.ipynb"))


def validate(notebook: Path, *flags) -> str:
    nbgrader = Path(sys.executable).parent / "nbgrader"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    # nbgrader validate exits 0 even when validation fails: read its output instead.
    result = subprocess.run([str(nbgrader), "validate", *flags, str(notebook)], cwd=notebook.parent,
                            capture_output=True, text=True, env=env)
    return result.stdout + result.stderr


def test_source_notebooks_pass_validate(root):
    for name in assignments(root):
        for nb in (root / "solutions" / name).glob("*.ipynb"):
            out = validate(nb)
            assert "Success! Your notebook passes all the tests." in out, f"{nb.name}:\n{out[-3000:]}"


def test_a_released_notebook_fails_every_test(root):
    # One notebook for the command itself: tests/test_wheel.py runs every blank release (in a
    # fresh environment) and checks that each passes no test.
    nb = root / "notebooks" / "ex1_lm_dataset" / "ex1_lm_dataset.ipynb"
    out = validate(nb, "--invert")
    assert "Success! The notebook does not pass any tests." in out, f"{nb.name}:\n{out[-3000:]}"

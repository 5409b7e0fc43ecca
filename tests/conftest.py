import os
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")  # in this process only: kernels started by tests keep their inline plots

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests' own helpers (contract.py)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def tok():
    from course_support import load_tokenizer
    return load_tokenizer()


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The book, built once per test run into a temporary folder (warnings are errors)."""
    out = tmp_path_factory.mktemp("book")
    jb = Path(sys.executable).parent / "jupyter-book"
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # kernels plot inline
    result = subprocess.run([str(jb), "build", str(ROOT), "--path-output", str(out), "--warningiserror",
                             "--nitpick", "--keep-going"], capture_output=True, text=True, env=env)
    assert result.returncode == 0, f"book build failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return out / "_build" / "html"

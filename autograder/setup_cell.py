"""The set-up cell that opens every release notebook (and every chapter opened as a notebook).

Where `course_support` imports (the course environment, Binder, a course hub, the grader) the
cell does nothing. Elsewhere (Colab, a fresh hub) it installs the course library with pip from
the course's published repository: `repository.url` and `repository.branch` in `_config.yml`,
the one place where a course run elsewhere names its own. `make release` writes the cell into
each source notebook in solutions/ (and so into notebooks/), replacing an older one.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import yaml

from . import ROOT

TAG = "course-setup"  # the cell's tag: how the release finds the cell it wrote before
GRADE_ID = "course_setup"


def book_config(path: Path = ROOT / "_config.yml") -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def library_address(config: dict | None = None) -> str:
    """The pip requirement that installs the course library from the published repository."""
    repository = (config or book_config())["repository"]
    url = repository["url"].rstrip("/")
    return f"course-support @ git+{url}@{repository.get('branch', 'main')}"


def setup_cell_source(config: dict | None = None) -> str:
    return (
        "# Set-up. Where the course library is installed (the course environment, Binder, a\n"
        "# course hub) this cell does nothing; elsewhere (Colab, a fresh hub) it installs it once.\n"
        "import importlib.util\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        f'COURSE_LIBRARY = "{library_address(config)}"\n'
        'if importlib.util.find_spec("course_support") is None:\n'
        '    print(f"installing the course library: pip install \\"{COURSE_LIBRARY}\\" ...")\n'
        '    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", COURSE_LIBRARY], check=True)\n'
        "    importlib.invalidate_caches()\n"
        '    print("installed course_support: go on with the next cell")'
    )


def setup_cell(config: dict | None = None) -> dict:
    """The cell as nbformat 4 JSON. It runs before the locked cell that guards the tests'
    comparisons, so it is locked too: the grader restores its source, and no learner code runs
    before the guard."""
    return {"cell_type": "code", "execution_count": None, "id": "course-setup",
            "metadata": {"deletable": False, "editable": False, "tags": [TAG],
                         "nbgrader": {"grade": False, "grade_id": GRADE_ID, "locked": True,
                                      "schema_version": 3, "solution": False, "task": False}},
            "outputs": [], "source": setup_cell_source(config)}


def is_setup_cell(cell: dict) -> bool:
    return TAG in cell.get("metadata", {}).get("tags", [])


def with_setup_cell(notebook, config: dict | None = None):
    """The nbformat notebook with the current set-up cell as its first code cell (after the
    title and any other markdown that opens it), an older set-up cell removed."""
    notebook = nbformat.from_dict(notebook)
    cells = [c for c in notebook.cells if not is_setup_cell(c)]
    first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))
    cells.insert(first_code, nbformat.from_dict(setup_cell(config)))
    notebook.cells = cells
    return notebook


def refresh(path: Path, config: dict | None = None, *, write: bool = True) -> bool:
    """Put the current set-up cell into the notebook at `path`; True when it changed (written
    only when `write`)."""
    text = path.read_text(encoding="utf-8")
    new = nbformat.writes(with_setup_cell(nbformat.reads(text, as_version=4), config)) + "\n"
    if new == text:
        return False
    if write:
        path.write_text(new, encoding="utf-8")
    return True

"""The course library as learners install it: a wheel, installed into a fresh virtual
environment in a temporary folder with no checkout beside it, runs every release notebook and
every chapter notebook (book/notebooks/, the chapters with widgets).

Only the answers' NotImplementedError (and the tests and demonstrations that need the answers)
may fail there; everything else (the set-up cell, the corpus, the tokenizer, the checkpoints,
the plots) must run from the installed package alone."""
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
# What the notebooks' kernel needs besides the library, at the course's pinned versions.
KERNEL_PACKAGES = ("torch", "numpy", "tokenizers", "matplotlib", "tqdm", "ipywidgets", "ipykernel")

pytestmark = pytest.mark.slow


def pins(names) -> list[str]:
    lines = [l.split("#")[0].strip() for l in (ROOT / "requirements.txt").read_text().splitlines()]
    found = {l.split("==")[0].lower(): l for l in lines if "==" in l}
    return [found[n] for n in names]


def build_wheel(out: Path) -> Path:
    """`pip wheel` of a copy of what the wheel is built from (no build/ leftovers of the checkout)."""
    source = out / "source"
    source.mkdir(parents=True)
    shutil.copy(ROOT / "pyproject.toml", source)
    for tree in ("course_support", "data"):
        shutil.copytree(ROOT / tree, source / tree, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(source)], check=True, capture_output=True)
    return next(out.glob("course_support-*.whl"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(wheel, python of a fresh venv holding it, seconds to install)."""
    tmp = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(tmp / "dist")
    venv = tmp / "venv"
    started = time.perf_counter()
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    result = subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel), *pins(KERNEL_PACKAGES)],
                            capture_output=True, text=True, cwd=tmp)
    assert result.returncode == 0, result.stderr[-3000:]
    print(f"\nwheel {wheel.stat().st_size / 2**20:.1f} MiB; fresh venv installed in "
          f"{time.perf_counter() - started:.0f} s")
    return wheel, python


def clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("COURSE_DATA_DIR", "PYTHONPATH", "VIRTUAL_ENV")}


def test_the_wheel_carries_the_library_and_its_data_not_the_instructors_tools(installed):
    wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.startswith(("autograder/", "solutions/", "tests/", "scripts/"))]
    shipped = {p.relative_to(ROOT / "data").as_posix() for p in (ROOT / "data").rglob("*") if p.is_file()}
    packaged = {n.removeprefix("course_support/data/") for n in names if n.startswith("course_support/data/")}
    assert shipped == packaged, f"data/ files missing from the wheel: {sorted(shipped - packaged)}"
    assert "course_support/lab.py" in names


def test_the_installed_library_verifies_its_data_far_from_any_checkout(installed, tmp_path):
    _, python = installed
    check = ("import course_support, pathlib\n"
             "files = course_support.verify()\n"
             "assert 'site-packages' in str(course_support.data_dir()), course_support.data_dir()\n"
             "assert course_support.load_tokenizer().vocab_size == 4096\n"
             "from course_support.transfer import load_pretrained_encoder\n"
             "load_pretrained_encoder()\n"
             "import importlib.util; assert importlib.util.find_spec('autograder') is None\n")
    result = subprocess.run([str(python), "-c", check], cwd=tmp_path, env=clean_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "course data OK: 12 files" in result.stdout


def error_of(cell) -> dict | None:
    return next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)


def failures_without_answers(notebook) -> list[str]:
    """Cells that failed for another reason than the missing answers. An answer cell may only
    raise NotImplementedError, and so may the cells that call an answer; once a cell has, later
    cells may also fail with NameError (a class whose body raised is never defined, a result
    never computed), and test cells may fail in any way. Anything else (a missing file, an import error) is a failure."""
    problems, answers_missing = [], False
    for cell in notebook.cells:
        error = error_of(cell) if cell.cell_type == "code" else None
        if error is None:
            continue
        grading = cell.metadata.get("nbgrader", {})
        name = error["ename"]
        if grading.get("solution"):
            ok = name == "NotImplementedError"
        else:
            ok = grading.get("grade") or name == "NotImplementedError" or (answers_missing and name == "NameError")
        answers_missing |= name == "NotImplementedError"
        if not ok:
            problems.append(f"cell {grading.get('grade_id', cell.get('id'))}: {name}: {error['evalue'][:300]}")
    return problems


def executed(path: Path, seconds: dict, label: str):
    """The notebook at `path`, run top to bottom in the fresh venv's kernel (errors kept as
    outputs); its wall time goes into `seconds[label]`."""
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(notebook, kernel_name="course-wheel", allow_errors=True, timeout=300,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds[label] = round(time.perf_counter() - started, 1)
    return notebook


def test_every_release_and_chapter_notebook_runs_in_the_fresh_environment(installed, tmp_path, monkeypatch):
    _, python = installed
    # A kernel spec for the fresh venv's Python, found first through JUPYTER_PATH.
    spec = tmp_path / "jupyter" / "kernels" / "course-wheel"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "course wheel", "language": "python"}))
    for key in ("COURSE_DATA_DIR", "PYTHONPATH"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    # As under nbgrader's Validate: the long runs (ex5's six-minute ladder, ex3's lab) shrink.
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    problems, seconds = [], {}
    for path in sorted((tmp_path / "notebooks").glob("*/*.ipynb")):
        notebook = executed(path, seconds, path.stem)
        ran = [c for c in notebook.cells if c.cell_type == "code" and c.get("execution_count")]
        assert ran, f"{path.name}: no cell ran"
        problems += [f"{path.name}, {p}" for p in failures_without_answers(notebook)]
        # What nbgrader's `validate --invert` asks of a blank release: it passes no test.
        passing = [c.metadata["nbgrader"]["grade_id"] for c in notebook.cells
                   if c.metadata.get("nbgrader", {}).get("grade") and error_of(c) is None]
        assert not passing, f"{path.name}: the blank release passes the tests {passing}"
        setup = next(c for c in notebook.cells if "course-setup" in c.metadata.get("tags", []))
        assert not setup.outputs, f"{path.name}: the set-up cell did something: {setup.outputs}"
    # The chapters with widgets, as a reader opens them on Colab or Binder: every cell runs.
    shutil.copytree(ROOT / "book" / "notebooks", tmp_path / "chapters")
    for path in sorted((tmp_path / "chapters").glob("*.ipynb")):
        notebook = executed(path, seconds, f"book/notebooks/{path.stem}")
        problems += [f"book/notebooks/{path.name}, cell {c.get('id')}: {e['ename']}: {e['evalue'][:300]}"
                     for c in notebook.cells if (e := error_of(c))]
    print(f"\nnotebooks in the fresh venv, seconds: {seconds}")
    assert not problems, "cells that must run without the answers failed:\n" + "\n".join(problems)


def test_the_set_up_cell_installs_the_library_where_it_is_missing(installed, tmp_path):
    """Colab or a fresh hub, played here: the library uninstalled from the fresh venv, the
    release's set-up cell run with its address pointed at this repository's commit (git+file
    instead of the published URL), and the library then imports and verifies. Runs last: it
    changes the module's venv."""
    _, python = installed
    subprocess.run([str(python), "-m", "pip", "uninstall", "--quiet", "-y", "course-support"], check=True)
    cell = next(c for c in nbformat.read(ROOT / "notebooks" / "ex1_lm_dataset" / "ex1_lm_dataset.ipynb", 4).cells
                if "course-setup" in c.metadata.get("tags", []))
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    published = re.search(r'^COURSE_LIBRARY = "(.+)"$', cell.source, re.M)[1]
    here = f"course-support @ git+file://localhost{ROOT}@{commit}"  # a host: pip rejects git+file:///
    code = cell.source.replace(published, here) + "\nimport course_support\ncourse_support.verify()\n"
    result = subprocess.run([str(python), "-c", code], cwd=tmp_path, env=clean_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert published.startswith("course-support @ git+https://") and published.endswith("@main")
    assert "installing the course library" in result.stdout and "installed course_support" in result.stdout
    assert "course data OK: 12 files" in result.stdout

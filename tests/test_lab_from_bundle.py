"""The lab's command as a learner runs it: `python -m course_support.lab` in the unpacked
learners' zip (no solutions/, no autograder/; nothing installed, the bundle on PYTHONPATH),
with the answers of the learner's own notebooks. A learner who finished exercises 1 and 3
gets the run's files under runs/lab/<preset>; the blank release gets one sentence and exit
status 2."""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.nbtools import filled, solution_sources

TOP = "pretraining-course"  # the folder the zip unpacks into


@pytest.fixture(scope="module")
def archive(root, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lab-bundle") / "x.zip"
    result = subprocess.run([sys.executable, "scripts/learner_bundle.py", "--out", str(out), "--skip-release-check"],
                            cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return out


def unpacked(archive: Path, folder: Path) -> Path:
    with zipfile.ZipFile(archive) as z:
        z.extractall(folder)
    return folder / TOP


def run_lab(bundle: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_DATA_DIR", "PYTHONPATH")}
    env["PYTHONPATH"] = str(bundle)
    return subprocess.run([sys.executable, "-m", "course_support.lab", *args], cwd=bundle, env=env,
                          capture_output=True, text=True, timeout=300)


def test_blank_release_says_what_it_needs_in_one_sentence(archive, tmp_path):
    bundle = unpacked(archive, tmp_path)
    result = run_lab(bundle, "--preset", "tiny")
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stdout == "" and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    for needle in ("`train`", "ex3_training_loop.ipynb", "NotImplementedError", "finish exercise 3 first"):
        assert needle in result.stderr, result.stderr
    assert not (bundle / "runs").exists()


@pytest.mark.slow
def test_finished_learner_runs_the_tiny_lab(root, archive, tmp_path):
    """A learner who finished exercises 1 and 3: the reference answers typed into the
    released notebooks' answer cells (markers removed), saved."""
    bundle = unpacked(archive, tmp_path)
    for name in ("ex1_lm_dataset", "ex3_training_loop"):
        notebook = bundle / "notebooks" / name / f"{name}.ipynb"
        nbformat.write(filled(notebook, solution_sources(root / "solutions" / name / f"{name}.ipynb")), notebook)
    result = run_lab(bundle, "--preset", "tiny", "--threads", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "your answers, from notebooks/ex3_training_loop/ex3_training_loop.ipynb and " \
           "notebooks/ex1_lm_dataset/ex1_lm_dataset.ipynb" in result.stdout, result.stdout[:2000]
    out = bundle / "runs" / "lab" / "tiny"
    assert (out / "curves.png").stat().st_size > 0
    history = json.loads((out / "results.json").read_text())["history"]
    assert len(history["loss"]) == 60 and history["val_loss"], "the tiny preset's 60 steps, evaluated"

"""Both ways of collecting learners' notebooks into autograder/submitted/, with real nbgrader,
in a temporary copy of the course (the repository is never written).

(a) nbgrader's exchange, on a machine that instructor and learners share (a JupyterHub, or
one server where each learner has a login). Once: create the exchange folder, writable by
everyone (`mkdir -p /srv/nbgrader/exchange && chmod 777 /srv/nbgrader/exchange`), and name it
in `autograder/nbgrader_config.py` and in a machine-wide `/etc/jupyter/nbgrader_config.py`
that learners read:

    c.Exchange.root = "/srv/nbgrader/exchange"
    c.CourseDirectory.course_id = "pretraining-strategies"   # the learners' file needs it too

Instructor, in the repository (nbgrader must come from the environment and read the course's
configuration):

    source .venv/bin/activate && export JUPYTER_CONFIG_PATH=autograder
    nbgrader release_assignment ex1_lm_dataset

Each learner, in their home folder (the learner id is their login name):

    nbgrader fetch_assignment ex1_lm_dataset      # or the Assignments tab in Jupyter
    ...   work in ex1_lm_dataset/ex1_lm_dataset.ipynb
    nbgrader submit ex1_lm_dataset

Instructor, after the deadline (collect copies the latest submission of each learner into
autograder/submitted/<login>/ex1_lm_dataset/):

    nbgrader collect ex1_lm_dataset
    python -m autograder.grade ex1_lm_dataset

(b) archives downloaded from a learning-management system, here Canvas's "Download
submissions" zip (the file-name pattern, and how to adapt it to another system, are in
autograder/zip_collect_config.py):

    source .venv/bin/activate && export JUPYTER_CONFIG_PATH=autograder
    mkdir -p autograder/downloaded/ex1_lm_dataset/archive
    cp ~/Downloads/submissions.zip autograder/downloaded/ex1_lm_dataset/archive/
    nbgrader zip_collect ex1_lm_dataset --ZipCollectApp.config_file=autograder/zip_collect_config.py
    python -m autograder.grade ex1_lm_dataset

zip_collect refuses to overwrite an earlier collection: add --force to redo one.

Here the exchange, the course root and the gradebook are temporary folders passed on the
command line; the learners all share one login, so `submit` gets `--student=<id>` and the
learners' nbgrader sees none of the instructor's configuration.
"""
import csv
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.nbtools import filled, solution_sources
from autograder.release import nbgrader_env
from autograder.submissions import inspect, students
from leaks import run_grading

pytestmark = pytest.mark.slow
ASSIGNMENT = "ex1_lm_dataset"
COURSE_ID = "pretraining-strategies"
# Where nbgrader would write if a command escaped its temporary course folder.
WATCHED = ["autograder/gradebook.db", "autograder/submitted", "autograder/autograded", "autograder/downloaded",
           "downloaded", "submitted", "release", ".nbgrader.log"]


def snapshot(root: Path) -> dict[str, int | None]:
    """Modification time of every watched path and of everything under it (None: absent)."""
    times = {}
    for name in WATCHED:
        path = root / name
        for p in [path, *(path.rglob("*") if path.is_dir() else [])]:
            times[str(p.relative_to(root))] = p.stat().st_mtime_ns if p.exists() else None
    return times


@pytest.fixture(autouse=True)
def repository_untouched(root):
    before = snapshot(root)
    yield
    assert snapshot(root) == before, "nbgrader wrote into the repository"


@pytest.fixture
def course(root, tmp_path) -> Path:
    """A course folder holding the assignment's release; everything nbgrader writes goes here."""
    course = tmp_path / "course"
    shutil.copytree(root / "notebooks" / ASSIGNMENT, course / "notebooks" / ASSIGNMENT)
    (course / "autograder").mkdir()  # the gradebook's folder must exist
    return course


def check(result: subprocess.CompletedProcess) -> str:
    log = result.stdout + result.stderr
    assert result.returncode == 0 and "| ERROR]" not in log, log[-3000:]
    return log


def instructor(course: Path, *args: str) -> str:
    """nbgrader with the course's configuration, its root and gradebook moved to `course`."""
    cmd = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course}",
           f"--CourseDirectory.db_url=sqlite:///{course / 'autograder' / 'gradebook.db'}"]
    return check(subprocess.run(cmd, cwd=course, env=nbgrader_env(), capture_output=True, text=True))


def learner(home: Path, exchange: Path, *args: str) -> str:
    """nbgrader as a learner in their home folder: no course configuration, their own caches."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "jupyter-config").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(HOME=str(home), JUPYTER_CONFIG_PATH=str(home / "jupyter-config"),
               JUPYTER_CONFIG_DIR=str(home / ".jupyter"), JUPYTER_DATA_DIR=str(home / ".local/share/jupyter"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    cmd = [sys.executable, "-m", "nbgrader", *args, f"--course={COURSE_ID}", f"--Exchange.root={exchange}"]
    return check(subprocess.run(cmd, cwd=home, env=env, capture_output=True, text=True))


def test_exchange_release_fetch_submit_collect_then_grade(root, course, tmp_path):
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    instructor(course, "release_assignment", ASSIGNMENT, f"--Exchange.root={exchange}")
    assert (exchange / COURSE_ID / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()

    reference = solution_sources(root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    handed_in = {}
    for student in ["alice", "bob"]:
        home = tmp_path / "home" / student
        learner(home, exchange, "fetch_assignment", ASSIGNMENT)
        notebook = home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        if student == "alice":  # bob hands in the release untouched
            nbformat.write(filled(notebook, reference), notebook)
        handed_in[student] = notebook.read_bytes()
        learner(home, exchange, "submit", ASSIGNMENT, f"--student={student}")

    instructor(course, "collect", ASSIGNMENT, f"--Exchange.root={exchange}")
    submitted = course / "autograder" / "submitted"
    assert students(submitted) == ["alice", "bob"]
    for student, content in handed_in.items():
        assert (submitted / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes() == content
    assert all(sub.gradable and not sub.problems for sub in inspect(submitted, ASSIGNMENT, [ASSIGNMENT]))

    # The collected folder is what the grading command reads.
    out = tmp_path / "reports"
    result = run_grading([ASSIGNMENT, "--submitted", str(submitted), "--out", str(out)])
    assert result.returncode == 0, result.stderr[-3000:]
    with (out / "learners.csv").open() as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert rows["alice"]["score"] == rows["alice"]["max_score"] != "0" and rows["alice"]["flags"] == ""
    assert rows["bob"]["score"] == "0" and rows["bob"]["flags"] == ""


# A Canvas "Download submissions" zip: <name>_[late_]<user id>_<submission id>_<uploaded name>.
CANVAS_FILES = {
    "doejane_1001_50001_ex1_lm_dataset.ipynb": ("1001", "reference"),
    "smithjohn_late_1002_50002_ex1_lm_dataset.ipynb": ("1002", "blank"),  # handed in late
    "obrienmary_1003_50003_ex1_lm_dataset-1.ipynb": ("1003", "reference"),  # a resubmission
    "leeanna_1004_50004_ex1_lm_dataset.pdf": (None, None),  # not a notebook: skipped
}


def test_zip_collect_of_a_learning_management_system_archive(root, course):
    release = root / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    reference = solution_sources(root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    contents = {"reference": nbformat.writes(filled(release, reference)), "blank": release.read_text(),
                None: "%PDF-1.4 not a notebook"}
    archive = course / "autograder" / "downloaded" / ASSIGNMENT / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "submissions.zip", "w") as z:
        for name, (_, kind) in CANVAS_FILES.items():
            z.writestr(name, contents[kind])

    instructor(course, "zip_collect", ASSIGNMENT,
               f"--ZipCollectApp.config_file={root / 'autograder' / 'zip_collect_config.py'}")
    submitted = course / "autograder" / "submitted"
    expected = {student: kind for student, kind in CANVAS_FILES.values() if student}
    assert students(submitted) == sorted(expected)
    for student, kind in expected.items():
        folder = submitted / student / ASSIGNMENT
        assert [p.name for p in folder.iterdir()] == [f"{ASSIGNMENT}.ipynb"], student
        assert (folder / f"{ASSIGNMENT}.ipynb").read_text() == contents[kind], student
    assert all(sub.gradable and not sub.problems for sub in inspect(submitted, ASSIGNMENT, [ASSIGNMENT]))

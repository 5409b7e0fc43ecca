"""The instructor's side, in a real browser: nbgrader's formgrader page loads and lists the
course's assignments, and the grading command's reports (learners.csv and a learner's
feedback) open as readable pages.

Jupyter runs with the course's nbgrader configuration (as `autograder.release.nbgrader_env`
sets it), but with the gradebook and every folder nbgrader writes moved into a temporary
folder: the repository's files are never written."""
import csv
import io
import subprocess
import sys

import nbformat
import pytest

from browser import ROOT, answered_notebook, browser_context, jupyter_env, jupyter_lab, require_browser, serve_folder
from leaks import leaks_in

pytestmark = pytest.mark.slow

ASSIGNMENT = "ex1_lm_dataset"
LEARNER = "learner_one"
# One slip in an otherwise correct notebook: contexts as tuples.
WRONG = {"answer_make_ar_examples": '''def make_ar_examples(tokens):
    ids = list(tokens)
    return [(tuple(ids[:cut]), ids[cut]) for cut in range(1, len(ids))]'''}
FAILED_TEST, FAILED_RULE = "test_make_ar_examples_pairs", "every context must be a list"
WRITTEN_BY_NBGRADER = ["gradebook.db", "submitted", "autograded", "feedback"]


def course_assignments() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "solutions").glob("*/*.ipynb"))


def private_nbgrader_config(folder):
    """An nbgrader_config.py that loads the course's and moves what nbgrader writes into `folder`
    (the gradebook starts as a copy of the course's, when there is one)."""
    gradebook = ROOT / "autograder" / "gradebook.db"
    if gradebook.exists():
        (folder / "gradebook.db").write_bytes(gradebook.read_bytes())
    (folder / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"load_subconfig({str(ROOT / 'autograder' / 'nbgrader_config.py')!r})  # noqa: F821\n"
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(folder / 'gradebook.db')!r}\n"
        f"c.CourseDirectory.submitted_directory = {str(folder / 'submitted')!r}\n"
        f"c.CourseDirectory.autograded_directory = {str(folder / 'autograded')!r}\n"
        f"c.CourseDirectory.feedback_directory = {str(folder / 'feedback')!r}\n")


def repository_snapshot() -> set[str]:
    """What nbgrader could leave in the repository: files of the course's folders, and
    anything nbgrader writes under autograder/."""
    files = {str(p.relative_to(ROOT)) for folder in ("solutions", "notebooks") for p in (ROOT / folder).rglob("*")}
    return files | {name for name in WRITTEN_BY_NBGRADER if (ROOT / "autograder" / name).exists()}


@pytest.fixture(scope="module")
def browser():
    sync_api = require_browser()
    with browser_context(sync_api) as (context, watcher):
        yield context.new_page(), watcher


class Grading:
    """`python -m autograder.grade` for one learner with one wrong answer, run in the
    background (it takes the longest) while the formgrader is checked."""

    def __init__(self, home):
        submitted = home / "submitted" / LEARNER / ASSIGNMENT
        submitted.mkdir(parents=True)
        nbformat.write(answered_notebook(ASSIGNMENT, WRONG), submitted / f"{ASSIGNMENT}.ipynb")
        self.home, self.out = home, home / "reports"
        self.cmd = [sys.executable, "-m", "autograder.grade", ASSIGNMENT, "--submitted", str(home / "submitted"),
                    "--out", str(self.out)]
        self.process = self._start(self.cmd)

    def _start(self, cmd):
        with open(self.home / "grade.log", "w") as log:  # a file: a full pipe would stall it
            return subprocess.Popen(cmd, cwd=self.home, env=jupyter_env(self.home), stdout=log,
                                    stderr=subprocess.STDOUT)

    def reports(self):
        self.process.wait(timeout=600)
        if self.process.returncode == 3:  # no grading sandbox here; the code graded is the course's own
            self.process = self._start([*self.cmd, "--unsafe"])
            self.process.wait(timeout=600)
        log = (self.home / "grade.log").read_text()
        assert self.process.returncode == 0, f"grading failed ({self.process.returncode}):\n{log[-4000:]}"
        assert not leaks_in(self.out), f"feedback shows withheld lines: {leaks_in(self.out)}"
        return self.out


@pytest.fixture(scope="module")
def grading(tmp_path_factory):
    run = Grading(tmp_path_factory.mktemp("grading"))
    yield run
    if run.process.poll() is None:
        run.process.kill()
        run.process.wait()


def test_formgrader_lists_the_assignments(browser, grading, tmp_path_factory):  # grading starts first
    page, watcher = browser
    home = tmp_path_factory.mktemp("formgrader")
    (home / "nbgrader").mkdir()
    private_nbgrader_config(home / "nbgrader")
    env = jupyter_env(home, JUPYTER_CONFIG_PATH=str(home / "nbgrader"))
    before = repository_snapshot()
    # The course root must lie inside the server's root for the formgrader to find it.
    with jupyter_lab(ROOT, env, home / "jupyterlab.log") as url:
        page.goto(f"{url}/formgrader")
        # The assignments table is filled in by the page's script from the formgrader's API.
        first_column = "() => [...document.querySelectorAll('table tbody tr')].map(r => r.cells[0].innerText.trim())"
        page.wait_for_function(f"({first_column})().includes({course_assignments()[-1]!r})", timeout=60_000)
        listed = page.evaluate(first_column)
        problems = watcher.take()
    assert sorted(set(listed) & set(course_assignments())) == course_assignments(), f"the formgrader lists {listed}"
    assert not problems, "\n".join(problems)
    assert repository_snapshot() == before, f"the formgrader wrote into the repository: {repository_snapshot() ^ before}"


def test_grading_reports_open_as_pages(browser, grading):
    page, watcher = browser
    reports = grading.reports()
    with serve_folder(reports) as url:
        response = page.goto(f"{url}/learners.csv")
        assert response.status == 200
        shown = page.locator("body").inner_text()
        rows = list(csv.DictReader(io.StringIO(shown)))
        assert [r["student_id"] for r in rows] == [LEARNER], shown
        score, maximum = float(rows[0]["score"]), float(rows[0]["max_score"])
        assert 0 < score < maximum, f"one wrong answer must cost some points, not all: {shown}"

        response = page.goto(f"{url}/feedback/{LEARNER}/{ASSIGNMENT}.md")
        assert response.status == 200
        feedback = page.locator("body").inner_text()
        failed = [line for line in feedback.splitlines() if FAILED_TEST in line]
        assert failed and "FAILED" in failed[0] and FAILED_RULE in feedback, feedback[:3000]
        assert f"{score:g} / {maximum:g}" in feedback, feedback[:500]
    problems = watcher.take()
    assert not problems, "\n".join(problems)

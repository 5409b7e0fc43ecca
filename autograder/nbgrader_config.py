"""nbgrader configuration of the course. The course root is the repository's top level:
`solutions/` holds the source notebooks, `notebooks/` the learners' release, and everything
grading writes (submissions, autograded copies, feedback, the gradebook) lives under
`autograder/` and is ignored by git."""
from pathlib import Path

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "autograder"

c.CourseDirectory.course_id = "pretraining-strategies"
c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.submitted_directory = "autograder/submitted"
c.CourseDirectory.autograded_directory = "autograder/autograded"
c.CourseDirectory.feedback_directory = "autograder/feedback"
# An absolute path: a relative sqlite URL would resolve against the current folder.
c.CourseDirectory.db_url = f"sqlite:///{WORK / 'gradebook.db'}"

# Per-cell time limit while grading or validating; a runaway cell is interrupted and the
# rest of the notebook still runs. Long cells shrink themselves under NBGRADER_EXECUTION.
c.ExecutePreprocessor.timeout = 60
c.Execute.timeout = 60

# A learner who deletes a test cell gets it back (and graded) instead of a silent zero.
c.OverwriteCells.add_missing_cells = True

# Quiz answer cells are released as `q01 = ""` with no stub (see autograder/quiz_release.py).
from autograder.quiz_release import ClearSolutionsQuizAware  # noqa: E402
from nbgrader.converters import GenerateAssignment  # noqa: E402
from nbgrader.preprocessors import ClearSolutions  # noqa: E402

c.GenerateAssignment.preprocessors = [
    ClearSolutionsQuizAware if p is ClearSolutions else p
    for p in GenerateAssignment.class_traits()["preprocessors"].default()]

# A kernel that dies costs only the cells it did not run (see autograder/execute.py).
from autograder.execute import ExecuteSurvivingKernelDeath  # noqa: E402
from nbgrader.converters import Autograde  # noqa: E402
from nbgrader.preprocessors import Execute  # noqa: E402

c.Autograde.autograde_preprocessors = [
    ExecuteSurvivingKernelDeath if p is Execute else p
    for p in Autograde.class_traits()["autograde_preprocessors"].default()]

"""The grading command's vocabulary, defined once: every flag that learners.csv can carry (what it
means, the sentence the learner reads, whether a person must review it) and the columns of the
CSV files. submissions.py, tamper.py, incidents.py, grade.py, the reports and the instructors'
page all read it from here.

A flag marked `review` is an integrity flag: the grader saw something that a correct notebook
never does (a hook, a test that did not run as written, a message the tests do not contain, code
that reaches for the grader's machinery). Such learners are listed first in learners.csv and
summary.md for a person to look at, with the autograded notebook and the flagged line.
"""
from __future__ import annotations

from dataclasses import dataclass

GRADE_COLUMNS = ("student_id", "assignment", "notebook", "grade_id", "score", "max_score")
LEARNER_COLUMNS = ("student_id", "assignment", "score", "max_score", "flags")


@dataclass(frozen=True)
class Flag:
    name: str
    meaning: str  # for the instructor
    sentence: str  # for the learner's feedback (details may follow it)
    review: bool = False  # a person should look at this learner's notebook
    not_graded: bool = False  # the notebook never ran: its zeros say nothing about a test cell


FLAGS = {f.name: f for f in [
    # The submission could not be read (autograder/submissions.py).
    Flag("missing_notebook", "the notebook is not in the learner's folder",
         "the notebook was not found in your submission", not_graded=True),
    Flag("wrong_notebook_name", "a notebook is there under another name (such as `ex1 (1).ipynb`)",
         "the notebook is missing under its original name", not_graded=True),
    Flag("empty_file", "the file is empty", "the notebook file is empty", not_graded=True),
    Flag("invalid_json", "the file is not valid JSON, for example a truncated upload",
         "the notebook file is not valid notebook JSON", not_graded=True),
    Flag("invalid_notebook", "valid JSON, but not a valid Jupyter notebook",
         "the file is not a valid Jupyter notebook", not_graded=True),
    Flag("grading_error", "nbgrader could not grade the notebook; see nbgrader.log",
         "the notebook could not be graded; your instructor has the log (nbgrader.log)", not_graded=True),
    Flag("unsafe", "graded with --unsafe: the learner's code ran with the grader's rights",
         "your notebook was graded without the grading sandbox"),
    # Changes to what the learner may not change (autograder/tamper.py).
    Flag("tampered", "locked or graded cells (tests, set-up) were edited or deleted; graded as released",
         "locked or graded cells were changed; they were graded as released", review=True),
    Flag("tampered_metadata", "points, cell types or nbgrader settings were changed; the released ones were used",
         "points, cell types or grading settings were changed; the released ones were used", review=True),
    Flag("duplicate_grade_ids", "cells were copied with their grade ids; only the first copy was graded",
         "cells were duplicated with their grading ids; only the first copy of each was graded"),
    Flag("unknown_grade_ids", "cells carry grade ids the assignment does not have; run, not graded",
         "cells carry grading ids this assignment does not have; they ran but were not graded"),
    Flag("tampered_comparisons", "code replaced a function the tests compare with (torch.equal, len, ...)",
         "the comparison functions the tests use (torch.equal, torch.allclose, ...) were replaced; "
         "tests after that point fail", review=True),
    # What happened while the notebook ran (autograder/incidents.py).
    Flag("killed", "the kernel died or was killed before the notebook finished; later cells scored 0",
         "your notebook's kernel was killed or exited before the notebook finished (os._exit, a crash, code "
         "that ignores the interrupt at a cell's time limit, or the time limit for the whole notebook); "
         "the cells after that point could not run"),
    Flag("timeout", "a cell ran past its time limit and was stopped",
         "a cell ran past the time limit and was stopped"),
    Flag("memory_limit", "the learner's code used more memory than grading allows",
         "your code used more memory than grading allows; the cell was stopped"),
    Flag("process_limit", "the learner's code started more processes than grading allows",
         "your code started more processes than grading allows"),
    Flag("network_blocked", "the notebook tried to use the network",
         "your notebook tried to use the network, which grading does not allow"),
    Flag("input_requested", "the notebook called input()",
         "input() cannot be answered while grading; remove it from your notebook"),
    Flag("file_limit", "the learner's code wrote a file larger than grading allows",
         "your code wrote a file larger than grading allows"),
    Flag("forbidden_access", "the code tried to read or write outside the notebook's folder",
         "your code tried to read or write files outside your notebook's folder, which grading does not allow",
         review=True),
    Flag("output_limit", "the notebook printed more than grading keeps; the rest was dropped",
         "your notebook printed more than grading keeps; the rest of its output was dropped"),
    # Integrity: what the grader checks from outside the kernel (grade.py, messages.py, scan.py).
    Flag("test_not_run", "a test cell reported no error but did not prove that it ran its own code to the "
         "end; it scores 0",
         "a test cell did not run to its end as written (something skipped or rewrote it); it scores 0",
         review=True),
    Flag("hooked", "IPython transformers, event callbacks, trace or profile hooks, the import machinery "
         "were changed while the notebook ran",
         "your notebook changed how cells run (IPython input or AST transformers, event callbacks, "
         "sys.settrace or sys.setprofile, the import machinery); the tests after that point fail",
         review=True),
    Flag("unexpected_message", "a test failed with a message that no test of this cell contains; its details "
         "were withheld from the feedback",
         "a test failed with a message that the tests do not contain; its details are withheld", review=True),
    Flag("suspicious_code", "code the learner wrote reaches for the grader's machinery (get_ipython, frames, "
         "trace hooks, ctypes, ...) or builds such a name at run time; see the line named",
         "your code uses names a solution never needs (listed below); your instructor will look at it",
         review=True),
]}


def sentence(name: str) -> str:
    return FLAGS[name].sentence


def needs_review(flags) -> bool:
    return any(FLAGS[f].review for f in flags if f in FLAGS)


NOT_GRADED = {f.name for f in FLAGS.values() if f.not_graded}


def markdown_table() -> str:
    """The table on the instructors' page (book/instructors.md renders it from here)."""
    rows = ["| flag | meaning | what the learner reads | review |", "| --- | --- | --- | --- |"]
    rows += [f"| `{f.name}` | {f.meaning} | {f.sentence} | {'yes' if f.review else ''} |" for f in FLAGS.values()]
    return "\n".join(rows)

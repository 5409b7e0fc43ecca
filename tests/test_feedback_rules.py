"""What the grader lets a learner's feedback say (autograder/messages.py, feedback.py) and what its
static scan flags (autograder/scan.py), on the course's real source notebooks. The same rules run
end to end in test_hostile_grading.py; these say which rule broke, in seconds."""
import nbformat
import pytest

from autograder.feedback import CellResult, render
from autograder.messages import WITHHELD, NotebookTexts
from autograder.scan import scan

EX1 = "ex1_lm_dataset"


@pytest.fixture(scope="module")
def ex1(root):
    return NotebookTexts.load(root / "solutions" / EX1 / f"{EX1}.ipynb", root / "notebooks" / EX1 / f"{EX1}.ipynb")


@pytest.fixture(scope="module")
def quiz(root):
    return NotebookTexts.load(root / "solutions" / "quiz" / "quiz.ipynb", root / "notebooks" / "quiz" / "quiz.ipynb")


def hidden_line(root, assignment=EX1) -> str:
    nb = nbformat.read(root / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    return next(line.strip() for c in nb.cells for line in c.source.splitlines() if line.strip().startswith("_wrong = sum("))


def test_a_message_of_the_tests_is_rebuilt_from_its_template(ex1):
    judged = ex1.judge("AssertionError", "expected 3 pairs for 4 tokens, got 5")
    assert (judged.text, judged.flag) == ("AssertionError: expected 3 pairs for 4 tokens, got 5", None)


def test_a_long_quoted_value_is_cut_short(ex1):
    value = "[" + ", ".join(["([10], 11)"] * 40) + "]"
    judged = ex1.judge("AssertionError", f"wrong pairs for [10, 11, 12, 13]: {value}")
    assert judged.flag is None and judged.text.endswith("…") and len(judged.text) < 160


def test_an_assertion_message_the_tests_do_not_hold_is_withheld_and_flagged(ex1):
    judged = ex1.judge("AssertionError", "any words a learner's code chose")
    assert (judged.text, judged.flag) == (f"{WITHHELD}: AssertionError", "unexpected_message")


def test_a_hidden_line_raised_by_learner_code_is_withheld_and_flagged(ex1, root):
    line = hidden_line(root)
    for ename in ("ValueError", "AssertionError"):
        judged = ex1.judge(ename, line)
        assert line not in judged.text and judged.flag == "unexpected_message", judged
    # ... also inside a template's placeholder
    judged = ex1.judge("AssertionError", f"expected 3 pairs for 4 tokens, got {line}")
    assert line not in judged.text and judged.flag == "unexpected_message"


def test_an_honest_error_of_the_learners_own_code_keeps_its_first_line(ex1):
    judged = ex1.judge("TypeError", "'list' object is not callable")
    assert (judged.text, judged.flag) == ("your code raised TypeError: 'list' object is not callable", None)
    assert ex1.judge("NotImplementedError", "").text.startswith("not answered yet")
    assert "is not defined" in ex1.judge("NameError", "name 'ar_loss' is not defined").text


def test_feedback_lines_must_equal_a_text_the_quiz_holds(quiz):
    nb = nbformat.read(quiz_path := __import__("autograder").ROOT / "solutions" / "quiz" / "quiz.ipynb", as_version=4)
    why = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_q02")
    why = why.split('why="', 1)[1].split('",\n', 1)[0]
    kept, other = quiz.feedback_lines(f"[feedback] right: {why}\nan ordinary print\n")
    assert (kept, other) == ([f"right: {why}"], False), quiz_path
    kept, other = quiz.feedback_lines("[feedback] right: anything I like\n[feedback] _grading_quiz(\"q02\", key=\"A\",\n")
    assert (kept, other) == ([], True)


def test_render_withholds_a_line_that_holds_a_hidden_line(root):
    line = hidden_line(root)
    results = [CellResult(EX1, "test_x", 0, 1, f"it broke: {line}")]
    text, withheld = render("ann", EX1, results, [], withheld={line})
    assert withheld and line not in text and "withheld" in text


@pytest.mark.parametrize("code", [
    "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass'])",
    "import sys\nsys.settrace(lambda *a: None)",
    "import sys, linecache\nf = sys._getframe(1)",
    "import inspect\nframe = inspect.currentframe().f_back",
    "import ctypes",
    "print(In[3])",
    "import sys\ngetattr(sys, 'set' + 'profile')(print)",
    "name = ''.join(['get_', 'ipython'])",
    "n = 'ecarttes'[::-1]",
    "import base64\nbase64.b64decode('c2V0dHJhY2U=').decode()",
    "import codecs\nname = codecs.decode('frggenpr', 'rot13')",
    "exec(open('payload.py').read())",
])
def test_the_scan_finds_the_grader_machinery_however_it_is_spelt(code):
    assert scan(code), code


@pytest.mark.parametrize("code", [
    "_batches = []\nfrom numpy import *",
    "import inspect\nprint(inspect.getdoc(len))",
    "import torch\nprint(torch.arange(6).reshape(2, 3))",
    "import torch\nfor name in ('float32', 'long'):\n    print(getattr(torch, name))",
    "def f(frames):\n    return [frame + 1 for frame in frames]",
    "label = 'epoch ' + str(3)",
])
def test_the_scan_leaves_ordinary_code_alone(code):
    assert scan(code) == [], code


@pytest.mark.parametrize("assignment", sorted(p.parent.name for p in (__import__("autograder").ROOT / "solutions")
                                               .glob("*/*.ipynb")))
def test_no_message_of_the_tests_quotes_a_withheld_line(root, assignment):
    """A test message that quoted a hidden line or a line of the reference answer would be
    withheld from the feedback (and its learner flagged) whenever it fired."""
    texts = NotebookTexts.load(root / "solutions" / assignment / f"{assignment}.ipynb",
                               root / "notebooks" / assignment / f"{assignment}.ipynb")
    quoted = [(line, "".join(p for p in parts if isinstance(p, str))[:80]) for _, parts in texts.templates
              for line in texts.withheld_lines if line in "".join(p for p in parts if isinstance(p, str))]
    assert not quoted, f"messages that quote withheld lines: {quoted[:3]}"

"""Hostile submissions of ex1_lm_dataset: the reference answers, plus one extra cell a learner
added after the first answer. Each entry: the cell's code, the flag learners.csv must carry,
words its feedback must contain, and whether the learner keeps full marks (True when the sandbox
stops the attack inside its own cell and the rest of the notebook still runs; None: either)."""
from autograder import ROOT

SOLUTIONS = ROOT / "solutions" / "ex1_lm_dataset" / "ex1_lm_dataset.ipynb"
GRADEBOOK = ROOT / "autograder" / "gradebook.db"

HOSTILE = {
    "infinite_loop": dict(code="while True:\n    pass", flag="timeout", words="time limit", full=True),
    "loop_ignoring_interrupts": dict(
        code="import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
        flag="killed", words="killed", full=False),
    "memory_bomb": dict(code="hoard = []\nwhile True:\n    hoard.append(b'x' * 2**28)",
                        flag="memory_limit", words="memory", full=True),
    "fork_bomb": dict(code="import os, time\nwhile True:\n    if os.fork() == 0:\n        time.sleep(600)\n        os._exit(0)",
                      flag="process_limit", words="processes", full=None),  # then the kernel may run short of threads
    "exit_kernel": dict(code="import os\nos._exit(3)", flag="killed", words="killed", full=False),
    "output_flood": dict(code="for i in range(200_000):\n    print('flood ' * 20)",
                         flag="output_limit", words="printed more than", full=True),
    "network_request": dict(code="import urllib.request\nurllib.request.urlopen('http://example.org', timeout=5)",
                            flag="network_blocked", words="network", full=True),
    "read_solutions": dict(code=f"print(open({str(SOLUTIONS)!r}).read()[:100])",
                           flag="forbidden_access", words="outside", full=True),
    "read_gradebook": dict(code=f"print(open({str(GRADEBOOK)!r}, 'rb').read(100))",
                           flag="forbidden_access", words="outside", full=True),
    "write_autograder": dict(code=f"open({str(ROOT / 'autograder' / 'owned.txt')!r}, 'w').write('owned')",
                             flag="forbidden_access", words="outside", full=True),
    "background_process": dict(
        code=("import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', "
              "'import time; time.sleep(120); open(\"/tmp/survivor\", \"w\").write(\"x\")'], start_new_session=True)"),
        flag=None, words=None, full=True),
    "input_call": dict(code="name = input('your name? ')", flag="input_requested", words="input()", full=True),
    "widget": dict(code="import ipywidgets\nipywidgets.IntSlider(value=3)", flag=None, words=None, full=True),
    "patch_comparisons": dict(
        code="import torch\ntorch.equal = lambda a, b: True\ntorch.allclose = lambda *a, **k: True",
        flag="tampered_comparisons", words="comparison functions were replaced", full=False),
}


# Tampered notebooks: a function edits the reference submission. nbgrader grades the released
# version of locked cells, points and cell types, so each still scores full marks, with a flag.
def _cell(nb, gid):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def _edit_test(nb):
    _cell(nb, "test_ar_loss_value").source = "pass  # trust me"


def _raise_points(nb):
    _cell(nb, "test_ar_loss_value").metadata["nbgrader"]["points"] = 100


def _to_markdown(nb):
    cell = _cell(nb, "test_PackedLMDataset_len")
    cell.cell_type = "markdown"
    cell.pop("outputs", None)
    cell.pop("execution_count", None)


def _duplicate_answer(nb):
    import copy
    index = nb.cells.index(_cell(nb, "answer_ar_loss"))
    nb.cells.insert(index + 1, copy.deepcopy(nb.cells[index]))


def _unknown_id(nb):
    import nbformat
    cell = nbformat.v4.new_code_cell("assert True")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "bonus_points", "points": 50, "locked": True,
                                 "solution": False, "schema_version": 3}
    nb.cells.append(cell)


def _delete_test(nb):
    nb.cells.remove(_cell(nb, "test_sequence_log_prob_value"))


TAMPERED = {
    "edit_locked_test": dict(edit=_edit_test, flag="tampered", words="graded as released"),
    "raise_points": dict(edit=_raise_points, flag="tampered_metadata", words="points"),
    "test_to_markdown": dict(edit=_to_markdown, flag="tampered_metadata", words="cell types"),
    "duplicate_answer": dict(edit=_duplicate_answer, flag="duplicate_grade_ids", words="only the first copy"),
    "unknown_grade_id": dict(edit=_unknown_id, flag="unknown_grade_ids", words="not graded"),
    "delete_test": dict(edit=_delete_test, flag="tampered", words="deleted"),
}

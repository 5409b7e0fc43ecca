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


# Attacks on the grader itself from inside the kernel (learner code runs before the tests, in the
# same kernel). Each is one extra cell after the first answer, graded twice: on a blank notebook,
# where it must not reach full marks without a flag, and on a correct one, whose feedback must
# hold no line of the hidden tests. `flags`: what the blank one must carry at least.
_IP = 'getattr(__import__("IPy" + "thon"), "get_" + "ipython")()'  # get_ipython, spelt at run time
_CORRECT_PAIRS = "    ids = list(tokens)\n    return [(ids[:k], ids[k]) for k in range(1, len(ids))]\n"
ATTACKS = {
    "input_transformer": dict(
        code="get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])",
        flags={"test_not_run", "suspicious_code"}),
    "input_transformer_obfuscated": dict(
        code=f"shell = {_IP}\ngetattr(shell, 'input_' + 'transformers_cleanup').append(lambda lines: ['pass\\n'])",
        flags={"test_not_run", "suspicious_code"}),
    "ast_transformer": dict(
        code=("import ast\nclass Nothing(ast.NodeTransformer):\n    def visit_Module(self, node):\n"
              "        node.body = [ast.Pass()]\n        return node\nget_ipython().ast_transformers.append(Nothing())"),
        flags={"test_not_run", "suspicious_code"}),
    "ast_transformer_obfuscated": dict(
        code=("import ast\nclass Nothing(ast.NodeTransformer):\n    def visit_Module(self, node):\n"
              "        node.body = [ast.Pass()]\n        return node\n"
              f"getattr({_IP}, 'ast_' + 'transformers').append(Nothing())"),
        flags={"test_not_run", "suspicious_code"}),
    "post_run_cell_echo": dict(
        code=("get_ipython().events.register('post_run_cell', lambda result: print('[feedback] ' + "
              "result.info.raw_cell.replace('\\n', '\\n[feedback] ')))"),
        flags={"hooked", "suspicious_code"}),
    "post_run_cell_echo_obfuscated": dict(
        code=(f"getattr({_IP}.events, 'reg' + 'ister')('post_run_cell', lambda result: print('[feedback] ' + "
              "result.info.raw_cell.replace('\\n', '\\n[feedback] ')))"),
        flags={"hooked", "suspicious_code"}),
    "frame_raised": dict(
        code=("import sys, linecache\ndef make_ar_examples(tokens):\n    caller = sys._getframe(1)\n"
              "    raise ValueError(''.join(linecache.getlines(caller.f_code.co_filename)))"),
        flags={"unexpected_message", "suspicious_code"}),
    "frame_raised_obfuscated": dict(
        code=("import sys\ndef make_ar_examples(tokens):\n    caller = getattr(sys, '_get' + 'frame')(1)\n"
              "    lines = __import__('line' + 'cache').getlines(caller.f_code.co_filename)\n"
              "    raise ValueError(''.join(lines))"),
        flags={"unexpected_message", "suspicious_code"}),
    "frame_printed": dict(
        code=("import sys, linecache\ndef make_ar_examples(tokens):\n    caller = sys._getframe(1)\n"
              "    for line in linecache.getlines(caller.f_code.co_filename):\n"
              "        print('[feedback] ' + line.rstrip())\n" + _CORRECT_PAIRS),
        flags={"unexpected_message", "suspicious_code"}),
    "frame_printed_obfuscated": dict(
        code=("import sys\ndef make_ar_examples(tokens):\n    caller = getattr(sys, '_get' + 'frame')(1)\n"
              "    for line in __import__('line' + 'cache').getlines(caller.f_code.co_filename):\n"
              "        print('[feedback] ' + line.rstrip())\n" + _CORRECT_PAIRS),
        flags={"unexpected_message", "suspicious_code"}),
    "trace_hook": dict(
        code="import sys\ndef tracer(frame, event, arg):\n    return None\nsys.settrace(tracer)",
        flags={"hooked", "suspicious_code"}),
    "trace_hook_obfuscated": dict(
        code="import sys\ndef tracer(frame, event, arg):\n    return None\ngetattr(sys, 'set' + 'trace')(tracer)",
        flags={"hooked", "suspicious_code"}),
}

# The quiz: a profile hook reads `key` inside the hidden `_grading_quiz` and writes it into the
# answer variable; every answer is "A". Graded in tests/test_quiz.py's one grading call.
_SPY = ("import sys\ndef spy(frame, event, arg):\n    if event == 'call' and frame.f_code.co_name == '_grading_quiz':\n"
        "        frame.f_globals[frame.f_locals['name']] = frame.f_locals['key']\n")
QUIZ_ATTACKS = {
    "profile_hook": dict(code=_SPY + "sys.setprofile(spy)", flags={"hooked", "suspicious_code"}),
    "profile_hook_obfuscated": dict(code=_SPY + "getattr(sys, 'set' + 'profile')(spy)",
                                    flags={"hooked", "suspicious_code"}),
}

# Ordinary code that must cost nothing and raise no flag (inserted after the first answer).
ORDINARY = {
    "underscore_helpers": "_batches = []\n_loss = 0.0\n_gen = None\n_tok = None\n_wrong = 0\n_result = 'mine'",
    "star_import_numpy": "from numpy import *",
    "star_import_torch": "from torch import *",
    "inspect_for_a_docstring": "import inspect\nprint(inspect.getdoc(make_ar_examples))",
    "print_a_tensor": "import torch\nprint(torch.arange(12).reshape(3, 4))",
    "own_getattr": "import torch\nfor name in ('float32', 'long'):\n    print(getattr(torch, name))",
    # nbgrader scores a test cell that wrote to stderr 0; a warning from correct code must not.
    "warning_from_an_answer": ("import warnings\ndef make_ar_examples(tokens):\n"
                               "    warnings.warn('a note from my own code')\n" + _CORRECT_PAIRS),
}

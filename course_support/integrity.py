"""The tests' guard: notice when a notebook changes what its tests rely on.

A test cell passes when it raises nothing, and learner code runs in the same kernel before the
tests. The first cell of each exercise records what the tests lean on; each test cell checks it
before it runs (`_comparisons.check()`) and fails with a message that says what changed:

- the functions the tests compare with (`torch.equal = lambda a, b: True` would pass every test
  that uses it), and notebook globals that hide `len`, `all`, `abs`, ... . A star import
  (`from numpy import *`) is no attack, but numpy's `all` is not Python's (`all(x for x in
  [False])` is true under numpy's), so the guard puts Python's own back and says so;
- the ways to change how a cell runs: IPython's input and AST transformers, event callbacks and
  cell-running methods, `sys.settrace`/`sys.setprofile` and their `threading` twins, the import
  machinery, the display and exception hooks.
(Restart the kernel to get a clean state back.)

While grading, the grader wraps every test cell in `begin_test`/`end_test` with values it made for
this run only: `end_test` shows a proof that the grader checks from outside the kernel, so a test
cell that was skipped, rewritten or cut short scores nothing (see autograder/proof.py).
"""
from __future__ import annotations

import builtins
import hashlib
import sys
import threading
import warnings

import torch

BUILTINS = ("len", "isinstance", "abs", "round", "sum", "all", "any", "sorted", "min", "max", "set", "list",
            "dict", "tuple", "float", "int", "str", "repr", "range", "zip", "type", "AssertionError")
# Names a notebook global may not hide: only those the tests lean on, since a learner's innocent
# `total = sum(...)`-style code may well define a global `max` or `list` of their own.
NOT_TO_SHADOW = ("len", "isinstance", "abs", "round", "all", "any", "sorted", "AssertionError")
STAR_IMPORTED_FROM = ("numpy", "torch", "math")  # modules whose functions a star import brings in
# Modules whose own callbacks and import finders appear while a notebook runs (plots, widgets).
LIBRARIES = ("IPython", "ipykernel", "matplotlib", "matplotlib_inline", "ipywidgets", "comm", "traitlets",
             "torch", "numpy", "tqdm", "_distutils_hack", "setuptools", "importlib", "six", "pkg_resources",
             "jupyter_client", "tokenizers", "PIL", "zmq", "debugpy", "_frozen_importlib", "google")
PROOF_MIME = "application/x-course-proof"

# The guard's messages (the grader shows them to the learner; autograder/flags.py matches them).
REPLACED = "comparison functions were replaced"
HOOKED = "the way cells run was changed"


def proof(grade_id: str, begin: str, end: str) -> str:
    """What a graded cell shows when it ran from its first line to its last."""
    return hashlib.sha256(f"{grade_id}:{begin}:{end}".encode()).hexdigest()[:32]


def _watched() -> dict[str, object]:
    found = {"torch.equal": torch.equal, "torch.allclose": torch.allclose, "torch.isclose": torch.isclose,
             "torch.Tensor.__eq__": torch.Tensor.__eq__, "torch.Tensor.tolist": torch.Tensor.tolist,
             "torch.Tensor.item": torch.Tensor.item, "torch.testing.assert_close": torch.testing.assert_close}
    found.update({f"builtins.{name}": getattr(builtins, name) for name in BUILTINS})
    return found


def _library(obj) -> bool:
    module = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", "") or ""
    return module.split(".")[0] in LIBRARIES


def _own(hook):
    """The hook itself, or a stand-in when it is a library's (or none)."""
    return hook if hook is not None and not _library(hook) else "none or a library's"


def _hooks() -> dict[str, object]:
    """Everything that can change how a cell runs, as comparable values."""
    # A library's own hook is no attack: IPython swaps its display and exception hooks around each
    # cell, and a debugger in JupyterLab sets a trace function.
    found = {"sys.gettrace()": _own(sys.gettrace()), "sys.getprofile()": _own(sys.getprofile()),
             "threading trace hook": _own(getattr(threading, "_trace_hook", None)),
             "threading profile hook": _own(getattr(threading, "_profile_hook", None)),
             "builtins.__import__": builtins.__import__,
             "sys.displayhook": _own(sys.displayhook), "sys.excepthook": _own(sys.excepthook),
             "sys.meta_path": tuple(f for f in sys.meta_path if not _library(f))}
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is None:
        return found
    manager = shell.input_transformer_manager
    for name in ("cleanup_transforms", "line_transforms", "token_transformers"):
        found[f"IPython input transformers ({name})"] = tuple(getattr(manager, name, ()))
    found["IPython input transformers (post)"] = tuple(getattr(shell, "input_transformers_post", ()))
    found["IPython AST transformers"] = tuple(shell.ast_transformers)
    for event, callbacks in shell.events.callbacks.items():
        found[f"IPython {event} callbacks"] = tuple(c for c in callbacks if not _library(c))
    for method in ("run_cell", "run_cell_async", "transform_cell", "transform_ast", "run_ast_nodes",
                   "run_code", "showtraceback", "_showtraceback", "should_run_async"):
        bound = getattr(shell, method, None)
        found[f"IPython {method}"] = getattr(bound, "__func__", bound)
    found["IPython input_transformer_manager"] = manager
    return found


def _changed(before: dict, now: dict) -> list[str]:
    out = []
    for name in sorted(set(before) | set(now)):
        a, b = before.get(name), now.get(name)
        same = (len(a) == len(b) and all(x is y for x, y in zip(a, b))) if isinstance(a, tuple) and isinstance(b, tuple) else a is b
        if not same:
            out.append(name)
    return out


class ComparisonGuard:
    def __init__(self):
        self._recorded = _watched()
        self._hooks = _hooks()
        self._begun: tuple[str, str] | None = None

    def check(self) -> None:
        now = _watched()
        replaced = [name for name, fn in now.items() if fn is not self._recorded[name]]
        notebook = vars(sys.modules["__main__"])  # a global named `len` hides the builtin in every cell
        star = [name for name in BUILTINS if name in notebook and _star_imported(name, notebook[name])]
        if star:
            for name in star:
                del notebook[name]
            print(f"note: a star import (such as `from numpy import *`) had replaced Python's "
                  f"{', '.join(star)}; the tests use Python's own, and so does your notebook from here on "
                  f"(write np.{star[0]}(...) for numpy's)")
        replaced += [f"{name} (a global of the notebook)" for name in NOT_TO_SHADOW
                     if name in notebook and notebook[name] is not self._recorded[f"builtins.{name}"]]
        if "torch" in notebook and notebook["torch"] is not torch:
            replaced.append("torch (a global of the notebook)")
        if replaced:
            raise AssertionError(f"{REPLACED}: {', '.join(replaced)}. The tests cannot "
                                 "trust their checks; remove the code that assigns them and restart the kernel")
        self.check_hooks()

    def check_hooks(self) -> None:
        changed = _changed(self._hooks, _hooks())
        if changed:
            raise AssertionError(f"{HOOKED}: {', '.join(changed)}. The tests cannot trust what runs; remove "
                                 "the code that changes them and restart the kernel")

    # Called by the lines the grader adds around each graded cell (never in the release).
    def begin_test(self, grade_id: str, begin: str) -> None:
        self._begun = None
        self.check()
        # nbgrader scores a cell that wrote to stderr 0: a warning from correct code (a deprecation,
        # a dtype note) must not cost the test, so during a graded test warnings go to stdout.
        warnings.showwarning = _warning_to_stdout
        self._begun = (grade_id, begin)

    def end_test(self, end: str) -> None:
        begun, self._begun = self._begun, None
        warnings.showwarning = _SHOW_WARNING
        self.check()
        if begun is not None:
            _show_proof(proof(begun[0], begun[1], end))

    def final_check(self, grade_id: str, begin: str, end: str) -> None:
        self.check()
        _show_proof(proof(grade_id, begin, end))


def _star_imported(name: str, obj) -> bool:
    """Whether a notebook global is a library's own function of that name (a star import)."""
    for module_name in STAR_IMPORTED_FROM:
        module = sys.modules.get(module_name)
        if module is not None and getattr(module, name, None) is obj:
            return True
    return False


_SHOW_WARNING = warnings.showwarning


def _warning_to_stdout(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"{category.__name__}: {message}", file=sys.stdout)


def _show_proof(value: str) -> None:
    from IPython.display import publish_display_data
    publish_display_data({PROOF_MIME: value})

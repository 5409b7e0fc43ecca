"""Notice when a notebook replaces the functions its tests compare with.

A test cell passes when it raises nothing, so `torch.equal = lambda a, b: True` would pass
every test that uses it. The first cell of each exercise records the identity of every function
the tests compare with; each test cell checks them before it runs and fails with "comparison
functions were replaced" when one differs. (Restart the kernel to get the real ones back.)
"""
from __future__ import annotations

import builtins
import sys

import torch

BUILTINS = ("len", "isinstance", "abs", "round", "sum", "all", "any", "sorted", "min", "max", "set", "list",
            "dict", "tuple", "float", "int", "str", "repr", "range", "zip", "type", "AssertionError")
# Names a notebook global may not hide: only those the tests lean on, since a learner's innocent
# `total = sum(...)`-style code may well define a global `max` or `list` of their own.
NOT_TO_SHADOW = ("len", "isinstance", "abs", "round", "all", "any", "sorted", "AssertionError")


def _watched() -> dict[str, object]:
    found = {"torch.equal": torch.equal, "torch.allclose": torch.allclose, "torch.isclose": torch.isclose,
             "torch.Tensor.__eq__": torch.Tensor.__eq__, "torch.Tensor.tolist": torch.Tensor.tolist,
             "torch.Tensor.item": torch.Tensor.item, "torch.testing.assert_close": torch.testing.assert_close}
    found.update({f"builtins.{name}": getattr(builtins, name) for name in BUILTINS})
    return found


class ComparisonGuard:
    def __init__(self):
        self._recorded = _watched()

    def check(self) -> None:
        now = _watched()
        replaced = [name for name, fn in now.items() if fn is not self._recorded[name]]
        notebook = vars(sys.modules["__main__"])  # a global named `len` hides the builtin in every cell
        replaced += [f"{name} (a global of the notebook)" for name in NOT_TO_SHADOW
                     if name in notebook and notebook[name] is not self._recorded[f"builtins.{name}"]]
        if "torch" in notebook and notebook["torch"] is not torch:
            replaced.append("torch (a global of the notebook)")
        if replaced:
            raise AssertionError(f"comparison functions were replaced: {', '.join(replaced)}. The tests cannot "
                                 "trust their checks; remove the code that assigns them and restart the kernel")

"""The comparison guard of every exercise notebook: quiet while nothing is replaced, and names
what was replaced otherwise (run in a fresh interpreter: it inspects `__main__`)."""
import subprocess
import sys

import pytest

SETUP = "from course_support.integrity import ComparisonGuard\nguard = ComparisonGuard()\n"


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SETUP + code], capture_output=True, text=True, timeout=120)


def test_untouched_functions_pass_and_local_names_are_allowed():
    result = run("total = sum([1, 2])\nmax = 3\nguard.check()\nprint('ok')")
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr


@pytest.mark.parametrize("patch, named", [
    ("import torch\ntorch.equal = lambda a, b: True", "torch.equal"),
    ("import torch\ntorch.Tensor.__eq__ = lambda a, b: True", "torch.Tensor.__eq__"),
    ("import builtins\nbuiltins.isinstance = lambda *a: True", "builtins.isinstance"),
    ("len = lambda x: 3", "len (a global of the notebook)"),
    ("torch = None", "torch (a global of the notebook)"),
])
def test_a_replaced_comparison_fails_with_its_name(patch, named):
    result = run(patch + "\nguard.check()")
    assert result.returncode != 0
    assert "comparison functions were replaced" in result.stderr and named in result.stderr, result.stderr


def test_every_exercise_checks_before_each_test(root):
    import nbformat
    for path in sorted((root / "solutions").glob("*/*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        setup, guard = [c for c in cells if c.cell_type == "code"][:2]
        # The set-up cell (it installs the library on Colab) runs first, so it is locked: the
        # grader restores its source and no learner code runs before the guard.
        meta = setup.metadata.get("nbgrader", {})
        assert meta.get("grade_id") == "course_setup" and meta.get("locked"), f"{path.name}: the first code cell is not the locked set-up cell"
        meta = guard.metadata["nbgrader"]
        assert meta["grade_id"] == "comparison_guard" and meta["locked"], f"{path.name}: the guard does not follow the set-up cell"
        tests = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade")]
        unguarded = [c.metadata["nbgrader"]["grade_id"] for c in tests
                     if not c.source.startswith("def _grading_test():\n    _comparisons.check()")]
        assert not unguarded, f"{path.name}: {unguarded} do not check the comparison functions first"


def test_every_test_cell_keeps_its_names_to_itself(root):
    """A test cell binds one name at the top, the function it calls: everything else it names is
    that function's own, so no test overwrites a learner's `_batches` or `x`."""
    import ast

    import nbformat
    for path in sorted((root / "solutions").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if not cell.metadata.get("nbgrader", {}).get("grade"):
                continue
            tree = ast.parse(cell.source)
            top = [type(node).__name__ for node in tree.body]
            assert top == ["FunctionDef", "Expr"] and tree.body[0].name == "_grading_test", (
                f"{path.name} {cell.metadata['nbgrader']['grade_id']}: a test cell must be `def _grading_test(): ...` "
                f"then `_grading_test()`, found {top}")
            shared = [n for node in ast.walk(tree) if isinstance(node, ast.Global) for n in node.names]
            assert all(n.startswith("_grading_") for n in shared), f"{path.name}: a test shares {shared}"

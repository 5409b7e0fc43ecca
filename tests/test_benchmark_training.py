"""scripts/benchmark_training.py: its CPU tiny mode runs in seconds without any Jupyter package,
prints the three loops' figures and the ratios with a verdict, and writes its JSON and markdown
files. (The figures that matter come from a GPU; here only the report's shape is checked.)"""
import ast
import importlib.util
import json
import re
import statistics
import subprocess
import sys

import pytest

LOOPS = ("beginner", "reference", "tuned")
# The benchmark must run on a bare GPU machine: none of these may be needed.
JUPYTER = ("IPython", "ipykernel", "ipywidgets", "jupyter_client", "jupyter_core", "jupyterlab",
           "nbclient", "nbconvert", "nbformat", "nbgrader", "notebook")
WITHOUT_JUPYTER = """
import importlib.abc, runpy, sys
blocked, script, *args = sys.argv[1:]
class NoJupyter(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked.split(","):
            raise ModuleNotFoundError(f"No module named {name!r} (hidden by the test)")
sys.meta_path.insert(0, NoJupyter())
sys.argv = [script, *args]
runpy.run_path(script, run_name="__main__")
"""


@pytest.fixture(scope="module")
def tiny_run(root, tmp_path_factory):
    out = tmp_path_factory.mktemp("benchmark")
    command = [sys.executable, "-c", WITHOUT_JUPYTER, ",".join(JUPYTER), str(root / "scripts" / "benchmark_training.py"),
               "--device", "cpu", "--tiny", "--threads", "1", "--out", str(out)]
    result = subprocess.run(command, cwd=out, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout, out


def test_report_lists_the_three_loops_and_the_ratios(tiny_run):
    stdout, _ = tiny_run
    header = next((line for line in stdout.splitlines() if line.startswith("loop")), "")
    for column in ("tokens/s", "MFU", "peak memory", "windows"):
        assert column in header, f"the table has no {column!r} column: {header!r}"
    for name in LOOPS:
        row = re.search(rf"^{name}\s+([\d,]+)\s", stdout, re.M)
        assert row, f"no row for the {name} loop in:\n{stdout}"
        assert int(row.group(1).replace(",", "")) > 0
    for ratio in ("reference/tuned", "reference/beginner"):
        assert re.search(rf"^{ratio}:\s+[\d.]+\s+\(target >= [\d.]+\)\s+(PASS|FAIL)$", stdout, re.M), \
            f"no {ratio} line with a target and a verdict in:\n{stdout}"
    assert "information only" in stdout, "a CPU run must say that the H100 targets do not apply to it"
    assert "random token ids" in stdout


def test_json_and_markdown_results(tiny_run):
    _, out = tiny_run
    results = json.loads((out / "results.json").read_text())
    assert results["device"] == "cpu" and results["torch"] and results["device_name"]
    assert results["targets_apply"] is False and results["compiled"] is False
    assert set(results["loops"]) == set(LOOPS)
    for name, figures in results["loops"].items():
        windows = figures["window_tokens_per_s"]
        assert len(windows) == results["setup"]["windows"] == 3 and min(windows) > 0, name
        assert figures["tokens_per_s"] == pytest.approx(statistics.median(windows)), f"{name}: the median window"
        assert figures["peak_memory_bytes"] is None and figures["mfu"] is None, f"{name}: no GPU, no memory or MFU"
        assert 0 < figures["last_loss"] < 10, f"{name}: the loop must train (loss {figures['last_loss']})"
    rate = {name: results["loops"][name]["tokens_per_s"] for name in LOOPS}
    assert results["ratios"]["reference/tuned"] == pytest.approx(rate["reference"] / rate["tuned"])
    assert results["ratios"]["reference/beginner"] == pytest.approx(rate["reference"] / rate["beginner"])
    assert {k: t["at_least"] for k, t in results["targets"].items()} == {"reference/tuned": 0.97,
                                                                         "reference/beginner": 4.0}
    md = (out / "results.md").read_text()
    assert all(f"| {name} |" in md for name in LOOPS) and results["torch"] in md


def test_reference_loop_is_the_notebooks_train(root):
    """The benchmark times the graded reference, read from solutions/, never a copy of it."""
    tree = ast.parse((root / "scripts" / "benchmark_training.py").read_text())
    defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assert "train" not in defined
    loads = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "reference_namespace"]
    assert [ast.literal_eval(n.args[0]) for n in loads] == ["ex3_training_loop"]


def test_clock_reads_the_time_when_marked_batches_are_asked_for(root, monkeypatch):
    spec = importlib.util.spec_from_file_location("benchmark_training", root / "scripts" / "benchmark_training.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    source = module.ClockedBatches(["a", "b", "c"], marks=[1, 4], device=module.torch.device("cpu"))
    batches = iter(source)
    taken = [next(batches) for _ in range(5)]
    assert taken == ["a", "b", "c", "a", "b"], "the batches cycle"
    assert sorted(source.times) == [1, 4] and source.times[1] <= source.times[4]

"""The grading sandbox, seen from inside a learner's kernel (started the way nbgrader starts it:
jupyter_client, the per-run kernel spec, Unix sockets), and the command's refusal without it.
Skipped without bubblewrap unless REQUIRE_SANDBOX=1 (CI), where that fails."""
import json
import os
import subprocess
import sys

import pytest

from autograder import ROOT
from autograder.sandbox import LEARNER_UID, Limits, why_unavailable, write_kernel_spec
from leaks import run_grading

PROBE = r"""
import json, os, resource, socket
def can(fn):
    try:
        fn(); return True
    except Exception:
        return False
home = os.path.expanduser("~root") if os.path.isdir("/root") else "/root"
report = {
    "uid": os.getuid(),
    "env": os.environ.get("NBGRADER_EXECUTION"),
    "network": can(lambda: socket.create_connection(("1.1.1.1", 53), timeout=2)),
    "solutions": os.path.exists(ROOT + "/solutions"),
    "autograder": os.path.exists(ROOT + "/autograder"),
    "root_home": sorted(os.listdir("/root")) if os.path.isdir("/root") else [],
    "library": can(lambda: __import__("course_support").load_tokenizer()),
    "write_usr": can(lambda: open("/usr/sandbox-probe", "w")),
    "write_cwd": can(lambda: open("probe.txt", "w").write("x")),
    "memory": resource.getrlimit(resource.RLIMIT_AS)[0],
    "files": resource.getrlimit(resource.RLIMIT_FSIZE)[0],
    "processes": resource.getrlimit(resource.RLIMIT_NPROC)[0],
    "pid": os.getpid(),
}
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def inside(tmp_path_factory):
    reason = why_unavailable()
    if reason and os.environ.get("REQUIRE_SANDBOX") == "1":
        pytest.fail(f"REQUIRE_SANDBOX=1 but {reason}")
    if reason:
        pytest.skip(reason)
    from jupyter_client import KernelManager

    run = tmp_path_factory.mktemp("run")
    notebook_dir = tmp_path_factory.mktemp("notebook")
    (notebook_dir / "submission.ipynb").write_text("{}")
    limits = Limits(memory_bytes=3 * 2**30, processes=200, file_bytes=2**20, notebook_seconds=120)
    env = write_kernel_spec(run, limits)
    saved = {k: os.environ.get(k) for k in [*env, "NBGRADER_EXECUTION"]}
    os.environ.update(env, NBGRADER_EXECUTION="autograde")
    try:
        km = KernelManager(kernel_name="python3", transport="ipc", ip=str(run / "sockets" / "kernel"))
        km.start_kernel(cwd=str(notebook_dir))
        client = km.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        printed = []
        client.execute_interactive(f"ROOT = {str(ROOT)!r}\n" + PROBE, timeout=60,
                                   output_hook=lambda m: printed.append(m["content"].get("text", "")))
        client.stop_channels()
        km.shutdown_kernel(now=True)
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
    report = json.loads("".join(printed).strip().splitlines()[-1])
    return report, run, notebook_dir, limits


def test_the_kernel_runs_as_an_unprivileged_user_in_its_own_pid_namespace(inside):
    report, *_ = inside
    if os.getuid() == 0:
        assert report["uid"] == LEARNER_UID, f"a root grader's kernel must run as nobody, not uid {report['uid']}"
    else:
        assert report["uid"] == os.getuid()
    assert report["pid"] < 10, "the kernel should be one of the first processes of its own PID namespace"


def test_no_network_and_no_view_of_solutions_gradebook_or_home(inside):
    report, *_ = inside
    assert not report["network"]
    assert not report["solutions"] and not report["autograder"]
    assert set(report["root_home"]) <= {".pyenv"}, f"the instructor's home shows {report['root_home']}"


def test_system_read_only_library_usable_and_a_private_writable_copy(inside):
    report, run, notebook_dir, _ = inside
    assert report["library"], "the course library and its data must be usable inside the sandbox"
    assert not report["write_usr"]
    assert report["write_cwd"], "the learner's folder must be writable"
    assert not (notebook_dir / "probe.txt").exists(), "the kernel wrote into the real submission folder"


def test_limits_and_environment(inside):
    report, run, _, limits = inside
    assert report["env"] == "autograde", "NBGRADER_EXECUTION must reach the kernel"
    assert report["memory"] == limits.memory_bytes and report["files"] == limits.file_bytes
    assert 0 < report["processes"] < 10**6
    assert list((run / "sockets").glob("connection-*.json")), "connection files live in the per-run folder"


def test_the_command_refuses_without_the_sandbox_and_records_unsafe(tmp_path):
    venv_only = {**os.environ, "PATH": os.path.dirname(sys.executable)}  # no bwrap, setpriv or prlimit
    result = subprocess.run([sys.executable, "-m", "autograder.grade", "ex1_lm_dataset", "--submitted",
                             str(tmp_path / "none"), "--out", str(tmp_path / "out")],
                            cwd=ROOT, env=venv_only, capture_output=True, text=True)
    assert result.returncode == 3, result.stderr
    assert "refusing" in result.stderr and "bubblewrap" in result.stderr and "--unsafe" in result.stderr


@pytest.mark.slow
def test_unsafe_grading_runs_and_is_recorded(tmp_path):
    import csv

    import nbformat

    from autograder.nbtools import filled, solution_sources
    release = ROOT / "notebooks" / "ex1_lm_dataset" / "ex1_lm_dataset.ipynb"
    answers = solution_sources(ROOT / "solutions" / "ex1_lm_dataset" / "ex1_lm_dataset.ipynb")
    (tmp_path / "sub" / "ann" / "ex1_lm_dataset").mkdir(parents=True)
    nbformat.write(filled(release, answers), tmp_path / "sub" / "ann" / "ex1_lm_dataset" / "ex1_lm_dataset.ipynb")
    venv_only = {**os.environ, "PATH": os.path.dirname(sys.executable)}
    result = run_grading(["ex1_lm_dataset", "--unsafe", "--submitted", str(tmp_path / "sub"), "--out",
                          str(tmp_path / "out")], env=venv_only)
    assert result.returncode == 0, result.stderr[-2000:]
    with (tmp_path / "out" / "learners.csv").open() as f:
        (row,) = list(csv.DictReader(f))
    assert row["flags"] == "unsafe" and row["score"] == row["max_score"], row

"""Run each learner's kernel in a sandbox while nbgrader grades.

nbgrader executes learner code with the grader's rights. Here every notebook's kernel starts
through `autograder.sandbox_kernel` (a kernel spec named like the notebooks' own, `python3`,
found first on JUPYTER_PATH), which runs it inside bubblewrap:

- as an unprivileged user: when the grader is root, bubblewrap builds the mounts and then
  `setpriv` drops to `nobody` for real (root inside a namespace could still read root-only
  files); otherwise the grader's own uid, in a fresh user namespace;
- with no network (its own network namespace), its own PID namespace (nothing outlives the
  kernel) and IPC namespace;
- seeing only the system folders, the Python installation and the course library and data,
  all read-only; a private writable copy of the notebook's folder; an empty /tmp. Not visible:
  solutions/, autograder/ (gradebook, configuration), other learners, the instructor's home;
- with limits on memory, processes, file size and output, and a wall-clock kill.

The kernel talks to nbgrader over Unix sockets (`KernelManager.transport=ipc`) in a per-run
folder that this module creates; a socket file works across network namespaces, TCP does not.
This module only ever changes (owner, mode) paths it created itself.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from . import ROOT

LEARNER_UID = 65534  # nobody: one uid is enough, every kernel has its own PID namespace
LAUNCHER = Path(__file__).with_name("sandbox_launch.py")
LAUNCHER_INSIDE = "/sandbox/launch.py"
SYSTEM_DIRS = ["/usr", "/etc", "/opt"]


@dataclass
class Limits:
    memory_bytes: int = 6 * 2**30  # address space; torch alone maps about 2 GB
    processes: int = 256  # per uid: a fork bomb stops here
    file_bytes: int = 64 * 2**20  # any one file the learner writes
    output_bytes: int = 2 * 2**20  # printed output kept per kernel; the rest is dropped
    notebook_seconds: int = 600  # wall clock for the whole notebook, then the kernel is killed


def why_unavailable() -> str | None:
    """None when the sandbox can run here; otherwise why not, in one sentence."""
    if platform.system() != "Linux":
        return f"the grading sandbox needs Linux (this is {platform.system()})"
    for tool, package in (("bwrap", "bubblewrap"), ("setpriv", "util-linux"), ("prlimit", "util-linux")):
        if shutil.which(tool) is None:
            return f"the grading sandbox needs `{tool}` (Debian package {package}), which is not installed"
    probe = subprocess.run(bwrap_prefix([], {}, Path("/")) + ["true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return ("bubblewrap cannot create namespaces here (are unprivileged user namespaces disabled?): "
                + probe.stderr.strip()[:200])
    return None


def _python_dirs() -> list[Path]:
    """The Python installation and the course environment (a venv points at its base)."""
    dirs = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent.parent}
    return sorted(dirs)


def course_dirs() -> list[Path]:
    """What learner code may read from the repository: the library and its data."""
    return [ROOT / "course_support", ROOT / "data"]


def bwrap_prefix(extra_binds: list[tuple[str, Path, Path]], env: dict[str, str], chdir: Path) -> list[str]:
    """bubblewrap's command line up to the program: mounts, namespaces, environment."""
    cmd = ["bwrap", "--die-with-parent", "--new-session", "--unshare-net", "--unshare-pid", "--unshare-ipc",
           "--unshare-uts", "--hostname", "sandbox", "--clearenv"]
    if os.geteuid() != 0:
        cmd += ["--unshare-user", "--cap-drop", "ALL"]
    made: set[str] = {"/"}

    def parents(dest: Path) -> list[str]:
        # bubblewrap creates missing parents with mode 0700, which the learner could not cross
        out = []
        for parent in reversed(dest.parents):
            if str(parent) not in made:
                made.add(str(parent))
                out += ["--perms", "0755", "--dir", str(parent)]
        return out

    for path in SYSTEM_DIRS:
        if Path(path).exists():
            cmd += ["--ro-bind", path, path]
            made.add(path)
    for link in ("bin", "lib", "lib64", "sbin"):
        if Path(f"/{link}").is_symlink():
            cmd += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
        elif Path(f"/{link}").is_dir():
            cmd += ["--ro-bind", f"/{link}", f"/{link}"]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
    made.add("/tmp")
    for path in _python_dirs() + course_dirs():
        if path.exists():
            cmd += parents(path) + ["--ro-bind", str(path), str(path)]
    for kind, source, dest in extra_binds:
        cmd += parents(dest) + [kind, str(source), str(dest)]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    return cmd + ["--chdir", str(chdir), "--"]


def write_kernel_spec(run_dir: Path, limits: Limits, unsafe_reason: str | None = None) -> dict[str, str]:
    """Create the per-run folder's kernel spec and return the environment variables and
    nbgrader options that make nbgrader use it."""
    data = run_dir / "jupyter-data"
    spec = data / "kernels" / "python3"
    spec.mkdir(parents=True)
    sockets = run_dir / "sockets"
    sockets.mkdir()
    (run_dir / "runtime").mkdir()
    if os.geteuid() == 0:
        os.chown(sockets, LEARNER_UID, LEARNER_UID)  # our own folder: the kernel creates its sockets here
    argv = [sys.executable, "-m", "autograder.sandbox_kernel", "--run-dir", str(run_dir), "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({
        "argv": argv, "display_name": "Python 3 (grading sandbox)", "language": "python",
        "interrupt_mode": "message",  # the kernel is in its own session: signals to our group miss it
    }, indent=1))
    (run_dir / "limits.json").write_text(json.dumps(asdict(limits)))
    return {"JUPYTER_PATH": str(data), "JUPYTER_RUNTIME_DIR": str(run_dir / "runtime")}


def nbgrader_options(run_dir: Path) -> list[str]:
    return ["--KernelManager.transport=ipc", f"--KernelManager.ip={run_dir / 'sockets' / 'kernel'}"]

"""The kernel command of the grading sandbox's kernel spec (see autograder/sandbox.py).

jupyter_client starts `python -m autograder.sandbox_kernel --run-dir RUN CONNECTION_FILE
[kernel args]` in the notebook's folder. This prepares what the sandbox may see (a copy of the
connection file and of the notebook's folder, owned by the learner uid, inside the run folder),
then replaces itself with `timeout` + bubblewrap + setpriv + prlimit + the kernel.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from .sandbox import LAUNCHER, LAUNCHER_INSIDE, LEARNER_UID, Limits, bwrap_prefix

PASSED_THROUGH = ("NBGRADER_EXECUTION", "COURSE_DATA_DIR", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "LANG")


def _own(path: Path) -> None:
    """Give a file or folder that this run created to the learner uid (root grader only)."""
    if os.geteuid() != 0:
        return
    for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.lchown(p, LEARNER_UID, LEARNER_UID)


def _threads_of_this_uid() -> int:
    """RLIMIT_NPROC counts every thread of the uid: without the uid drop that includes the grader's."""
    count = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if fields.get("Uid", "").split()[:1] == [str(os.getuid())]:
            count += int(fields.get("Threads", "1").strip())
    return count


def command(run_dir: Path, connection_file: Path, kernel_args: list[str], cwd: Path) -> list[str]:
    limits = Limits(**json.loads((run_dir / "limits.json").read_text()))
    kernel_id = f"{os.getpid()}"
    sockets = run_dir / "sockets"
    connection = sockets / f"connection-{kernel_id}.json"
    shutil.copyfile(connection_file, connection)
    _own(connection)
    private = run_dir / f"notebook-{kernel_id}"
    shutil.copytree(cwd, private, symlinks=True)
    _own(private)

    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "MPLCONFIGDIR": "/tmp",
           "PYTHONDONTWRITEBYTECODE": "1", "SANDBOX_OUTPUT_BYTES": str(limits.output_bytes)}
    env.update({k: os.environ[k] for k in PASSED_THROUGH if k in os.environ})
    binds = [("--bind", sockets, sockets), ("--bind", private, cwd), ("--ro-bind", LAUNCHER, Path(LAUNCHER_INSIDE))]
    cmd = ["timeout", "-s", "KILL", str(limits.notebook_seconds)] + bwrap_prefix(binds, env, cwd)
    processes = limits.processes
    if os.geteuid() == 0:  # a real uid change: root in a namespace could still read root-only files
        cmd += ["setpriv", f"--reuid={LEARNER_UID}", f"--regid={LEARNER_UID}", "--clear-groups",
                "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"]
    else:
        processes += _threads_of_this_uid()
    cmd += ["prlimit", f"--as={limits.memory_bytes}", f"--nproc={processes}", f"--fsize={limits.file_bytes}",
            "--", sys.executable, LAUNCHER_INSIDE, "-f", str(connection), *kernel_args]
    return cmd


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run-dir", type=Path, required=True)
    parser.add_argument("connection_file", type=Path)
    args, kernel_args = parser.parse_known_args()
    cmd = command(args.run_dir, args.connection_file, kernel_args, Path.cwd())
    # The kernel's own stdout/stderr (not what cells print, which goes to the notebook) go to a
    # log in the run folder; the file-size limit bounds it.
    log = os.open(args.run_dir / f"kernel-{os.getpid()}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main()

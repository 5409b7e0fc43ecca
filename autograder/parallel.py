"""Run nbgrader's autograde on several shards of learners at once, then merge what they wrote.

nbgrader grades one notebook at a time, and its sqlite gradebook takes one writer. So every
shard gets its own private copy of the gradebook (copied after the assignment was registered,
so that the assignment's rows are identical everywhere) and its own autograded folder; when all
shards are done their rows are merged into the main gradebook. Every row nbgrader creates has a
random UUID key, so the rows shared by all copies merge into one and nothing collides. A learner
belongs to exactly one shard: none is lost or graded twice.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from . import ROOT
from .release import nbgrader_env


def nbgrader_argv(args: list[str], work: Path, release: Path | None = None, source: Path | None = None) -> list[str]:
    """nbgrader's command line for a private working folder. The source notebooks are the run's
    instrumented copies in work/source (autograder/proof.py), never solutions/ itself."""
    return [sys.executable, "-m", "nbgrader", *args,
            f"--CourseDirectory.db_url=sqlite:///{work / 'gradebook.db'}",
            f"--CourseDirectory.source_directory={source or work / 'source'}",
            f"--CourseDirectory.release_directory={release or work / 'release'}",
            f"--CourseDirectory.submitted_directory={work / 'submitted'}",
            f"--CourseDirectory.autograded_directory={work / 'autograded'}"]


def run_nbgrader(args: list[str], work: Path) -> subprocess.CompletedProcess:
    return subprocess.run(nbgrader_argv(args, work), cwd=ROOT, env=nbgrader_env(), capture_output=True, text=True)


def autograde_in_shards(work: Path, assignment: str, students: list[str], jobs: int,
                        shard_setup: Callable[[Path], tuple[dict[str, str], list[str]]]) -> str:
    """Autograde work/submitted/<student>/ for every student, `jobs` shards at a time, into
    work/gradebook.db and work/autograded/. shard_setup(shard_folder) gives each shard's extra
    environment and nbgrader options (its sandbox). Returns the shards' logs, joined."""
    jobs = max(1, min(jobs, len(students)))
    threads = str(max(1, (os.cpu_count() or 1) // jobs))  # one core per learner kernel, not all of them each
    running = []
    for index in range(jobs):
        shard = work / f"shard-{index}"
        for student in students[index::jobs]:
            shutil.copytree(work / "submitted" / student, shard / "submitted" / student)
        shutil.copyfile(work / "gradebook.db", shard / "gradebook.db")
        extra_env, extra_args = shard_setup(shard)
        env = {**nbgrader_env(), "OMP_NUM_THREADS": threads, **extra_env}
        log = (shard / "nbgrader.log").open("w")
        argv = nbgrader_argv(["autograde", assignment, "--force", *extra_args], shard, release=work / "release",
                             source=work / "source")
        running.append((shard, log, subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)))
    logs = []
    for shard, log, process in running:
        process.wait()
        log.close()
        logs.append(f"==== {shard.name} (exit {process.returncode}) ====\n" + (shard / "nbgrader.log").read_text())
        merge_gradebook(work / "gradebook.db", shard / "gradebook.db")
        if (shard / "autograded").exists():
            shutil.copytree(shard / "autograded", work / "autograded", dirs_exist_ok=True)
    return "\n".join(logs)


def merge_gradebook(into: Path, part: Path) -> None:
    """Copy every row of `part` that `into` lacks (same schema: `part` began as a copy of `into`)."""
    with sqlite3.connect(into) as db:
        db.execute("ATTACH DATABASE ? AS part", (str(part),))
        tables = [row[0] for row in db.execute("SELECT name FROM part.sqlite_master WHERE type = 'table'")]
        for table in tables:
            db.execute(f'INSERT OR IGNORE INTO main."{table}" SELECT * FROM part."{table}"')
        db.commit()
        db.execute("DETACH DATABASE part")

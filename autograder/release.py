"""Generate the learners' release `notebooks/` from the source notebooks in `solutions/`.

    python -m autograder.release          # regenerate notebooks/ (what `make release` runs)
    python -m autograder.release --check  # exit 1 when notebooks/ is stale; changes nothing

nbgrader strips the solutions and hidden tests; `notebooks/` is never edited by hand. Before
that, each source notebook gets the current set-up cell (autograder/setup_cell.py: it installs the
course library where it is missing, from the repository named in `_config.yml`).
"""
from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import CONFIG, ROOT, setup_cell

SOURCE = ROOT / "solutions"
RELEASE = ROOT / "notebooks"


def assignments() -> list[str]:
    """Assignment folders of solutions/ that hold at least one notebook."""
    return sorted(p.parent.name for p in SOURCE.glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def nbgrader_env() -> dict:
    """Environment for nbgrader: our config file, and the environment's bin/ on PATH
    (nbgrader calls the `alembic` executable)."""
    env = dict(os.environ)
    env["JUPYTER_CONFIG_PATH"] = str(CONFIG.parent)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def generate(release_dir: Path) -> None:
    """Run nbgrader's generate_assignment for every assignment, writing into release_dir."""
    if not assignments():
        release_dir.mkdir(parents=True, exist_ok=True)
        return
    # One nbgrader call for all assignments (its start-up costs more than the work).
    cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", "*", "--force", "--no-db",
           f"--CourseDirectory.release_directory={release_dir}"]
    result = subprocess.run(cmd, cwd=ROOT, env=nbgrader_env(), capture_output=True, text=True)
    if result.returncode != 0 or "[GenerateAssignmentApp | ERROR]" in result.stderr:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"nbgrader generate_assignment failed (exit {result.returncode})")


def differences(a: Path, b: Path) -> list[str]:
    """Relative paths that differ between two release trees (missing on either side included)."""
    def files(root: Path) -> set[str]:
        return {str(p.relative_to(root)) for p in root.rglob("*")
                if p.is_file() and ".ipynb_checkpoints" not in p.parts and p.name != ".gitkeep"}
    fa, fb = files(a), files(b)
    changed = {f for f in fa & fb if not filecmp.cmp(a / f, b / f, shallow=False)}
    return sorted((fa ^ fb) | changed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report a stale notebooks/ and exit 1")
    args = parser.parse_args()
    sources = sorted(SOURCE.glob("*/*.ipynb"))
    stale_sources = [p for p in sources if setup_cell.refresh(p, write=not args.check)]
    if args.check and stale_sources:
        for path in stale_sources:
            print(f"stale: {path.relative_to(ROOT)} (its set-up cell differs from _config.yml's)")
        print("solutions/ is stale: run `make release`")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "release"
        generate(fresh)
        stale = differences(fresh, RELEASE)
        if args.check:
            for path in stale:
                print(f"stale: notebooks/{path}")
            print("notebooks/ is stale: run `make release`" if stale else "notebooks/ is up to date")
            return 1 if stale else 0
        for entry in RELEASE.iterdir() if RELEASE.exists() else []:
            if entry.name != ".gitkeep":
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        shutil.copytree(fresh, RELEASE, dirs_exist_ok=True)
        print(f"notebooks/: {len(assignments())} assignment(s) generated, {len(stale)} file(s) changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

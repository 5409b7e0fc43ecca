"""Build the learners' bundle: one zip with what a learner needs and nothing an instructor
keeps back (no solutions/, no autograder/).

    python scripts/learner_bundle.py [--out FILE] [--skip-release-check]
    make learner-bundle

The zip unpacks into one folder, `pretraining-course/`, holding the released exercises
(`notebooks/`), the chapters with widgets as notebooks (`chapters/`), the support library
(`course_support/`), its data (`data/`: corpus, tokenizer, checkpoints), the learners'
`requirements.txt` (the course pins without the book and test tools), a `pyproject.toml` that
installs the library with its data, and `README.md` (from scripts/LEARNER_README.md). The same sources give the same bytes (fixed dates, sorted names).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOP = "pretraining-course"  # the folder the zip unpacks into
DEFAULT_OUT = ROOT / "dist" / f"{TOP}-learner.zip"
TREES = ["notebooks", "course_support", "data"]
# Pins only the book build and the test suite need; a learner never installs them.
NOT_FOR_LEARNERS = {"jupyter-book", "sphinx-mathjax-offline", "sphinx-exercise", "pytest", "playwright"}
FIXED_DATE = (2026, 1, 1, 0, 0, 0)


def skipped(relative: Path) -> bool:
    """Editor, cache and build leftovers that must not travel (checkpoints may hold answers)."""
    return any(part.startswith(".") or part == "__pycache__" or part.endswith(".egg-info")
               for part in relative.parts) or relative.suffix == ".pyc"


def tree_files(name: str) -> dict[str, bytes]:
    base = ROOT / name
    return {path.relative_to(ROOT).as_posix(): path.read_bytes()
            for path in sorted(base.rglob("*"))
            if path.is_file() and not skipped(path.relative_to(base))}


def learner_requirements(text: str) -> str:
    """The course's pins without NOT_FOR_LEARNERS, under a header for learners (the course's
    own header speaks of make targets the bundle does not have)."""
    def package(line: str) -> str:
        return line.split("#")[0].split("==")[0].strip().lower()
    pins = [line for line in text.splitlines(keepends=True)
            if package(line) and package(line) not in NOT_FOR_LEARNERS]
    return ("# The exact versions the exercises are tested with (Python 3.11); README.md says how\n"
            "# to install them, and the smaller CPU-only PyTorch for machines without a GPU.\n"
            + "".join(pins))


def learner_pyproject(text: str) -> str:
    """The course's pyproject.toml (it installs course_support with its data, nothing else)
    without its test-runner settings, which the bundle has no use for."""
    return text.split("[tool.pytest.ini_options]")[0].rstrip() + "\n"


def bundle_entries() -> dict[str, bytes]:
    """Path inside the bundle folder -> content."""
    entries = {
        "README.md": (ROOT / "scripts" / "LEARNER_README.md").read_bytes(),
        "requirements.txt": learner_requirements((ROOT / "requirements.txt").read_text()).encode(),
        "pyproject.toml": learner_pyproject((ROOT / "pyproject.toml").read_text()).encode(),
    }
    for name in TREES:
        entries.update(tree_files(name))
    # The chapters with widgets as notebooks (book/notebooks/, made by autograder.chapter_notebooks).
    for path in sorted((ROOT / "book" / "notebooks").glob("*.ipynb")):
        entries[f"chapters/{path.name}"] = path.read_bytes()
    return entries


def write_zip(entries: dict[str, bytes], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(f"{TOP}/{name}", date_time=FIXED_DATE)
            info.external_attr = 0o644 << 16  # rw-r--r-- whatever the checkout's modes
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name])


def release_is_fresh() -> bool:
    """notebooks/ matches what nbgrader makes from solutions/ (autograder.release --check)."""
    result = subprocess.run([sys.executable, "-m", "autograder.release", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    sys.stdout.write(result.stdout)
    return result.returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"the zip to write (default {DEFAULT_OUT.relative_to(ROOT)})")
    parser.add_argument("--skip-release-check", action="store_true",
                        help="bundle notebooks/ as it is, without checking it against solutions/")
    args = parser.parse_args(argv)
    if not args.skip_release_check and not release_is_fresh():
        print("error: notebooks/ is stale; run `make release` first", file=sys.stderr)
        return 1
    entries = bundle_entries()
    write_zip(entries, args.out)
    size = args.out.stat().st_size
    print(f"{args.out}: {len(entries)} files, {size / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The one way the suite runs the grading command: `run_grading` runs it, then checks every
feedback file the run wrote against the lines a learner must never see: every line of a source
notebook in solutions/ (hidden tests, reference answers) that its release in notebooks/ does not
show. Written apart from autograder/messages.py, so that a bug there cannot hide itself here."""
import subprocess
import sys
from functools import cache
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
MIN_LINE = 16  # `_wrong = 0` is no secret; `assert _extra == 0, f"a sequence of n...` is


@cache
def withheld_lines(assignment: str) -> frozenset[str]:
    hidden = set()
    for source in (ROOT / "solutions" / assignment).glob("*.ipynb"):
        release = ROOT / "notebooks" / assignment / source.name
        shown = {line.strip() for cell in nbformat.read(release, as_version=4).cells
                 for line in cell.source.splitlines()}
        hidden |= {line.strip() for cell in nbformat.read(source, as_version=4).cells
                   for line in cell.source.splitlines() if len(line.strip()) >= MIN_LINE} - shown
    return frozenset(hidden)


def leaks_in(feedback_dir: Path) -> dict[str, list[str]]:
    """feedback file -> the withheld lines it shows (only files that show any)."""
    found = {}
    for path in sorted(feedback_dir.rglob("*.md")):
        if "feedback" not in path.relative_to(feedback_dir).parts:
            continue  # summary.md and the like
        hidden = withheld_lines(path.stem)
        text = path.read_text()
        shown = [line for line in hidden if line in text]
        if shown:
            found[str(path.relative_to(feedback_dir))] = shown
    return found


def run_grading(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """`python -m autograder.grade ARGS` from the repository root; fails when any feedback file it
    wrote shows a withheld line."""
    kwargs = {"cwd": ROOT, "capture_output": True, "text": True, **kwargs}
    result = subprocess.run([sys.executable, "-m", "autograder.grade", *args], **kwargs)
    out = Path(args[args.index("--out") + 1]) if "--out" in args else ROOT / "autograder" / "reports"
    leaks = leaks_in(out) if out.exists() else {}
    assert not leaks, "feedback shows lines of the hidden tests or reference answers:\n" + "\n".join(
        f"{name}: {lines[:3]}" for name, lines in leaks.items())
    return result

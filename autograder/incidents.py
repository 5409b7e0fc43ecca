"""What went wrong while a learner's notebook ran, read from the executed notebook and the
kernel's fate: each incident is a flag for learners.csv and one sentence for the learner."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

from .submissions import Problem

FORBIDDEN = re.compile(r"/(solutions|autograder)/|gradebook", re.I)
# (flag, test on "ErrorName: message", sentence for the learner); the first match wins.
ERROR_RULES = [
    ("killed", lambda e: e.startswith("KernelDied"),
     "your notebook's kernel was killed or exited before the notebook finished (os._exit, a crash, code "
     "that ignores the interrupt at a cell's time limit, or the time limit for the whole notebook); "
     "the cells after that point could not run"),
    ("tampered_comparisons", lambda e: "comparison functions were replaced" in e,
     "the comparison functions the tests use (torch.equal, torch.allclose, ...) were replaced; "
     "tests after that point fail"),
    ("timeout", lambda e: e.startswith("CellTimeoutError"),
     "a cell ran past the time limit and was stopped"),
    ("memory_limit", lambda e: e.startswith("MemoryError"),
     "your code used more memory than grading allows; the cell was stopped"),
    ("process_limit", lambda e: e.startswith("BlockingIOError") or "Resource temporarily unavailable" in e,
     "your code started more processes than grading allows"),
    ("network_blocked", lambda e: "Network is unreachable" in e or "Temporary failure in name resolution" in e
     or e.startswith(("URLError", "gaierror", "ConnectionError")),
     "your notebook tried to use the network, which grading does not allow"),
    ("input_requested", lambda e: e.startswith("StdinNotImplementedError"),
     "input() cannot be answered while grading; remove it from your notebook"),
    ("file_limit", lambda e: "File too large" in e,
     "your code wrote a file larger than grading allows"),
    ("forbidden_access", lambda e: bool(FORBIDDEN.search(e)) or "Read-only file system" in e,
     "your code tried to read or write files outside your notebook's folder, which grading does not allow"),
]


def find_incidents(executed: Path) -> list[Problem]:
    """Incidents seen in any cell of an executed notebook (learners' own extra cells included)."""
    if not executed.exists():
        return []
    found: dict[str, Problem] = {}
    for cell in nbformat.read(executed, as_version=4).cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                error = f"{out.get('ename', '')}: {out.get('evalue', '')}"
                for flag, matches, sentence in ERROR_RULES:
                    if matches(error):
                        found.setdefault(flag, Problem(flag, sentence))
                        break
            elif "[output stopped: this notebook printed more than" in str(out.get("data", {}).get("text/plain", "")):
                found.setdefault("output_limit", Problem(
                    "output_limit", "your notebook printed more than grading keeps; the rest of its output was dropped"))
    return list(found.values())

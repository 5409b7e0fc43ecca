"""What went wrong while a learner's notebook ran, read from the executed notebook and the
kernel's fate: each incident is a flag for learners.csv and one sentence for the learner."""
from __future__ import annotations

import re

from course_support.integrity import HOOKED, REPLACED

from .flags import sentence
from .submissions import Problem

FORBIDDEN = re.compile(r"/(solutions|autograder)/|gradebook", re.I)
# (flag, test on "ErrorName: message"); the first match wins. The sentences are in flags.py.
ERROR_RULES = [
    ("killed", lambda e: e.startswith("KernelDied")),
    ("tampered_comparisons", lambda e: REPLACED in e),
    ("hooked", lambda e: HOOKED in e),
    ("timeout", lambda e: e.startswith("CellTimeoutError")),
    ("memory_limit", lambda e: e.startswith("MemoryError")),
    ("process_limit", lambda e: e.startswith("BlockingIOError") or "Resource temporarily unavailable" in e),
    ("network_blocked", lambda e: "Network is unreachable" in e or "Temporary failure in name resolution" in e
     or e.startswith(("URLError", "gaierror", "ConnectionError"))),
    ("input_requested", lambda e: e.startswith("StdinNotImplementedError")),
    ("file_limit", lambda e: "File too large" in e),
    ("forbidden_access", lambda e: bool(FORBIDDEN.search(e)) or "Read-only file system" in e),
]


def incidents_of(executed) -> list[Problem]:
    """Incidents seen in any cell of an executed notebook (an nbformat notebook)."""
    found: dict[str, Problem] = {}
    for cell in executed.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                error = f"{out.get('ename', '')}: {out.get('evalue', '')}"
                for flag, matches in ERROR_RULES:
                    if matches(error):
                        found.setdefault(flag, Problem(flag, sentence(flag)))
                        break
            elif "[output stopped: this notebook printed more than" in str(out.get("data", {}).get("text/plain", "")):
                found.setdefault("output_limit", Problem("output_limit", sentence("output_limit")))
    return list(found.values())

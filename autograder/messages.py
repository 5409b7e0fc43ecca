"""What a learner's feedback may say, decided by the grader, never copied from the kernel.

Learner code runs in the same kernel as the tests and can raise or print anything, the hidden
tests' source included. So a failed test's message reaches the feedback only in a form the
grader rebuilds itself:

- an assertion message must match a message template that the source notebook holds (a string
  or f-string literal of its locked cells, or of the guard in course_support/integrity.py); the
  grader rebuilds it from the template; a placeholder's value may not quote the withheld text
  (beyond the notebook's own literals, such as a chapter's title) and is cut to
  PLACEHOLDER_CHARS characters unless it is made of those literals;
- another exception (a TypeError in the learner's own code, say) keeps its type and the first
  line of its message when that line shares no WINDOW characters with what the release does not
  show (the hidden tests and the reference answers);
- anything else becomes "the test failed (details withheld)" and the type, and the learner is
  flagged `unexpected_message`.
`[feedback] ` lines are kept only where the source prints them, and only when they equal a text
the source holds. Last, feedback.render withholds any line that holds a whole withheld line.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

FEEDBACK_PREFIX = "[feedback] "
PLACEHOLDER_CHARS = 100  # a value a template quotes (a shape, a count, a short list)
WINDOW = 24  # characters a shown text may not share with the withheld text
MIN_LINE = 16  # shorter withheld lines (`_wrong = 0`) say nothing about a test
WITHHELD = "the test failed (details withheld)"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,59}")
NAME_ERROR = re.compile(r"name '([A-Za-z_][A-Za-z0-9_]{0,59})' is not defined")
GUARD_SOURCE = Path(__file__).resolve().parent.parent / "course_support" / "integrity.py"
_HOLE = object()  # a placeholder in a template


def _parts(node) -> list | None:
    """A literal as constant text and holes, or None when `node` is no string literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value if isinstance(v, ast.Constant) else _HOLE for v in node.values]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _parts(node.left), _parts(node.right)
        return left + right if left is not None and right is not None else None
    return None


def literals(source: str) -> tuple[list[list], set[str]]:
    """Every string and f-string literal of some Python source (as parts), and its plain strings."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [], set()
    templates, constants, inside = [], set(), set()
    for node in ast.walk(tree):
        if id(node) in inside:
            continue
        parts = _parts(node)
        if parts is None:
            continue
        inside.update(id(n) for n in ast.walk(node))  # "a" "b" or "a" + f"{b}" is one message
        templates.append(parts)
        constants.update(p for p in parts if isinstance(p, str))
    return templates, constants


def _regex(parts: list) -> re.Pattern | None:
    fixed = "".join(p for p in parts if isinstance(p, str))
    if len(fixed.strip()) < 6 and _HOLE in parts:
        return None  # "{a} -> {b}" would match anything
    return re.compile("".join("(.*?)" if p is _HOLE else re.escape(p) for p in parts), re.S)


def _normal(text: str) -> str:
    return " ".join(text.split())


@dataclass
class Judgement:
    text: str  # what the feedback says about this error
    flag: str | None = None  # "unexpected_message" when the details were withheld


@dataclass
class NotebookTexts:
    """What the grader may show for one source notebook, and what it must never show."""
    templates: list[tuple[re.Pattern, list]] = field(default_factory=list)
    feedback: list[tuple[re.Pattern, list]] = field(default_factory=list)  # "[feedback] ..." templates
    constants: set[str] = field(default_factory=set)
    withheld_lines: set[str] = field(default_factory=set)  # source lines the release does not show
    windows: set[str] = field(default_factory=set)  # every WINDOW-character slice of those lines
    _long_constants: list[str] | None = None

    @classmethod
    def load(cls, source_nb: Path, release_nb: Path) -> NotebookTexts:
        texts = cls()
        source = nbformat.read(source_nb, as_version=4)
        locked = [c.source for c in source.cells if c.cell_type == "code"
                  and c.metadata.get("nbgrader", {}).get("locked")]
        for code in [*locked, GUARD_SOURCE.read_text()]:
            templates, constants = literals(code)
            texts.constants |= constants
            for parts in templates:
                regex = _regex(parts)
                if regex is None:
                    continue
                first = parts[0] if parts and isinstance(parts[0], str) else ""
                kind = texts.feedback if first.startswith(FEEDBACK_PREFIX) else texts.templates
                kind.append((regex, parts))
        release = nbformat.read(release_nb, as_version=4) if release_nb.exists() else None
        shown = {l.strip() for c in (release.cells if release else []) for l in c.source.splitlines()}
        texts.withheld_lines = {l.strip() for c in source.cells for l in c.source.splitlines()
                                if len(l.strip()) >= MIN_LINE and l.strip() not in shown}
        for line in texts.withheld_lines:
            line = _normal(line)
            texts.windows.update(line[i:i + WINDOW] for i in range(max(1, len(line) - WINDOW + 1)))
        return texts

    def _without_constants(self, value: str) -> str:
        """`value` less every longer literal of the source (a title, an explanation) it holds."""
        if self._long_constants is None:
            self._long_constants = sorted((c for c in self.constants if len(c) >= 8), key=len, reverse=True)
        for constant in self._long_constants:
            if constant in value:
                value = value.replace(constant, "")
        return value

    def leaks(self, text: str) -> bool:
        """Whether `text` shares WINDOW characters with the hidden tests or reference answers."""
        text = _normal(text)
        return any(text[i:i + WINDOW] in self.windows for i in range(max(0, len(text) - WINDOW + 1)))

    def _rebuild(self, text: str, templates) -> str | None:
        """`text` rebuilt from the first template it matches, or None."""
        if len(text) > 20_000:
            return None
        for regex, parts in templates:
            match = regex.fullmatch(text)
            if not match:
                continue
            values, out = iter(match.groups()), []
            for part in parts:
                if part is not _HOLE:
                    out.append(part)
                    continue
                value = next(values)
                rest = self._without_constants(value)  # what the source's own texts do not explain
                if self.leaks(rest):
                    break  # a placeholder that quotes the hidden tests: try the next template
                value = " ".join(value.split("\n"))
                whole = len(rest) <= 12 or len(value) <= PLACEHOLDER_CHARS  # e.g. a chapter's title
                out.append(value if whole else value[:PLACEHOLDER_CHARS] + "…")
            else:
                return "".join(out)
        return None

    def judge(self, ename: str, evalue: str) -> Judgement:
        """The feedback's words for one error a test cell raised."""
        ename = ename if IDENTIFIER.fullmatch(ename or "") else "Exception"
        evalue = ANSI.sub("", evalue or "").strip()
        if ename == "NotImplementedError":
            return Judgement("not answered yet (the function still raises NotImplementedError)")
        if ename == "CellTimeoutError":
            return Judgement("stopped: the cell ran past the time limit (an endless loop, or far too much work?)")
        if ename == "KernelDied":
            return Judgement("the kernel died, was killed, or stopped answering before this cell ran")
        if ename == "NameError" and (m := NAME_ERROR.fullmatch(evalue)):
            return Judgement(f"NameError: name '{m.group(1)}' is not defined (did an earlier answer cell fail "
                             "to run, or is a name misspelt?)")
        rebuilt = self._rebuild(evalue, self.templates)
        if rebuilt is not None:
            return Judgement(f"{ename}: {rebuilt}")
        if ename == "AssertionError":
            if not evalue:
                return Judgement("AssertionError (an assertion without a message failed)")
            return Judgement(f"{WITHHELD}: AssertionError", "unexpected_message")
        first = evalue.splitlines()[0] if evalue else ""
        if len(first) > 200 or self.leaks(first):
            return Judgement(f"{WITHHELD}: {ename}", "unexpected_message")
        return Judgement(f"your code raised {ename}" + (f": {first}" if first else ""))

    def feedback_lines(self, printed: str) -> tuple[list[str], bool]:
        """The `[feedback] ` lines a test cell printed that equal a text the source holds (a
        `[feedback]` literal whose placeholders are all literals of the source), prefix removed,
        and whether it printed others."""
        kept, other = [], False
        for line in ANSI.sub("", printed).splitlines():
            if not line.startswith(FEEDBACK_PREFIX):
                continue
            matches = (regex.fullmatch(line) for regex, _ in self.feedback)
            if any(m and all(v in self.constants for v in m.groups()) for m in matches):
                kept.append(line[len(FEEDBACK_PREFIX):])
            else:
                other = True
        return kept, other

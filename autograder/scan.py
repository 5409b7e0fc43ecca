"""Read the code a learner wrote for names that no solution needs: the machinery of IPython, of
frames and tracing, of memory. Finding one costs no points; it flags `suspicious_code` with the
line, for a person to look at.

Besides the plain names, it folds the strings a cell builds (concatenation, join, reversal, chr,
bytes.fromhex, base64, rot13, f-strings of constants) and looks for the names in them, so that
`getattr(sys, "set" + "trace")` is found; and it names code that runs or imports what it built
at run time (exec, eval, compile, __import__ with a computed argument).
"""
from __future__ import annotations

import ast
import base64
import codecs
import re

# name -> why a solution never needs it
NAMES = {
    "get_ipython": "reaches the IPython shell that runs the tests",
    "input_transformers": "rewrites cells before they run",
    "input_transformer_manager": "rewrites cells before they run",
    "ast_transformers": "rewrites cells before they run",
    "events.register": "runs code around every cell",
    "settrace": "watches every line that runs",
    "setprofile": "watches every call",
    "sys.monitoring": "watches every call",
    "_getframe": "reads the frames of the code that called it",
    "currentframe": "reads the frames of the code that called it",
    "f_back": "reads the frames of the code that called it",
    "f_locals": "reads another frame's variables",
    "f_globals": "reads another frame's variables",
    "tb_frame": "reads frames through a traceback",
    "linecache": "reads the source of the code that runs",
    "inspect.stack": "reads the frames of the code that called it",
    "inspect.trace": "reads the frames of the code that called it",
    "getouterframes": "reads the frames of the code that called it",
    "extract_stack": "reads the frames of the code that called it",
    "walk_stack": "reads the frames of the code that called it",
    "_ih": "reads the cells that ran",
    "_oh": "reads the cells' results",
    "In[": "reads the cells that ran",
    "ctypes": "reaches into the interpreter's memory",
    "gc.get_referrers": "finds objects the tests hold",
    "gc.get_objects": "finds objects the tests hold",
    "meta_path": "changes how modules are imported",
    "showtraceback": "changes how errors are reported",
}
_PATTERNS = {name: re.compile(r"(?<![A-Za-z0-9_])" + re.escape(name) + (r"(?![A-Za-z0-9_])" if name[-1].isalnum() or name[-1] == "_" else ""))
             for name in NAMES}
_RUNNERS = {"exec", "eval", "compile", "__import__", "import_module", "attrgetter"}


def _fold(node) -> str | None:
    """The string an expression builds from constants, or None when it depends on anything else."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else (node.value.decode("latin-1")
                                                              if isinstance(node.value, bytes) else None)
    if isinstance(node, ast.JoinedStr):
        parts = [_fold(v.value) if isinstance(v, ast.FormattedValue) else _fold(v) for v in node.values]
        return None if None in parts else "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _fold(node.left), _fold(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, (ast.List, ast.Tuple)):
        parts = [_fold(e) for e in node.elts]
        return None if None in parts else "".join(parts)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        base = _fold(node.value)
        step = node.slice.step
        if base is not None and isinstance(step, ast.UnaryOp) and isinstance(step.operand, ast.Constant):
            return base[::-1]
        return None
    if isinstance(node, ast.Call):
        func, args = node.func, node.args
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        try:
            if name == "chr" and args and isinstance(args[0], ast.Constant):
                return chr(int(args[0].value))
            if name == "join" and isinstance(func, ast.Attribute) and args:
                sep, items = _fold(func.value), args[0]
                if isinstance(items, (ast.List, ast.Tuple)):
                    parts = [_fold(e) for e in items.elts]
                    return None if sep is None or None in parts else sep.join(parts)
                folded = _fold(items)
                return None if sep is None or folded is None else sep.join(folded)
            if name == "decode" and len(args) == 2:  # codecs.decode(text, "rot13")
                inner, how = _fold(args[0]), _fold(args[1])
                return None if None in (inner, how) else codecs.decode(inner, how)
            if name in ("decode", "lower", "upper", "strip") and isinstance(func, ast.Attribute):
                inner = _fold(func.value)
                return None if inner is None else getattr(inner, name)() if name != "decode" else inner
            if name == "replace" and isinstance(func, ast.Attribute) and len(args) == 2:
                inner, a, b = _fold(func.value), _fold(args[0]), _fold(args[1])
                return None if None in (inner, a, b) else inner.replace(a, b)
            if name == "fromhex" and args:
                inner = _fold(args[0])
                return None if inner is None else bytes.fromhex(inner).decode("latin-1")
            if name in ("b64decode", "standard_b64decode", "urlsafe_b64decode") and args:
                inner = _fold(args[0])
                return None if inner is None else base64.b64decode(inner).decode("latin-1")
        except (ValueError, TypeError, LookupError, OverflowError):
            return None
    return None


def scan(source: str) -> list[tuple[int, str, str]]:
    """(line number, the line, why) for every suspicious line of one cell."""
    found: dict[int, str] = {}
    lines = source.splitlines()
    for number, line in enumerate(lines, 1):
        code = line.split("#", 1)[0] if "'" not in line and '"' not in line else line
        for name, pattern in _PATTERNS.items():
            if pattern.search(code):
                found.setdefault(number, f"`{name}` {NAMES[name]}")
                break
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [(n, lines[n - 1].strip(), why) for n, why in sorted(found.items())]
    for node in ast.walk(tree):
        number = getattr(node, "lineno", None)
        if number is None or number in found:
            continue
        if isinstance(node, (ast.BinOp, ast.Call, ast.JoinedStr, ast.Subscript)):
            folded = _fold(node)
            if folded and not (isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values)):
                hit = next((n for n, p in _PATTERNS.items() if p.search(folded)), None)
                if hit:
                    found[number] = f"`{hit}` spelt at run time: {NAMES[hit]}"
                    continue
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in _RUNNERS and node.args and _fold(node.args[0]) is None:
                found[number] = f"`{name}` of code or a name built at run time"
            elif name in ("getattr", "setattr", "delattr") and len(node.args) >= 2 and _fold(node.args[1]) is None \
                    and _builds_strings(tree):
                found[number] = f"`{name}` with a name built at run time"
    return [(n, lines[n - 1].strip(), why) for n, why in sorted(found.items())]


def _builds_strings(tree) -> bool:
    """Whether a cell builds strings in the ways obfuscation does (so that a getattr with a
    variable name is worth a look); an ordinary getattr(module, name) is not."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("chr", "join", "fromhex", "b64decode", "decode", "replace"):
                return True
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice) and node.slice.step is not None:
            return True
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and (
                _fold(node.left) is not None or _fold(node.right) is not None):
            return True
    return False

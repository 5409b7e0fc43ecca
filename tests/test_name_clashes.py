"""Test cells cannot clobber a learner's names. Every test cell keeps its working names inside the
function it calls (`_grading_test`), so a learner may name their own helpers `_batches`, `_loss`,
`pairs` or `x`. Here each exercise is filled with a correct answer plus a cell that gives every
name any test cell binds (hidden tests included) a value of the learner's own; the ex3 answer's
own helpers are `_loss` and `_batches`. All of them are graded in ONE call: full marks, no flag,
and every one of those names still holds the learner's value at the end."""
import ast
import builtins
import csv
import re

import nbformat
import pytest

from autograder.nbtools import filled, grade_id, solution_sources
from leaks import run_grading

pytestmark = pytest.mark.slow
LEARNER = "clash"
RESERVED = re.compile(r"_comparisons$|_grading_")
IPYTHON = re.compile(r"_+|_i+|_i\d+|_\d+|_[iod]h|In|Out")  # IPython's own history names


def bound_names(source: str, *, top_level_only: bool) -> set[str]:
    tree = ast.parse(source)
    nodes = [n for stmt in tree.body for n in ([stmt] if top_level_only else ast.walk(stmt))]
    if top_level_only:  # what a top-level statement binds, not what its functions bind inside
        nodes = [n for stmt in tree.body if not isinstance(stmt, (ast.FunctionDef, ast.ClassDef))
                 for n in ast.walk(stmt)] + [s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.ClassDef))]
    names = set()
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def clashing_names(source_nb, release_nb) -> list[str]:
    """Every name a test cell binds, at any depth, that the notebook's own cells do not bind at the
    top (a learner cannot reuse `torch` or `tok` anyway) and that is neither reserved nor built in."""
    source, release = nbformat.read(source_nb, as_version=4), nbformat.read(release_nb, as_version=4)
    tests = set().union(*(bound_names(c.source, top_level_only=False) for c in source.cells
                          if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")))
    own = set().union(*(bound_names(c.source, top_level_only=True) for c in release.cells
                        if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("grade")))
    return sorted(n for n in tests - own if not RESERVED.match(n) and not hasattr(builtins, n)
                  and not IPYTHON.fullmatch(n) and not (n.startswith("__") and n.endswith("__")))


def with_own_helpers(train_source: str) -> str:
    """The reference `train`, with its loss and its endless batches as module-level helpers named
    `_loss` and `_batches`, the names that the ex3 tests once assigned."""
    helpers = (
        "def _loss(logits, labels):\n"
        "    return F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), labels.reshape(-1),\n"
        "                           ignore_index=IGNORE_INDEX)\n\n\n"
        "def _batches(loader):\n"
        "    sampler, epoch = getattr(loader, 'sampler', None), 0\n"
        "    while True:\n"
        "        if hasattr(sampler, 'set_epoch'):\n"
        "            sampler.set_epoch(epoch)\n"
        "        empty = True\n"
        "        for batch in loader:\n"
        "            empty = False\n"
        "            yield batch\n"
        "        if empty:\n"
        "            raise ValueError('train_loader yields no batch')\n"
        "        epoch += 1\n\n\n")
    loss = re.compile(r"loss = F\.cross_entropy\(logits\.reshape\(-1, logits\.size\(-1\)\)\.float\(\), "
                      r"labels\.reshape\(-1\),\s*ignore_index=IGNORE_INDEX\)")
    assert loss.search(train_source) and "batches = endless_batches()" in train_source
    train_source = loss.sub("loss = _loss(logits, labels)", train_source)
    return helpers + train_source.replace("batches = endless_batches()", "batches = _batches(train_loader)")


def clash_notebook(root, assignment):
    source = root / "solutions" / assignment / f"{assignment}.ipynb"
    release = root / "notebooks" / assignment / f"{assignment}.ipynb"
    answers = solution_sources(source)
    if "answer_train" in answers:
        answers["answer_train"] = with_own_helpers(answers["answer_train"])
    nb = filled(release, answers)
    answers_bind = set().union(*(bound_names(a, top_level_only=True) for a in answers.values()))
    names = [n for n in clashing_names(source, release) if n not in answers_bind]  # the answer's own
    first = next(i for i, c in enumerate(nb.cells) if (grade_id(c) or "").startswith("answer_"))
    mine = "class _Mine:\n    pass\n\n\n_mine = {}\n" + "".join(f"{n} = _mine[{n!r}] = _Mine()\n" for n in names)
    nb.cells.insert(first, nbformat.v4.new_code_cell(mine))
    nb.cells.append(nbformat.v4.new_code_cell(
        "print('[clobbered]', sorted(n for n, v in _mine.items() if globals().get(n) is not v))"))
    return nb, names


@pytest.fixture(scope="module")
def graded(root, tmp_path_factory):
    submitted, out = tmp_path_factory.mktemp("submitted"), tmp_path_factory.mktemp("reports")
    assignments = sorted(p.parent.name for p in (root / "solutions").glob("*/*.ipynb"))
    names = {}
    for assignment in assignments:
        nb, names[assignment] = clash_notebook(root, assignment)
        (submitted / LEARNER / assignment).mkdir(parents=True)
        nbformat.write(nb, submitted / LEARNER / assignment / f"{assignment}.ipynb")
    result = run_grading(["--all", "--submitted", str(submitted), "--out", str(out)])
    assert result.returncode == 0, result.stderr[-3000:]
    return out, names


def test_the_tests_bind_names_a_learner_might_use(graded):
    _, names = graded
    assert {"pairs", "x", "y", "_gen", "_wrong"} <= set().union(*names.values()), names


@pytest.mark.parametrize("assignment", sorted(p.parent.name for p in (__import__("autograder").ROOT / "solutions")
                                               .glob("*/*.ipynb")))
def test_a_learner_who_uses_every_test_name_keeps_full_marks_and_every_name(graded, assignment):
    out, _ = graded
    with (out / assignment / "learners.csv").open() as f:
        row = next(csv.DictReader(f))
    feedback = (out / assignment / "feedback" / LEARNER / f"{assignment}.md").read_text()
    assert (row["score"], row["flags"]) == (row["max_score"], ""), f"{row}\n{feedback}"
    executed = nbformat.read(out / assignment / "autograded" / LEARNER / assignment / f"{assignment}.ipynb",
                             as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    clobbered = re.search(r"\[clobbered\] (.*)", printed)
    assert clobbered and clobbered.group(1) == "[]", f"the tests overwrote the learner's names: {clobbered}"

"""The repository has the agreed layout, and the support library holds no exercise answer."""
import ast
import re

import pytest
from contract import GRADED_NAMES

REQUIRED = ["book", "notebooks", "solutions", "autograder/__init__.py", "autograder/nbgrader_config.py",
            "_config.yml", "_toc.yml", "requirements.txt", "README.md", "Makefile", ".ci/run",
            "tests", "data/austen", "data/tokenizer", "course_support/__init__.py"]


@pytest.mark.parametrize("path", REQUIRED)
def test_required_path_exists(root, path):
    assert (root / path).exists(), f"{path} is missing from the repository"


def test_requirements_pin_exact_versions(root):
    lines = [l.split("#")[0].strip() for l in (root / "requirements.txt").read_text().splitlines()]
    reqs = [l for l in lines if l]
    loose = [r for r in reqs if "==" not in r]
    assert not loose, f"requirements must pin exact versions; not pinned: {loose}"
    pins = dict(r.split("==") for r in reqs)
    assert pins["torch"] == "2.13.0"
    assert pins["jupyter-book"].startswith("1."), "the course uses Jupyter Book 1"
    assert pins["nbgrader"].startswith("0.9."), "the course uses nbgrader 0.9"


def library_sources(root):
    return sorted((root / "course_support").glob("*.py"))


def test_library_defines_no_graded_name(root):
    for path in library_sources(root):
        tree = ast.parse(path.read_text())
        defined = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        clash = defined & set(GRADED_NAMES)
        assert not clash, f"{path.name} defines {sorted(clash)}: exercise answers never live in the library"


# What an answer to a graded function would need; the library never needs it.
ANSWER_INGREDIENTS = {
    "cross_entropy": "a next-token or masked loss (ar_loss, mlm_loss)",
    "ignore_index": "label masking with -100",
    "-100": "label masking with -100",
    "bernoulli": "random masking (mask_tokens)",
    "clip_grad_norm": "gradient clipping (train)",
    "GradScaler": "mixed-precision training (train)",
    "AdamW": "the optimizer (configure_optimizer)",
    "lr_scheduler": "a learning-rate schedule (lr_at)",
    "is_next": "next-sentence pairs (make_nsp_pairs)",
    "requires_grad_": "freezing parameters (set_trainable)",
    "argmax": "counting correct predictions (accuracy)",
}


@pytest.mark.parametrize("needle", sorted(ANSWER_INGREDIENTS))
def test_library_holds_no_answer_ingredient(root, needle):
    hits = [f"{p.name}:{i}" for p in library_sources(root)
            for i, line in enumerate(p.read_text().splitlines(), 1)
            if re.search(re.escape(needle), line)]
    assert not hits, f"{needle!r} ({ANSWER_INGREDIENTS[needle]}) appears in the library at {hits}"

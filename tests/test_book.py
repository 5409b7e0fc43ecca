"""The Jupyter Book builds with warnings as errors, and shows what the course promises."""
import html
import re

import pytest
from contract import ASSIGNMENTS

pytestmark = pytest.mark.slow


def page(site, name) -> str:
    return (site / "book" / f"{name}.html").read_text()


def text_of(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_chain_rule_is_display_math_for_mathjax(site):
    chapter = page(site, "autoregressive")
    block = re.search(r'<div class="math[^"]*" id="equation-eq-chain-rule">(.*?)</div>', chapter, re.S)
    assert block, "the chain-rule equation is missing"
    display = re.search(r"\\\[(.*?)\\\]", text_of(block.group(1)), re.S)  # MathJax's \[ ... \]
    assert display and "\\prod_{i=1}^{n} P(x_i \\mid x_1, \\ldots, x_{i-1}" in display.group(1)
    assert re.search(r'<script[^>]+src="[^"]*mathjax[^"]*"', chapter, re.I), "MathJax is not loaded"


def test_cat_example_runs_with_the_course_tokenizer(site):
    chapter = text_of(page(site, "autoregressive"))
    assert "['The', ' c', 'at', ' sat', ' on', ' the', ' mat']" in chapter
    assert "'The cat sat on the'     -> ' mat'" in chapter
    for context, target in [("The", "cat"), ("The cat sat on the", "mat")]:
        assert re.search(rf"<td[^>]*>\s*<p>{context}</p>\s*</td>\s*<td[^>]*>\s*<p>{target}</p>",
                         page(site, "autoregressive")), f"word-level row {context} -> {target} missing"


def test_figures_are_generated_at_build_time(site):
    images = re.findall(r'<img[^>]+src="([^"]+\.png)"', page(site, "autoregressive"))
    assert len(images) >= 2, "the causal-mask and next-token figures are missing"
    for src in images:
        assert (site / "book" / src).resolve().stat().st_size > 5000


def test_intro_reports_measured_corpus_figures(site):
    intro = text_of(page(site, "intro"))
    assert re.search(r"train\s+Sense and Sensibility.*?\s[\d,]{9}\s+[\d,]{7}\s+0\.\d{3}", intro, re.S)
    assert "vocabulary of 4096 entries" in intro


def test_exercises_page_lists_every_assignment(site, root):
    listed = text_of(page(site, "exercises"))
    names = set(ASSIGNMENTS) | {p.name for p in (root / "solutions").iterdir() if p.is_dir()}
    missing = [n for n in sorted(names) if n not in listed]
    assert not missing, f"the exercises page does not list {missing}"


def test_citations_resolve_to_the_references_page(site):
    refs = text_of(page(site, "references")).lower()
    for title in ["language models are few-shot learners", "a neural probabilistic language model",
                  "janeaustenr"]:
        assert title in refs
    assert "Brown" in text_of(page(site, "autoregressive"))


def test_solutions_never_reach_the_site(site):
    leaked = [str(p.relative_to(site)) for p in site.rglob("*") if "solutions" in p.parts or "notebooks" in p.parts]
    assert not leaked, f"the site contains {leaked[:5]}"
    for path in site.rglob("*.html"):
        text = path.read_text()
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "NBGRADER"):
            assert marker not in text, f"{path.relative_to(site)} contains {marker!r}"


def test_no_solution_or_hidden_test_line_reaches_the_site_or_library(site, root):
    """Every line of 25+ characters between solution or hidden-test markers of every source
    notebook is absent from the built site and from the support library."""
    from autograder.nbtools import marked_lines

    secret = {line for nb in (root / "solutions").glob("*/*.ipynb")
              for kind in ("SOLUTION", "HIDDEN TESTS") for line in marked_lines(nb, kind, min_len=25)}
    published = [p for p in site.rglob("*") if p.is_file() and p.suffix in {".html", ".js", ".txt", ".ipynb", ".md"}]
    published += sorted((root / "course_support").glob("*.py"))
    for path in published:
        text = path.read_text(errors="replace")
        leaks = [line for line in secret if line in text]
        assert not leaks, f"{path.name} contains solution or hidden-test lines: {leaks[:3]}"

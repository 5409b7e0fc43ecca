"""The Jupyter Book builds with warnings as errors, and shows what the course promises."""
import html
import re
from pathlib import Path

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


def test_solutions_never_reach_the_site(site, root):
    leaked = [str(p.relative_to(site)) for p in site.rglob("*") if "solutions" in p.parts]
    assert not leaked, f"the site contains {leaked[:5]}"
    for path in site.rglob("*.html"):
        text = path.read_text()
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS"):
            assert marker not in text, f"{path.relative_to(site)} contains {marker!r}"
    # The exercise pages' downloads are the release notebooks, byte for byte.
    for path in site.rglob("*.ipynb"):
        if "notebooks" in path.parts:
            release = root / Path(*path.parts[path.parts.index("notebooks"):])
            assert release.exists() and path.read_bytes() == release.read_bytes(), \
                f"{path.relative_to(site)} is not the release notebook {release.relative_to(root)}"


def test_exercise_pages_launch_release_notebooks_only(site):
    launch = re.compile(r'<a href="(https://(?:mybinder\.org|jupyterhub\.example\.edu|colab\.research\.google\.com)[^"]*)"')
    for name in ASSIGNMENTS:
        page_html = (site / "notebooks" / name / f"{name}.html").read_text()
        links = [html.unescape(u) for u in launch.findall(page_html)]
        assert len(links) == 3, f"{name}: expected Binder, JupyterHub and Colab buttons, found {links}"
        for url in links:
            assert f"notebooks/{name}/{name}.ipynb" in url.replace("%2F", "/"), f"{name}: {url} does not open the release"
    # A chapter may only open its own notebook, book/notebooks/<chapter>.ipynb, which the
    # widget chapters link to (test_chapter_notebooks.py); the theme's buttons stay off.
    anywhere = re.compile(r'<a\b[^>]*\shref="(https://(?:mybinder\.org|jupyterhub\.example\.edu|colab\.research\.google\.com)[^"]*)"')
    for chapter in (site / "book").glob("*.html"):
        own = f"book/notebooks/{chapter.stem}.ipynb"
        others = [u for u in map(html.unescape, anywhere.findall(chapter.read_text())) if own not in u]
        assert not others, f"{chapter.name} has launch links {others}; only exercise pages and widget chapters may"


def test_no_solution_or_hidden_test_line_reaches_the_site_or_library(site, root):
    """Every line of 25+ characters between solution or hidden-test markers of every source
    notebook is absent from the built site and from the support library."""
    from autograder.nbtools import marked_lines

    import nbformat

    secret = {line for nb in (root / "solutions").glob("*/*.ipynb")
              for kind in ("SOLUTION", "HIDDEN TESTS") for line in marked_lines(nb, kind, min_len=25)}
    # A line the release itself shows (given code, a visible test, a hint) is public by construction.
    release = "\n".join(cell.source for nb in (root / "notebooks").glob("*/*.ipynb")
                         for cell in nbformat.read(nb, as_version=4).cells)
    secret = {line for line in secret if line not in release}
    assert len(secret) > 100, "the search would find nothing: no secret lines were read"
    published = [p for p in site.rglob("*") if p.is_file() and p.suffix in {".html", ".js", ".txt", ".ipynb", ".md"}]
    published += sorted((root / "course_support").glob("*.py"))
    for path in published:
        text = html.unescape(path.read_text(errors="replace"))
        leaks = [line for line in secret if line in text]
        assert not leaks, f"{path.name} contains solution or hidden-test lines: {leaks[:3]}"


# ---- chapters: table of contents, structure, practice questions, widgets -------------------

def toc_files(root) -> list[str]:
    """Every `file:` entry of _toc.yml (and its root), as paths without suffix."""
    toc = (root / "_toc.yml").read_text()
    return re.findall(r"^\s*(?:-\s*)?(?:file|root):\s*(\S+)", toc, re.M)


def chapter_names(root) -> list[str]:
    """The chapters: pages of the numbered parts of _toc.yml (not the intro, exercises or references)."""
    names, numbered = [], False
    for line in (root / "_toc.yml").read_text().splitlines():
        if re.match(r"\s*-\s*caption:", line):
            numbered = False
        if re.match(r"\s*numbered:\s*true", line):
            numbered = True
        m = re.match(r"\s*-\s*file:\s*book/(\S+)", line)
        if m and numbered:
            names.append(m.group(1))
    return names


def test_every_book_page_is_in_the_table_of_contents(root):
    listed = {f.removesuffix(".md") for f in toc_files(root)}
    missing = [p.name for p in sorted((root / "book").glob("*.md")) if f"book/{p.stem}" not in listed]
    assert not missing, f"{missing} are in book/ but not in _toc.yml, so they are never built"


def test_the_first_three_chapters_are_numbered_chapters(root):
    chapters = chapter_names(root)
    assert chapters[:3] == ["unlabeled", "autoregressive", "masked"], chapters


def section(markup: str, heading_id: str) -> str:
    """The HTML of the <section> whose id is heading_id (up to the next section at any depth)."""
    m = re.search(rf'<section id="{re.escape(heading_id)}">(.*?)(?=<section id=|$)', markup, re.S)
    return m.group(1) if m else ""


@pytest.mark.parametrize("name", ["unlabeled", "autoregressive", "masked"])
def test_chapter_opens_with_learning_objectives_and_ends_with_a_summary(site, name):
    markup = page(site, name)
    objectives = section(markup, "learning-objectives")
    assert objectives, f"{name}: no 'Learning objectives' section"
    assert len(re.findall(r"<li>", objectives)) >= 3, f"{name}: fewer than three learning objectives"
    body = markup[markup.index('<article class="bd-article"'):]  # not the "Contents" sidebar
    first_h2 = re.search(r"<h2>(.*?)</h2>", body, re.S)
    assert first_h2 and "Learning objectives" in text_of(first_h2.group(1)), f"{name}: objectives are not first"
    assert section(markup, "summary"), f"{name}: no 'Summary' section"


def test_every_chapter_has_practice_questions_with_collapsed_solutions(site, root):
    for name in chapter_names(root):
        markup = page(site, name)
        exercises = re.findall(r'<div class="exercise admonition" id="([^"]+)"', markup)
        solutions = re.findall(r'<div class="solution dropdown admonition" id="([^"]+)"', markup)
        assert len(exercises) >= 2, f"{name}: {len(exercises)} practice exercises, at least 2 expected"
        assert len(solutions) >= len(exercises), f"{name}: {len(exercises)} exercises but {len(solutions)} collapsed solutions"
        for label in exercises:  # each solution links back to its exercise
            assert f'href="#{label}"' in markup, f"{name}: exercise {label} has no solution pointing at it"
        assert "togglebutton" in markup, f"{name}: the dropdown script is not loaded, solutions would show open"


def test_masked_chapter_has_the_loss_over_the_masked_set(site):
    chapter = page(site, "masked")
    block = re.search(r'<div class="math[^"]*" id="equation-eq-mlm-loss">(.*?)</div>', chapter, re.S)
    assert block, "the masked-language-modelling loss equation is missing"
    formula = text_of(block.group(1))
    for part in (r"\sum_{i \in M}", r"\log P(x_i \mid x_{\setminus M}"):
        assert part in formula, f"the MLM loss lacks {part!r}: {formula}"


def test_masked_chapter_shows_the_static_masking_explorer(site):
    chapter = page(site, "masked")
    explorer = section(chapter, "masking-explorer")
    assert explorer, "no 'Masking explorer' section"
    words = text_of(explorer)
    assert "Run this in JupyterLab to explore" in words and "ex2_masking" in words
    rows = re.findall(r"<tr[^>]*>\s*<td[^>]*>\s*(?:<p>)?(\d+)%", explorer)
    assert rows == ["15", "40", "80"], f"the static explorer table shows rates {rows}"
    assert "[MASK]" in words


def test_masked_chapter_has_measured_mask_statistics_and_the_outline_corrections(site):
    chapter = page(site, "masked")
    words = text_of(chapter)
    assert re.search(r"\d+ sentences, median \d+ tokens", words), "the measured sentence statistics are missing"
    assert "illustrative, not measured" in words, "the note on the outline's P(cat) = 0.9 is missing"
    for name in ("RoBERTa", "ALBERT", "sentence-order prediction", "Hugging Face"):
        assert name in words, f"{name} is not discussed"
    images = re.findall(r'<img[^>]+src="([^"]+\.png)"', chapter)
    assert images, "the mask-statistics figure is missing"


def test_segment_ids_are_shown_for_a_corpus_pair(site):
    words = text_of(page(site, "masked"))
    assert "I have a high respect for your nerves." in words and "They are my old friends." in words
    assert re.search(r"'\[SEP\]'\s+0\s+1.*?'\[SEP\]'\s+1\s+1.*?'\[PAD\]'\s+0\s+0", words, re.S), \
        "the segment-id table does not show [SEP] 0, then [SEP] 1, then padding 0 0"


def test_autoregressive_chapter_shows_sampling_and_the_cross_entropy_figure(site):
    chapter = page(site, "autoregressive")
    words = text_of(chapter)
    for label in ("greedy (temperature 0)", "temperature 1.5", "top-k 10"):
        assert label in words, f"the sampling demonstration lacks {label!r}"
    assert 'id="fig-cross-entropy"' in chapter and 'id="fig-temperature"' in chapter
    assert "id=\"equation-eq-temperature\"" in chapter


def test_unlabeled_chapter_demonstrates_pretraining_against_baselines(site):
    chapter = page(site, "unlabeled")
    words = text_of(chapter)
    m = re.search(r"unigram model: (\d+\.\d+) nats/token", words)
    h = re.search(r"after \d+ steps: held-out loss (\d+\.\d+) nats/token", words)
    assert m and h, "the demonstration's baseline or result is missing"
    assert float(h.group(1)) < float(m.group(1)), "the briefly trained model should beat the unigram model"
    assert 'id="fig-unlabeled-curve"' in chapter
    for key in ("Gururangan", "Wei", "Ouyang", "Radford", "Devlin", "Brown"):
        assert key in words, f"{key} is not cited"


def test_no_page_shows_an_empty_widget(site):
    """A widget view in static HTML renders only with its saved state and a widget manager served
    by the site; without them it is an empty box. Pages must show a static fallback instead."""
    for path in site.rglob("*.html"):
        markup = path.read_text()
        if "application/vnd.jupyter.widget-view+json" not in markup:
            continue
        has_state = "application/vnd.jupyter.widget-state+json" in markup
        local_manager = re.search(r'<script[^>]+src="(?!https?:|//)[^"]*(html-manager|embed-amd)[^"]*"', markup)
        assert has_state and local_manager, (
            f"{path.relative_to(site)} contains a widget view without saved state and a local widget "
            "manager: it would render empty; show a static figure or table instead")


def test_every_cited_key_is_in_the_bibliography(root):
    bib = "".join(p.read_text() for p in sorted((root / "book").glob("*.bib")))
    keys = set(re.findall(r"^@\w+\{([^,]+),", bib, re.M))
    cited = set()
    for path in (root / "book").glob("*.md"):
        for group in re.findall(r"\{cite(?::[tp])?\}`([^`]+)`", path.read_text()):
            cited.update(k.strip() for k in group.split(","))
    assert not cited - keys, f"cited but in no book/*.bib: {sorted(cited - keys)}"
    duplicates = [k for k in keys if len(re.findall(rf"^@\w+\{{{re.escape(k)},", bib, re.M)) > 1]
    assert not duplicates, f"duplicate bibliography keys: {duplicates}"

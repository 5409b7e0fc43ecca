"""The chapters with widgets as notebooks (book/notebooks/, autograder/chapter_notebooks.py):
fresh, opening with the course set-up cell, runnable outside the book, and linked from their
pages. Moving a slider in a real JupyterLab is tests/test_browser_widgets.py."""
import html
import re
import subprocess
import sys

import nbformat
import pytest
import yaml

from autograder.chapter_notebooks import CHAPTERS, path_of
from autograder.setup_cell import is_setup_cell, setup_cell_source


def code_cells(chapter):
    return [c for c in nbformat.read(path_of(chapter), as_version=4).cells if c.cell_type == "code"]


def test_chapter_notebooks_are_fresh(root):
    result = subprocess.run([sys.executable, "-m", "autograder.chapter_notebooks", "--check"],
                            cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, f"{result.stdout}{result.stderr}\n(run `python -m autograder.chapter_notebooks`)"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_opens_with_the_set_up_cell_and_holds_the_widget(chapter):
    cells = code_cells(chapter)
    assert is_setup_cell(cells[0]) and cells[0].source == setup_cell_source(), \
        f"{chapter}: the first code cell is not the course set-up cell"
    widgets = [c for c in cells if "widgets.interact(" in c.source]
    assert len(widgets) == 1, f"{chapter}: expected one widget cell, found {len(widgets)}"
    assert "skip-execution" not in widgets[0].metadata.get("tags", []), "the widget cell must run in the notebook"
    # Colab has no myst_nb (the book's glue): the notebook must not import it.
    assert not [c for c in cells if "myst_nb" in c.source], f"{chapter}: a cell imports myst_nb"
    assert all(not c.outputs and c.execution_count is None for c in cells), f"{chapter}: outputs were saved"


def test_chapter_notebooks_are_never_built_as_pages(root):
    config = yaml.safe_load((root / "_config.yml").read_text())
    assert config["only_build_toc_files"] is True
    assert "book/notebooks" not in (root / "_toc.yml").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_page_links_to_its_notebook(site, root, chapter):
    page = (site / "book" / f"{chapter}.html").read_text()
    box = re.search(r'<div class="chapter-notebook[^"]*">(.*?)</div>', page, re.S)
    assert box, f"{chapter}: no links to the chapter's notebook"
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', box.group(1))]
    target = f"book/notebooks/{chapter}.ipynb"
    launches = [h for h in hrefs if h.startswith("https://")]
    assert len(launches) == 3 and all(target in h for h in launches), f"{chapter}: launch links {launches}"
    [download] = [h for h in hrefs if h.endswith(f"/{chapter}.ipynb") and not h.startswith("https://")]
    copied = (site / "book" / download).resolve()
    assert copied.read_bytes() == path_of(chapter).read_bytes(), f"{chapter}: the download is not {target}"
    assert f"jupyter lab {target}" in html.unescape(re.sub(r"<[^>]+>", "", box.group(1)))
    assert not (site / "book" / "notebooks").exists(), "book/notebooks/ was built as pages"

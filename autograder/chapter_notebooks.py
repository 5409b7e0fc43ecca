"""Write the chapters that have widgets as plain notebooks, which a reader opens and runs.

    python -m autograder.chapter_notebooks          # write book/notebooks/<chapter>.ipynb
    python -m autograder.chapter_notebooks --check  # exit 1 and list the stale ones; writes nothing

A chapter (book/<chapter>.md) is a MyST markdown notebook: the book builds it, but JupyterLab
without jupytext opens it as text and Colab cannot open it. jupytext converts it into a notebook
with empty outputs and the course set-up cell first (autograder/setup_cell.py). The notebooks are
committed and never edited by hand; the chapter pages link to them (book/_ext/chapter_notebook.py).
Only the pages in _toc.yml are built, so book/notebooks/ never becomes pages of the site.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import jupytext
import nbformat

from . import ROOT
from .setup_cell import with_setup_cell

CHAPTERS = ["compute", "scaling"]  # the chapters whose calculators are ipywidgets
BOOK = ROOT / "book"
OUT = BOOK / "notebooks"

# myst_nb's glue puts a value into the book's text ({glue:text} roles) and is not installed on
# Colab; in a notebook nothing reads the value, so a stand-in that does nothing replaces it.
GLUE_IMPORT = "from myst_nb import glue"
GLUE_STAND_IN = "glue = lambda name, value, display=True: None  # the book quotes glued values in its text"
# The page's links to this notebook ({chapter-notebook} directive) mean nothing inside it.
LINKS_DIRECTIVE = re.compile(r"\n*```\{chapter-notebook\}[^\n]*\n(.*?\n)?```\n*", re.S)
# MyST's targets for cross-references, `(compute:summary)=`: in a notebook, lines of noise.
TARGET = re.compile(r"^\([\w:.-]+\)=[ \t]*\n", re.M)
# Tags that only tell the book build what not to run: in the notebook every cell runs.
BOOK_ONLY_TAGS = {"skip-execution"}


def note(chapter: str) -> str:
    return (f"*This notebook is generated from the chapter's source, `book/{chapter}.md`. Run the cells "
            "from the top. Cross-references, citations and the numbers that the book's text quotes from "
            "the code show as plain text here; the book's page shows them resolved.*")


def chapter_notebook(chapter: str) -> nbformat.NotebookNode:
    notebook = jupytext.read(BOOK / f"{chapter}.md", fmt="myst")
    notebook.metadata.pop("jupytext", None)  # a plain notebook, paired with nothing
    cells = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = TARGET.sub("", LINKS_DIRECTIVE.sub("\n\n", cell.source)).strip("\n")
            if not cell.source:
                continue
        elif cell.cell_type == "code":
            cell.source = cell.source.replace(GLUE_IMPORT, GLUE_STAND_IN)
            tags = [t for t in cell.metadata.get("tags", []) if t not in BOOK_ONLY_TAGS]
            if tags:
                cell.metadata["tags"] = tags
            else:
                cell.metadata.pop("tags", None)
        cells.append(cell)
    title, _, rest = cells[0].source.partition("\n")  # the chapter opens with its title
    if not title.startswith("# "):
        raise ValueError(f"book/{chapter}.md does not open with its title: {title!r}")
    cells[0].source = title
    notebook.cells = [cells[0], nbformat.v4.new_markdown_cell(note(chapter)),
                      *([nbformat.v4.new_markdown_cell(rest.strip("\n"))] if rest.strip() else []), *cells[1:]]
    notebook = with_setup_cell(notebook)
    for index, cell in enumerate(notebook.cells):  # stable ids: the same source gives the same bytes
        if cell.get("id") != "course-setup":
            cell.id = f"{chapter}-{index}"
    return notebook


def chapter_text(chapter: str) -> str:
    return nbformat.writes(chapter_notebook(chapter)) + "\n"


def path_of(chapter: str) -> Path:
    return OUT / f"{chapter}.ipynb"


def stale() -> list[Path]:
    """The chapter notebooks that are missing or differ from what their chapters give."""
    return [path_of(c) for c in CHAPTERS
            if not path_of(c).exists() or path_of(c).read_text(encoding="utf-8") != chapter_text(c)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="list stale notebooks and exit 1")
    args = parser.parse_args()
    if args.check:
        old = stale()
        for path in old:
            print(f"stale: {path.relative_to(ROOT)}")
        if old:
            print("run `python -m autograder.chapter_notebooks`")
        return 1 if old else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for chapter in CHAPTERS:
        path_of(chapter).write_text(chapter_text(chapter), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

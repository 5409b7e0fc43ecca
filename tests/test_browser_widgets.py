"""A reader opens a chapter as a notebook in JupyterLab 4, in a real browser: Run All, then move
the calculator's slider with the keyboard and see the printed figures change.

The scaling chapter runs fastest (no model, no DDP demonstration): its allocator has one slider,
the budget in log10 FLOPs, and prints `budget: <FLOPs>` with the allocations under it."""
import re
import shutil

import pytest

from autograder.chapter_notebooks import path_of
from browser import browser_context, jupyter_env, jupyter_lab, menu, open_notebook, require_browser

pytestmark = pytest.mark.slow

CHAPTER = "scaling"
RUN_TIMEOUT_MS = 120_000
BUDGET = re.compile(r"budget: (\S+) FLOPs")


def test_moving_the_slider_changes_the_allocation(tmp_path):
    sync_api = require_browser()
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(path_of(CHAPTER), work / f"{CHAPTER}.ipynb")
    with jupyter_lab(work, jupyter_env(tmp_path), tmp_path / "jupyterlab.log") as url, \
            browser_context(sync_api) as (context, watcher):
        page = open_notebook(context, url, f"{CHAPTER}.ipynb", RUN_TIMEOUT_MS)
        menu(page, "Run", "Run All Cells")

        wait_all_run(page)
        errors = page.locator(".jp-NotebookPanel [data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
        assert not errors, "a cell raised:\n" + "\n".join(errors)[-3000:]

        slider = page.locator(".jp-NotebookPanel .widget-slider")
        assert slider.count() == 1, f"expected the allocator's one slider, found {slider.count()}"
        cell = page.locator(".jp-NotebookPanel .jp-CodeCell", has=page.locator(".widget-slider"))
        before = printed_budget(cell)

        slider.locator(".noUi-handle").focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("([el, old]) => !el.innerText.includes(`budget: ${old} FLOPs`)",
                               arg=[cell.element_handle(), before], timeout=30_000)
        after = printed_budget(cell)
        assert float(after) > float(before), f"the budget went from {before} to {after} FLOPs"
        problems = watcher.take()
        assert not problems, "\n".join(problems) + f"\n(server log: {tmp_path / 'jupyterlab.log'})"


def printed_budget(cell) -> str:
    """The FLOPs of the last `budget:` line that the calculator printed (once it has printed)."""
    output = cell.locator(".widget-output", has_text="budget:")
    output.wait_for(timeout=RUN_TIMEOUT_MS)
    return BUDGET.findall(output.inner_text())[-1]


def wait_all_run(page):
    """Until every code cell shows an execution count, or one shows an error."""
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')];
            const errors = document.querySelectorAll(".jp-NotebookPanel [data-mime-type='application/vnd.jupyter.stderr']");
            return errors.length > 0 || (prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.innerText)));
        }""", timeout=RUN_TIMEOUT_MS)



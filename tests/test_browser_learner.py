"""A learner's session in JupyterLab 4, in a real browser: open a released exercise, fill in
correct answers, run every cell and see the visible tests pass; press Validate and read its
verdict; write a wrong answer and see the failure message its test names.

One JupyterLab (with nbgrader's extension, as installed in the environment) serves a
temporary folder for the whole module; the tests share its page and run in file order.

Validate works with nbgrader 0.9.6 on JupyterLab 4.6.6. The failure reported elsewhere
("Cannot check version: TypeError", nbgrader#1866 and #1883) comes from the extension's
button code, which looks up a `<jp-button>` element inside its toolbar item after the version
check: where a JupyterLab release renders toolbar buttons otherwise, that lookup throws and
the dialog shows the TypeError. If these tests fail that way, the command line
(`nbgrader validate NOTEBOOK`, tests/test_validate.py) still validates."""
import re

import nbformat
import pytest

from browser import (answered_notebook, browser_context, jupyter_env, jupyter_lab, menu, open_notebook,
                     require_browser, wait_kernel_idle)

pytestmark = pytest.mark.slow

ASSIGNMENT = "ex1_lm_dataset"  # the quickest exercise to run
# A plausible slip: contexts as tuples. The visible test names the rule it breaks.
WRONG_ANSWER_ID = "answer_make_ar_examples"
WRONG_ANSWER = '''def make_ar_examples(tokens):
    ids = list(tokens)
    return [(tuple(ids[:cut]), ids[cut]) for cut in range(1, len(ids))]'''
WRONG_TEST_ID = "test_make_ar_examples_pairs"
WRONG_MESSAGE = "AssertionError: every context must be a list (not a tuple or a tensor)"
RUN_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    sync_api = require_browser()
    home = tmp_path_factory.mktemp("learner")
    work = home / "work"
    notebook = answered_notebook(ASSIGNMENT)
    (work / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(notebook, work / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    cells = notebook.cells
    with jupyter_lab(work, jupyter_env(home), home / "jupyterlab.log") as url, \
            browser_context(sync_api) as (context, watcher):
        page = open_notebook(context, url, f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb", RUN_TIMEOUT_MS)
        yield page, watcher, cells, home


def code_cells(page):
    return page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell.jp-CodeCell")


def cell_at(page, cells, grade_id):
    index = next(i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(index)


def error_outputs(page) -> list[str]:
    """Text of every traceback or stderr output shown in the notebook."""
    return page.locator(".jp-NotebookPanel .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()


def test_correct_answers_pass_every_visible_test(lab):
    page, watcher, cells, _ = lab
    menu(page, "Run", "Run All Cells")
    n_code = sum(c.cell_type == "code" for c in cells)
    # Done when every code cell shows an execution count, or when one shows an error.
    try:
        page.wait_for_function(
            """([n]) => {
                const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')];
                const errors = document.querySelectorAll(".jp-NotebookPanel [data-mime-type='application/vnd.jupyter.stderr']");
                return errors.length > 0 || (prompts.length === n && prompts.every(p => /\\[\\d+\\]/.test(p.innerText)));
            }""", arg=[n_code], timeout=RUN_TIMEOUT_MS)
        wait_kernel_idle(page, RUN_TIMEOUT_MS)
    except Exception as timeout:
        prompts = code_cells(page).locator(".jp-InputPrompt").all_inner_texts()
        raise AssertionError(f"Run All did not finish in {RUN_TIMEOUT_MS / 1000:.0f} s; prompts: {prompts}") from timeout
    assert not error_outputs(page), "the reference answers raised in the browser:\n" + "\n".join(error_outputs(page))[-3000:]
    prompts = code_cells(page).locator(".jp-InputPrompt").all_inner_texts()
    assert len(prompts) == n_code and all(re.search(r"\[\d+\]", p) for p in prompts), prompts
    # The worked example of the first test prints the 6 pairs of the cat sentence.
    assert "' mat'" in cell_at(page, cells, "test_make_ar_examples_pairs").inner_text()


def press_validate(page) -> str:
    """Click nbgrader's Validate button; return the text of the verdict dialog (then close it)."""
    button = page.locator(".jp-NotebookPanel .validate-button")
    assert button.count() == 1, "no Validate button: is nbgrader's lab extension enabled (jupyter labextension list)?"
    button.click()
    dialog = page.locator(".jp-Dialog-content")
    dialog.wait_for(timeout=RUN_TIMEOUT_MS)
    text = dialog.inner_text()
    page.locator(".jp-Dialog-button.jp-mod-accept").click()
    dialog.wait_for(state="detached")
    return text


def test_validate_button_passes_the_correct_notebook(lab):
    page, *_ = lab
    verdict = press_validate(page)
    assert "Success! Your notebook passes all the tests." in verdict, f"Validate said:\n{verdict[-3000:]}"


def test_a_wrong_answer_shows_the_failure_its_test_names(lab):
    page, _, cells, _ = lab
    answer = cell_at(page, cells, WRONG_ANSWER_ID)
    answer.locator(".cm-content").click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(WRONG_ANSWER)  # no key events: the editor adds no brackets or indents
    assert answer.locator(".cm-content").inner_text().strip() == WRONG_ANSWER
    page.keyboard.press("Shift+Enter")  # run the answer, move to its test
    page.keyboard.press("Shift+Enter")  # run the test
    test_cell = cell_at(page, cells, WRONG_TEST_ID)
    test_cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").wait_for(timeout=RUN_TIMEOUT_MS)
    assert WRONG_MESSAGE in test_cell.locator(".jp-OutputArea").inner_text()


def test_validate_button_names_the_failing_test(lab):
    page, *_ = lab
    verdict = press_validate(page)
    assert "failed" in verdict.lower() and WRONG_MESSAGE in verdict, f"Validate said:\n{verdict[-3000:]}"
    assert "Success!" not in verdict


def test_the_session_logged_no_browser_error(lab):
    page, watcher, _, home = lab
    problems = watcher.take()
    assert not problems, "\n".join(problems) + f"\n(server log: {home / 'jupyterlab.log'})"

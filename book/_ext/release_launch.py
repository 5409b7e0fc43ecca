"""Launch buttons (Binder, JupyterHub, Colab) only on the exercise pages.

The theme puts launch buttons on every page that is a notebook, and the chapters are notebooks
too (MyST markdown with code cells). The buttons would open a chapter's .md source, which Colab
cannot read, so they are taken off every page but the release notebooks from notebooks/; the
chapters with widgets link to their notebooks instead (chapter_notebook.py)."""


def _keep_launch_buttons_on_release_notebooks(app, pagename, templatename, context, doctree):
    if pagename.startswith("notebooks/"):
        return
    buttons = context.get("header_buttons")
    if buttons:
        buttons[:] = [b for b in buttons if b.get("label") != "launch-buttons"]


def setup(app):
    # after sphinx-book-theme's own handler (priority 501) has added the buttons
    app.connect("html-page-context", _keep_launch_buttons_on_release_notebooks, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

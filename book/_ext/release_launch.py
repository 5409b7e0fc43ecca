"""Launch buttons (Binder, JupyterHub, Colab) only on the exercise pages.

The theme puts launch buttons on every page that is a notebook, and the chapters are notebooks
too (MyST markdown with code cells). A learner should only ever be sent to a release notebook
from notebooks/, so the buttons are taken off every other page."""


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

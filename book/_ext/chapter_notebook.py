"""The `{chapter-notebook}` directive: how to open a chapter as a notebook, at its calculator.

Widgets need a running kernel, which the static site does not have. `python -m
autograder.chapter_notebooks` writes each widget chapter as a plain notebook,
book/notebooks/<chapter>.ipynb (and leaves this directive out of it). The directive names the
command that opens it in the course environment, links to it on Binder, the JupyterHub and Colab,
built from `repository` and `launch_buttons` in _config.yml as the theme builds the exercise
pages' launch buttons, and copies it into the site for download. The theme's own buttons would
open the chapter's .md source, which Colab cannot read, so they stay off the chapters
(release_launch.py)."""
from pathlib import Path, PurePosixPath
from urllib.parse import urlencode

from docutils import nodes
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)
INTERFACES = {"classic": "tree", "jupyterlab": "lab/tree"}  # the theme's URL prefixes


def launch_links(theme_options: dict, path: str) -> list[tuple[str, str]]:
    """(name, URL) of each configured service that opens `path`, relative to the repository."""
    launch = theme_options.get("launch_buttons") or {}
    repo_url = (theme_options.get("repository_url") or "").rstrip("/")
    if "github.com/" not in repo_url:  # Binder's gh/ form and Colab read GitHub only
        return []
    org, repo = repo_url.split("github.com/")[-1].split("/")[:2]
    branch = theme_options.get("repository_branch") or "main"
    ui = INTERFACES[launch.get("notebook_interface", "classic")]
    links = []
    if binder := (launch.get("binderhub_url") or "").rstrip("/"):
        links.append(("Binder", f"{binder}/v2/gh/{org}/{repo}/{branch}?urlpath={ui}/{path}"))
    if hub := (launch.get("jupyterhub_url") or "").rstrip("/"):  # nbgitpuller clones into <repo>/
        query = urlencode({"repo": repo_url, "urlpath": f"{ui}/{repo}/{path}", "branch": branch}, safe="/")
        links.append(("JupyterHub", f"{hub}/hub/user-redirect/git-pull?{query}"))
    if colab := (launch.get("colab_url") or "").rstrip("/"):
        links.append(("Colab", f"{colab}/github/{org}/{repo}/blob/{branch}/{path}"))
    return links


class ChapterNotebook(SphinxDirective):
    """Takes no arguments: the notebook is book/notebooks/<this page's name>.ipynb."""

    def run(self):
        doc = PurePosixPath(self.env.docname)
        notebook = doc.parent / "notebooks" / f"{doc.name}.ipynb"  # relative to the book's root
        if not (Path(self.env.srcdir) / notebook).is_file():
            logger.warning(f"{notebook} is missing: run `python -m autograder.chapter_notebooks`",
                           location=self.get_location())
            return []
        options = self.config.html_theme_options
        docs = (options.get("path_to_docs") or "").strip("/")
        in_repo = f"{docs}/{notebook}" if docs else str(notebook)
        # Nodes, not markdown: a hub link's query (`&`) must reach the page unescaped.
        text = nodes.paragraph()
        text += [nodes.Text("Open this chapter as a notebook: in the course environment, run "),
                 nodes.literal(text=f"jupyter lab {in_repo}"), nodes.Text(" in the course folder")]
        links = launch_links(options, in_repo)
        for i, (name, url) in enumerate(links):
            text += nodes.Text("; or open it on " if i == 0 else " or " if i == len(links) - 1 else ", ")
            text += nodes.reference(text=name, refuri=url)
        if links:
            text += nodes.Text(" (its first cell installs the course library where it is missing)")
        text += nodes.Text("; or download ")
        text += addnodes.download_reference("", "", nodes.Text(notebook.name), refdoc=self.env.docname,
                                            reftarget=f"/{notebook}", refexplicit=True)
        text += nodes.Text(".")
        return [nodes.container("", text, classes=["chapter-notebook"])]


def setup(app):
    app.add_directive("chapter-notebook", ChapterNotebook)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Keep the published book usable without internet.

Jupyter Book 1 always loads sphinx-thebe, whose inline script points at a CDN (and is
emitted twice, which logs "Identifier 'THEBE_JS_URL' has already been declared"). The
course has no live-code cells, so this drops thebe's assets from every page, and refuses to
build a page that would still load a script or stylesheet from another host.
"""
from __future__ import annotations

import re

EXTERNAL = re.compile(r"^(https?:)?//", re.I)


def _drop_thebe(app, pagename, templatename, context, doctree):
    for key in ("script_files", "css_files"):
        files = context.get(key)
        if files is None:
            continue
        kept = [f for f in files if "thebe" not in str(getattr(f, "filename", f) or "")
                and "THEBE" not in str(getattr(f, "attributes", {}).get("body", ""))]
        external = [str(getattr(f, "filename", f)) for f in kept if EXTERNAL.match(str(getattr(f, "filename", f) or ""))]
        if external:
            raise RuntimeError(f"{pagename} would load {external} from another host; serve it locally")
        files[:] = kept


def setup(app):
    app.connect("html-page-context", _drop_thebe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

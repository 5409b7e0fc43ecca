"""The published book as a reader meets it, in a real browser, served from 127.0.0.1 with
every other host blocked: every page loads cleanly, every equation is typeset, every figure
shows, widgets show their saved state or their static fallback, and the table of contents,
search, download and launch buttons work. Screenshots go to runs/browser/.

One browser visits every page once (the `tour`); the tests then read what it saw."""
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import pytest

from browser import ARTIFACTS, ROOT, browser_context, require_browser, serve_folder

pytestmark = pytest.mark.slow

FALLBACK = "Run this in JupyterLab to explore"
WIDGET_VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]'
SEARCH_WORD = "perplexity"
MATH_PAGE = "book/autoregressive.html"  # a chapter with many equations, for the screenshot
RELEASE_NOTEBOOK = re.compile(r"notebooks/([\w-]+)/([\w-]+)\.ipynb")

# Run in the page once it has loaded: waits for MathJax's first typesetting and for every
# image, then reports what a reader would see.
INSPECT = """async ([widgetView]) => {
    const math = [...document.querySelectorAll('div.math, span.math')];
    let mathjax = 'absent';
    if (math.length) {
        const startup = window.MathJax && window.MathJax.startup;
        mathjax = startup && startup.promise ? 'started' : 'did not start';
        if (startup && startup.promise) await startup.promise;
    }
    const images = [...document.images];
    images.forEach(img => { img.loading = 'eager'; });
    await Promise.all(images.map(img => img.complete ? null :
        new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); })));
    const views = [...document.querySelectorAll(widgetView)];
    return {
        mathjax,
        math: math.length,
        typeset: document.querySelectorAll('mjx-container').length,
        untypeset: math.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.trim().slice(0, 80)),
        mathErrors: [...document.querySelectorAll('mjx-merror')].map(e => e.textContent.slice(0, 80)),
        images: images.length,
        brokenImages: images.filter(img => !(img.naturalWidth > 0)).map(img => img.getAttribute('src')),
        widgets: views.length,
        unrenderedWidgets: views.filter(v => !v.parentElement.querySelector('.jupyter-widgets')).length,
        downloads: [...document.querySelectorAll('.dropdown-download-buttons a[href]')].map(a => a.href),
        launches: [...document.querySelectorAll(
            '.dropdown-launch-buttons a[href], a[class*="launch"][href], a[title^="launch" i][href]')].map(a => a.href),
    };
}"""


@dataclass
class Visit:
    """What one page showed: the INSPECT report and the problems the Watcher caught."""
    report: dict
    problems: list[str] = field(default_factory=list)
    fallbacks_hidden: int = 0
    fallbacks: int = 0


def site_pages(site: Path) -> list[str]:
    return sorted(str(p.relative_to(site)) for p in site.rglob("*.html")
                  if not p.relative_to(site).parts[0].startswith("_"))


@pytest.fixture(scope="module")
def reader(site):
    """A browser on the served site: (page, watcher, base URL)."""
    sync_api = require_browser()
    with serve_folder(site) as url, browser_context(sync_api) as (context, watcher):
        page = context.new_page()
        page.set_default_timeout(30_000)
        yield page, watcher, url


@pytest.fixture(scope="module")
def tour(site, reader) -> dict[str, Visit]:
    page, watcher, url = reader
    watcher.take()
    visits = {}
    for name in site_pages(site):
        visit(page, f"{url}/{name}", redirects(site / name))
        report = page.evaluate(INSPECT, [WIDGET_VIEW])
        page.wait_for_load_state("networkidle")  # fonts MathJax asks for after typesetting
        fallbacks = page.get_by_text(FALLBACK).all()
        visits[name] = Visit(report, watcher.take(), sum(not f.is_visible() for f in fallbacks), len(fallbacks))
    return visits


def redirects(html: Path) -> bool:
    """Whether a page only forwards the reader elsewhere (the start page does)."""
    return bool(re.search(r'<meta http-equiv="refresh"', html.read_text(), re.I))


def visit(page, address, redirect=False):
    """Open a page as a reader does; for a forwarding page, wait until its target has loaded."""
    page.goto(address)
    if redirect:
        page.wait_for_url(lambda now: now != address)
        page.wait_for_load_state("load")


def failures(tour, check) -> str:
    lines = [f"{name}: {problem}" for name, visit in tour.items() for problem in check(visit)]
    return "\n".join(lines[:40])


def test_every_page_loads_without_errors_or_outside_requests(tour):
    assert len(tour) > 3, f"only {len(tour)} pages in the site"
    bad = failures(tour, lambda v: v.problems)
    assert not bad, "console errors, failed requests or requests leaving the site:\n" + bad


def test_every_equation_is_typeset(tour):
    def check(visit):
        r = visit.report
        if r["math"] and r["mathjax"] != "started":
            yield f"MathJax {r['mathjax']} on a page with {r['math']} equations"
        if r["typeset"] < r["math"]:
            yield f"{r['typeset']} typeset of {r['math']} equations"
        yield from (f"not typeset: {m}" for m in r["untypeset"][:5])
        yield from (f"TeX error: {m}" for m in r["mathErrors"][:5])
    assert sum(v.report["math"] for v in tour.values()) > 0, "no equation in the whole book?"
    bad = failures(tour, check)
    assert not bad, bad


def test_every_figure_appears(tour):
    assert sum(v.report["images"] for v in tour.values()) > 0, "no figure in the whole book?"
    bad = failures(tour, lambda v: (f"image not shown: {src}" for src in v.report["brokenImages"]))
    assert not bad, bad


def test_widgets_show_their_state_or_the_static_fallback(tour):
    def check(visit):
        if visit.report["unrenderedWidgets"]:
            yield f"{visit.report['unrenderedWidgets']} of {visit.report['widgets']} widgets show nothing (no saved state?)"
        if visit.fallbacks_hidden:
            yield f"{visit.fallbacks_hidden} '{FALLBACK}' notes are hidden"
    bad = failures(tour, check)
    assert not bad, bad
    # The exercises have interactive explorers: the book shows each as a widget or a note.
    if any("ipywidgets" in nb.read_text() for nb in (ROOT / "notebooks").glob("*/*.ipynb")):
        shown = sum(v.report["widgets"] + v.fallbacks for v in tour.values())
        assert shown, f"the exercises use widgets, but no page shows a widget or '{FALLBACK}'"


def test_table_of_contents_navigates(reader, site):
    page, watcher, url = reader
    visit(page, f"{url}/index.html", redirects(site / "index.html"))
    assert page.url.endswith("/book/intro.html"), f"the start page led to {page.url}"
    link = page.locator(f'nav.bd-docs-nav a.reference.internal[href$="{Path(MATH_PAGE).name}"]')
    title = link.inner_text().strip()
    link.click()
    page.wait_for_url(re.compile(re.escape(MATH_PAGE) + "$"))
    heading = page.locator("article h1").first.inner_text().strip("#¶ \n")
    assert title.split(". ", 1)[-1] in heading, f"the sidebar link {title!r} opened a page titled {heading!r}"
    assert not watcher.take()


def test_search_finds_a_word(reader):
    page, watcher, url = reader
    page.goto(f"{url}/search.html?q={SEARCH_WORD}")
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for()
    hits = [unquote(h) for h in results.evaluate_all("links => links.map(a => a.getAttribute('href'))")]
    assert any(h.startswith("book/") for h in hits), f"search for {SEARCH_WORD!r} found {hits}"
    assert not watcher.take()


def test_download_buttons_resolve(tour, reader):
    page, _, _ = reader
    missing = [name for name, v in tour.items() if name.startswith("book/") and not v.report["downloads"]]
    assert not missing, f"pages without a download button: {missing}"
    links = sorted({h for v in tour.values() for h in v.report["downloads"] if h.endswith((".md", ".ipynb"))})
    assert links, "no .md or .ipynb download link in the site"
    statuses = {link: page.request.get(link).status for link in links}
    bad = {link: status for link, status in statuses.items() if status != 200}
    assert not bad, f"download links that do not resolve: {bad}"


def test_launch_buttons_open_release_notebooks(tour):
    links = sorted({h for v in tour.values() for h in v.report["launches"]})
    assert links, ("no launch button in the built site: the exercise pages should have launch buttons "
                   "whose links open the release notebooks notebooks/<assignment>/<assignment>.ipynb")
    bad = []
    for link in links:
        target = unquote(unquote(link))  # hub links carry the path url-encoded in a query
        found = RELEASE_NOTEBOOK.search(target)
        if "solutions/" in target:
            bad.append(f"{link}: opens a solution")
        elif not found or found[1] != found[2]:
            bad.append(f"{link}: no notebooks/<assignment>/<assignment>.ipynb in it")
        elif not (ROOT / found[0]).exists():
            bad.append(f"{link}: {found[0]} is not in the release")
    assert not bad, "\n".join(bad)


def test_screenshots_of_the_start_page_and_a_chapter_with_math(reader, tour, site):
    page, _, url = reader
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, shot in [("index.html", "start-page.png"), (MATH_PAGE, "chapter-with-math.png")]:
        visit(page, f"{url}/{name}", redirects(site / name))
        page.evaluate(INSPECT, [WIDGET_VIEW])  # typeset and loaded before the picture
        page.screenshot(path=ARTIFACTS / shot)
        assert (ARTIFACTS / shot).stat().st_size > 10_000, f"{shot} looks empty"
    assert tour[MATH_PAGE].report["typeset"] > 0, f"{MATH_PAGE} has no typeset equation"

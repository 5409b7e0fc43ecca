"""The published book works in a classroom without internet: every script, style, font and
image comes from the site itself, MathJax renders in a real browser with every other host
blocked, and the page logs no error. Needs Debian's chromium (`.ci/run` installs it)."""
import functools
import http.server
import re
import shutil
import subprocess
import threading

import pytest

pytestmark = pytest.mark.slow
ASSET = re.compile(r'<(script|link|img|source|iframe)\b[^>]*?\s(src|href)="([^"]+)"', re.I)
CSS_URL = re.compile(r"url\(\s*['\"]?(https?:)?//", re.I)


def test_no_page_loads_an_asset_from_another_host(site):
    external = []
    for page in site.rglob("*.html"):
        for tag, _, url in ASSET.findall(page.read_text()):
            tag_text = tag.lower()
            if re.match(r"^(https?:)?//", url) and tag_text != "a":
                external.append(f"{page.relative_to(site)}: <{tag_text}> {url}")
    for css in site.rglob("*.css"):
        if CSS_URL.search(css.read_text(errors="replace")):
            external.append(f"{css.relative_to(site)}: url() from another host")
    assert not external, "\n".join(external[:20])


@pytest.fixture(scope="module")
def served(site):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def chromium(url, tmp_path, *extra):
    browser = shutil.which("chromium")
    assert browser, "Debian's chromium is required for the offline-site test: apt-get install chromium (.ci/run does)"
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
           "--virtual-time-budget=15000", "--enable-logging=stderr", "--v=0", *extra, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("page", ["book/intro.html", "book/autoregressive.html"])
def test_mathjax_renders_offline_without_console_errors(served, tmp_path, page):
    result = chromium(f"{served}/{page}", tmp_path, "--dump-dom")
    console = [l for l in result.stderr.splitlines() if "CONSOLE" in l]
    errors = [l for l in console if re.search(r"Uncaught|Error|Failed to load|ERR_", l)]
    assert not errors, "\n".join(errors)
    if page.endswith("autoregressive.html"):
        rendered = result.stdout.count("<mjx-container")
        assert rendered >= 10, f"MathJax rendered {rendered} formulas; is it served from the site?"

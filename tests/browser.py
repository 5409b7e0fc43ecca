"""Shared helpers of the browser tests: serve a folder on 127.0.0.1, drive Debian's chromium
with Playwright (fresh profile, headless), keep every request on 127.0.0.1, and collect what
a reader would hit: console errors, uncaught page errors, failed requests.

Without chromium or playwright the browser tests skip; with REQUIRE_BROWSER=1 they fail."""
from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LOCAL_HOST = "127.0.0.1"
ARTIFACTS = ROOT / "runs" / "browser"  # screenshots; runs/ is ignored by git
SOLUTION_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def require_browser():
    """The Playwright module, or a skip (a failure under REQUIRE_BROWSER=1) saying what is missing."""
    missing = []
    try:
        from playwright import sync_api
    except ImportError:
        sync_api = None
        missing.append("the playwright package (pip install -r requirements.txt)")
    if not Path(CHROMIUM).exists():
        missing.append("Debian's chromium (apt-get install chromium)")
    if missing:
        message = "browser tests need " + " and ".join(missing)
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message + " (REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(message)
    return sync_api


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files without logging each request; text reports show as text, not downloads."""
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".csv": "text/plain; charset=utf-8", ".md": "text/plain; charset=utf-8"}

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve_folder(folder: Path):
    """A static web server for `folder` on 127.0.0.1 (a free port); yields its base URL."""
    server = http.server.ThreadingHTTPServer((LOCAL_HOST, 0), functools.partial(QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOCAL_HOST, 0))
        return s.getsockname()[1]


class Watcher:
    """Everything that went wrong in one browser context since the last `take()`.
    Requests to any host but 127.0.0.1 are aborted and listed as leaving the site."""

    def __init__(self, context):
        self.problems: list[str] = []
        context.route("**/*", self._keep_local)
        context.on("page", self.watch)
        for page in context.pages:
            self.watch(page)

    def watch(self, page):
        page.on("console", lambda msg: msg.type == "error" and self._add(f"console error: {msg.text}"))
        page.on("pageerror", lambda error: self._add(f"page error: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", lambda r: r.status >= 400 and self._add(f"HTTP {r.status}: {r.url}"))

    def _keep_local(self, route):
        if urlparse(route.request.url).hostname == LOCAL_HOST:
            route.continue_()
        else:
            self._add(f"request leaving the site: {route.request.url}")
            route.abort("blockedbyclient")

    def _failed(self, request):
        # Off-site requests are already listed; a navigation aborts what the last page still loaded.
        if urlparse(request.url).hostname == LOCAL_HOST and request.failure != "net::ERR_ABORTED":
            self._add(f"request failed ({request.failure}): {request.url}")

    def _add(self, problem: str):
        self.problems.append(problem)

    def take(self) -> list[str]:
        """The problems seen so far, and start a new list."""
        taken, self.problems = self.problems, []
        return taken


@contextlib.contextmanager
def browser_context(sync_api, **context_options):
    """A headless Debian chromium with a fresh profile, its context and a Watcher on it."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update"])
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, **context_options)
            yield context, Watcher(context)
        finally:
            browser.close()


def wait_kernel_idle(page, timeout_ms: int):
    """Until the open notebook's kernel is idle. The indicator also reads idle before the kernel
    has started: wait for the kernel's name too."""
    page.wait_for_function(
        """() => {
            const name = document.querySelector('.jp-NotebookPanel .jp-KernelName');
            const idle = document.querySelector(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']");
            return idle && name && /python/i.test(name.innerText);
        }""", timeout=timeout_ms)


def open_notebook(context, url: str, path: str, timeout_ms: int):
    """A new page with the notebook at `path` (relative to JupyterLab's root) open and its kernel idle."""
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{url}/lab/tree/{path}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
    wait_kernel_idle(page, timeout_ms)
    return page


def menu(page, top: str, item: str):
    """Click JupyterLab's menu `top`, then its entry `item`."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).click()


def jupyter_env(home: Path, **extra) -> dict:
    """Environment for a Jupyter server whose config, data, runtime and Lab settings live in
    `home` (a test's temporary folder), with the virtual environment's bin/ on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "MPLBACKEND"))}
    for name, folder in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                         ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"),
                         ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces"), ("IPYTHONDIR", "ipython")]:
        env[name] = str(home / folder)
        (home / folder).mkdir(parents=True, exist_ok=True)
    # Every cell stays in the page (no virtual scrolling), and no news prompt covers the notebook.
    settings = home / "lab-settings" / "@jupyterlab"
    for plugin, values in [("notebook-extension/tracker", '{"windowingMode": "none"}'),
                           ("apputils-extension/notification", '{"fetchNews": "false", "checkForUpdates": false}')]:
        (settings / plugin).parent.mkdir(parents=True, exist_ok=True)
        (settings / plugin).with_suffix(".jupyterlab-settings").write_text(values)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


@contextlib.contextmanager
def jupyter_lab(root_dir: Path, env: dict, log: Path, *options: str):
    """JupyterLab on 127.0.0.1 (a free port, no token, no browser) serving root_dir;
    yields its base URL once the server answers, and stops it (and its kernels) after."""
    port = free_port()
    cmd = [str(Path(sys.executable).parent / "jupyter-lab"), "--no-browser", "--allow-root",
           f"--ServerApp.ip={LOCAL_HOST}", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           "--IdentityProvider.token=", f"--ServerApp.root_dir={root_dir}", *options]
    with open(log, "w") as out:
        server = subprocess.Popen(cmd, cwd=root_dir, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://{LOCAL_HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"JupyterLab exited ({server.returncode}):\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"JupyterLab did not answer in 60 s:\n{log.read_text()[-3000:]}"
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()  # jupyter-server shuts its kernels down on SIGTERM
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def answered_notebook(assignment: str, replace: dict[str, str] | None = None):
    """The released notebook of `assignment` with the reference answers written in, as a
    learner would write them (without nbgrader's solution markers); `replace` maps an answer
    cell's grade_id to other source (a wrong answer)."""
    release = nbformat.read(ROOT / "notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
    source = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    assert answers, f"no answer cell in solutions/{assignment}"
    answers.update(replace or {})
    for cell in release.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = "\n".join(l for l in answers[grade_id].splitlines() if not SOLUTION_MARKER.match(l))
    return release

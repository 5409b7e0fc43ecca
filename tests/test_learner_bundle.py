"""The learners' zip (scripts/learner_bundle.py): it holds the release, the library and the
data, never a solution or a hidden test, and its notebooks import the library and load the
tokenizer from the bundle itself. Nothing is installed: the bundle goes on PYTHONPATH."""
import ast
import json
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.nbtools import MARKER, marked_lines

BUNDLE_TOP = "pretraining-course"
EXPECTED_TOP_LEVEL = {"README.md", "requirements.txt", "pyproject.toml", "notebooks", "chapters", "course_support", "data"}


@pytest.fixture(scope="module")
def bundle(root, tmp_path_factory) -> Path:
    """The bundle built by the script (release check left to test_release), unzipped."""
    tmp = tmp_path_factory.mktemp("bundle")
    archive = tmp / "learner.zip"
    result = subprocess.run([sys.executable, "scripts/learner_bundle.py", "--out", str(archive),
                             "--skip-release-check"], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(archive) as z:
        assert all(name.startswith(f"{BUNDLE_TOP}/") for name in z.namelist()), "one top folder"
        z.extractall(tmp / "unzipped")
    return tmp / "unzipped" / BUNDLE_TOP


def bundle_files(bundle: Path) -> list[Path]:
    return sorted(p for p in bundle.rglob("*") if p.is_file())


def searchable_text(path: Path) -> str:
    """A file's text; for a notebook, its JSON strings decoded too (JSON escapes quotes and
    backslashes, so a raw search would miss any line that holds one)."""
    raw = path.read_bytes().decode("utf-8", errors="replace")
    if path.suffix != ".ipynb":
        return raw

    def strings(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for value in node.values():
                yield from strings(value)
        elif isinstance(node, list):
            for value in node:
                yield from strings(value)
    # A cell's source may be a list of lines: join the pieces as nbformat does.
    return raw + "\n" + "".join(strings(json.loads(raw)))


def secret_lines(root: Path) -> list[str]:
    """Solution and hidden-test lines (20+ characters) of every source notebook, except those
    that the source also shows outside its marked regions (e.g. `with torch.no_grad():` in
    given code): those are public by construction."""
    marked, public = set(), []
    for source in sorted((root / "solutions").glob("*/*.ipynb")):
        marked |= set(marked_lines(source, "SOLUTION", min_len=20))
        marked |= set(marked_lines(source, "HIDDEN TESTS", min_len=20))
        inside = False
        for cell in nbformat.read(source, as_version=4).cells:
            for line in cell.source.splitlines():
                if match := MARKER.match(line):
                    inside = match.group(1) == "BEGIN"
                elif not inside:
                    public.append(line)
    public_text = "\n".join(public)
    return sorted(line for line in marked if line not in public_text)


def test_bundle_holds_the_learner_files_only(root, bundle):
    assert {p.name for p in bundle.iterdir()} == EXPECTED_TOP_LEVEL
    relative = [p.relative_to(bundle) for p in bundle_files(bundle)]
    assert not [p for p in relative if {"solutions", "autograder"} & set(p.parts)]
    assert not [p for p in relative if p.name == "nbgrader_config.py" or p.suffix == ".pyc"]
    released = {p.relative_to(root).as_posix() for p in (root / "notebooks").glob("*/*.ipynb")}
    assert released and released <= {p.as_posix() for p in relative}, "every released notebook ships"
    for name in ["data/tokenizer/austen-bpe-4096.json", "data/austen/SHA256SUMS", "data/README.md"]:
        assert (bundle / name).is_file(), name


def test_no_solution_or_hidden_test_line_in_any_file(root, bundle):
    secrets = secret_lines(root)
    assert len(secrets) > 100, "the source notebooks have solutions and hidden tests"
    leaks = {}
    for path in bundle_files(bundle):
        text = searchable_text(path)
        found = [line for line in secrets if line in text]
        if found:
            leaks[path.relative_to(bundle).as_posix()] = found[:3]
    assert not leaks, f"solution or hidden-test lines in the bundle: {leaks}"


def test_readme_says_where_the_answers_are(bundle):
    text = " ".join((bundle / "README.md").read_text().split())  # line breaks anywhere
    assert "public repository holds the reference solutions and the hidden tests" in text
    assert "private copy" in text and "### BEGIN HIDDEN TESTS" in text and "make learner-bundle" in text


def test_requirements_are_the_course_pins_without_book_and_test_tools(root, bundle):
    def pins(path):
        lines = [l.split("#")[0].strip() for l in path.read_text().splitlines()]
        return dict(l.split("==") for l in lines if l)
    course, learner = pins(root / "requirements.txt"), pins(bundle / "requirements.txt")
    assert learner.items() <= course.items(), "the learner pins are the course's, unchanged"
    assert {"torch", "tokenizers", "nbgrader", "jupyterlab", "ipywidgets"} <= learner.keys()
    assert not {"jupyter-book", "pytest", "playwright"} & learner.keys()


def test_pyproject_installs_the_library_alone(bundle):
    project = tomllib.loads((bundle / "pyproject.toml").read_text())
    assert project["tool"]["setuptools"]["packages"] == ["course_support", "course_support.data"]
    assert project["tool"]["setuptools"]["package-dir"] == {"course_support.data": "data"}
    assert "pytest" not in project.get("tool", {})
    assert (bundle / "course_support" / "__init__.py").is_file()


def course_support_imports(notebook: Path) -> list[str]:
    """Every `import course_support...` / `from course_support... import` statement of a notebook."""
    statements = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_support"):
                statements.append(ast.unparse(node))
            elif isinstance(node, ast.Import) and any(a.name.startswith("course_support") for a in node.names):
                statements.append(ast.unparse(node))
    return statements


def test_notebooks_import_the_library_and_data_from_the_bundle(bundle):
    imports = sorted({s for nb in (bundle / "notebooks").glob("*/*.ipynb") for s in course_support_imports(nb)})
    assert any("load_tokenizer" in s for s in imports), imports
    check = "\n".join([
        *imports,
        "import pathlib, course_support",
        "from course_support.corpus import data_dir",
        "from course_support.tokenizer import tokenizer_path",
        "bundle = pathlib.Path(sys.argv[1]).resolve()",
        "assert pathlib.Path(course_support.__file__).resolve().is_relative_to(bundle), course_support.__file__",
        "assert data_dir().resolve() == bundle / 'data', data_dir()",
        "assert tokenizer_path().resolve().is_relative_to(bundle), tokenizer_path()",
        "tok = course_support.load_tokenizer()",
        "ids = tok.encode('It is a truth universally acknowledged')",
        "assert tok.vocab_size == 4096 and ids and tok.decode(ids) == 'It is a truth universally acknowledged'",
        "assert any('Elizabeth' in doc for doc in course_support.load_split('tiny'))",
        "print('ok')",
    ])
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_DATA_DIR", "PYTHONPATH")}
    env["PYTHONPATH"] = str(bundle)
    # Run from an exercise's folder, as its notebook's kernel would be.
    result = subprocess.run([sys.executable, "-c", "import sys\n" + check, str(bundle)], env=env,
                            cwd=bundle / "notebooks" / "ex1_lm_dataset", capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]

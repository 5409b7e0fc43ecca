"""Binder builds the learners' environment from binder/: its pins must be the course's."""
import os
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from learner_bundle import learner_requirements  # noqa: E402  the learners' pins, as the zip has them


def pinned(text: str) -> dict[str, str]:
    """package -> version of every `name==version` line (a local tag such as +cpu dropped)."""
    pins = {}
    for line in text.splitlines():
        match = re.match(r"\s*([A-Za-z0-9_.-]+)==([^\s#+;]+)", line)
        if match:
            pins[match[1].lower()] = match[2]
    return pins


def test_binder_pins_are_the_learners_pins_of_requirements_txt():
    binder = pinned((ROOT / "binder" / "requirements.txt").read_text())
    course = pinned(learner_requirements((ROOT / "requirements.txt").read_text()))
    differ = {name: (binder.get(name), course.get(name)) for name in binder.keys() | course.keys()
              if binder.get(name) != course.get(name)}
    assert not differ, f"binder/requirements.txt and requirements.txt disagree (binder, course): {differ}"


def test_binder_installs_cpu_torch_and_the_course_library():
    text = (ROOT / "binder" / "requirements.txt").read_text()
    assert re.search(r"^torch==[\d.]+\+cpu$", text, re.M) and "download.pytorch.org/whl/cpu" in text
    post_build = ROOT / "binder" / "postBuild"
    assert os.access(post_build, os.X_OK), "Binder runs postBuild only when it is executable"
    script = post_build.read_text()
    assert "pip install --no-deps ." in script and "course_support.verify()" in script


def test_binder_python_is_the_course_python():
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert runtime == "python-3.11" and requires == ">=3.11", (runtime, requires)

"""Instructor tooling: the nbgrader configuration, the release, and grading."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the course root (repository top level)
CONFIG = Path(__file__).resolve().parent / "nbgrader_config.py"

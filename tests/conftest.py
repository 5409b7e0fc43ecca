import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")  # in this process only: kernels started by tests keep their inline plots

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests' own helpers (contract.py)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def tok():
    from course_support import load_tokenizer
    return load_tokenizer()

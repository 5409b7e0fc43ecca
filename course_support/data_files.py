"""Where the course's data lives (corpus, tokenizer, checkpoints, shipped results), and a check
that it is intact.

One rule finds the data folder, first match wins:

1. the folder named by the environment variable `COURSE_DATA_DIR`;
2. `course_support/data/` inside the installed package (a wheel carries the data there);
3. `data/` beside the `course_support/` folder (a clone of the repository, the learners' zip).

Every file of the data folder is listed, with its SHA-256, in the `SHA256SUMS` file of its
own sub-folder; `verify()` checks them all.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKSUMS = "SHA256SUMS"
UNLISTED = {CHECKSUMS, "README.md"}  # the only files that need no checksum


def data_dir() -> Path:
    """The course's data folder, found by the rule above."""
    override = os.environ.get("COURSE_DATA_DIR")
    candidates = [Path(override)] if override else [PACKAGE / "data", PACKAGE.parent / "data"]
    for path in candidates:
        if (path / "austen").is_dir():
            return path
    raise FileNotFoundError(
        "course data not found in " + " or ".join(str(p) for p in candidates) + ": install the "
        "course library (`pip install .` in the repository, or its wheel), or set COURSE_DATA_DIR "
        "to a copy of the repository's data/ folder")


def read_checksums(folder: Path) -> dict[str, str]:
    """file name -> SHA-256, as listed in `folder`/SHA256SUMS (the `sha256sum` format)."""
    lines = (folder / CHECKSUMS).read_text(encoding="utf-8").splitlines()
    return {name.lstrip("*"): digest for digest, name in (line.split(maxsplit=1) for line in lines if line.strip())}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify(*, quiet: bool = False) -> list[str]:
    """Check every data file against its listed SHA-256. Returns the files checked (relative to
    the data folder); raises ValueError naming every file that is missing, damaged or unlisted."""
    root = data_dir()
    problems, checked, listed = [], [], set()
    for listing in sorted(root.rglob(CHECKSUMS)):
        folder = listing.parent
        for name, expected in read_checksums(folder).items():
            listed.add((folder / name).resolve())
            relative = (folder / name).relative_to(root).as_posix()
            if not (folder / name).is_file():
                problems.append(f"{relative} is missing")
            elif sha256(folder / name) != expected:
                problems.append(f"{relative} differs from its SHA-256 in {CHECKSUMS}")
            else:
                checked.append(relative)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.name not in UNLISTED and "__pycache__" not in path.parts and path.resolve() not in listed:
            problems.append(f"{path.relative_to(root).as_posix()} is not listed in a {CHECKSUMS} file")
    if problems:
        raise ValueError(f"course data in {root} is not intact: " + "; ".join(problems)
                         + ". Reinstall the course library (or re-copy data/).")
    if not quiet:
        print(f"course data OK: {len(checked)} files in {root}, each matching its SHA-256")
    return checked


def record_checksum(path: Path) -> None:
    """Write `path`'s SHA-256 into the SHA256SUMS of its folder (for the scripts that rebuild a
    shipped file)."""
    path = Path(path)
    listing = path.parent / CHECKSUMS
    sums = read_checksums(path.parent) if listing.exists() else {}
    sums[path.name] = sha256(path)
    listing.write_text("".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items())), encoding="utf-8")

"""The course corpus: Jane Austen's six novels, shipped in `data/austen/`.

The data folder is found by the rule in `data_files.py` (the installed package, the folder
beside it, or `COURSE_DATA_DIR`), never from the current folder, because nbgrader runs
notebooks from other folders.

The split is fixed: *Persuasion* is held out for validation, the other five novels train.
`tiny` and `tiny_val` are short slices of each split for fast CPU tests.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .data_files import data_dir, sha256
from .data_files import read_checksums as read_folder_checksums


@dataclass(frozen=True)
class Novel:
    name: str  # file stem in data/austen/
    title: str
    year: int  # first publication


NOVELS = (
    Novel("sensesensibility", "Sense and Sensibility", 1811),
    Novel("prideprejudice", "Pride and Prejudice", 1813),
    Novel("mansfieldpark", "Mansfield Park", 1814),
    Novel("emma", "Emma", 1815),
    Novel("northangerabbey", "Northanger Abbey", 1817),
    Novel("persuasion", "Persuasion", 1817),
)
NOVEL_NAMES = tuple(n.name for n in NOVELS)
VALIDATION_NOVELS = ("persuasion",)
TRAIN_NOVELS = tuple(n for n in NOVEL_NAMES if n not in VALIDATION_NOVELS)
SPLITS = ("train", "val", "tiny", "tiny_val")
# About 25k tokens each: big enough to over-fit visibly, small enough for seconds on a CPU.
TINY_CHARS = 100_000
TINY_SOURCE = {"tiny": "prideprejudice", "tiny_val": "persuasion"}


def novel_path(name: str) -> Path:
    if name not in NOVEL_NAMES:
        raise KeyError(f"unknown novel {name!r}; choose one of {', '.join(NOVEL_NAMES)}")
    return data_dir() / "austen" / f"{name}.txt"


@lru_cache(maxsize=None)
def load_novel(name: str) -> str:
    """One novel's full text, exactly as shipped (hard-wrapped lines, UTF-8)."""
    return novel_path(name).read_text(encoding="utf-8")


def load_split(split: str) -> list[str]:
    """The documents of a split, one string per novel (or one slice for tiny splits)."""
    if split == "train":
        return [load_novel(n) for n in TRAIN_NOVELS]
    if split == "val":
        return [load_novel(n) for n in VALIDATION_NOVELS]
    if split in TINY_SOURCE:
        return [_slice_at_paragraph(load_novel(TINY_SOURCE[split]), TINY_CHARS)]
    raise KeyError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")


def _slice_at_paragraph(text: str, max_chars: int) -> str:
    """The longest prefix of at most max_chars that ends at a paragraph break."""
    cut = text.rfind("\n\n", 0, max_chars)
    return text[: cut if cut > 0 else max_chars]


_CHAPTER = re.compile(r"^chapter\s+[0-9ivxlc]+\.?\s*$", re.IGNORECASE | re.MULTILINE)


def chapters(text: str) -> list[str]:
    """The chapters of a novel, headings removed (front matter before chapter 1 dropped)."""
    parts = _CHAPTER.split(text)
    return [p.strip() for p in parts[1:] if p.strip()]


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, each unwrapped onto one line."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


# A full stop after these words does not end a sentence.
_ABBREVIATIONS = ("Mr", "Mrs", "Dr", "St", "Col", "Capt", "Esq", "Messrs")
_SENTENCE_END = re.compile(
    "".join(rf"(?<!\b{a})" for a in _ABBREVIATIONS)  # the mark is not an abbreviation's
    + r"[.!?]+[\"')]*(?=\s+[\"'(]*[A-Z])"  # end mark(s), closing quotes, then a capital
)


def sentences(paragraph: str) -> list[str]:
    """Split one unwrapped paragraph into sentences (a simple rule, good enough for Austen)."""
    cuts = [m.end() for m in _SENTENCE_END.finditer(paragraph)]
    pieces = [paragraph[a:b] for a, b in zip([0, *cuts], [*cuts, len(paragraph)])]
    return [s.strip() for s in pieces if s.strip()]


def read_checksums() -> dict[str, str]:
    """The SHA-256 of each file, as listed in data/austen/SHA256SUMS."""
    return {name.removesuffix(".txt"): digest for name, digest in read_folder_checksums(data_dir() / "austen").items()}


def verify_checksums() -> None:
    """Raise ValueError when a shipped novel differs from its listed checksum."""
    for name, expected in read_checksums().items():
        actual = sha256(novel_path(name))
        if actual != expected:
            raise ValueError(f"{name}.txt has SHA-256 {actual}, expected {expected}: re-copy it")

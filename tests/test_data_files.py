"""The rule that finds the course data, and `course_support.verify()`, which checks it."""
import shutil
from pathlib import Path

import pytest

import course_support
from course_support import data_files

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A copy of data/ without the checkpoints (large; they are checked in the checkout test),
    chosen with COURSE_DATA_DIR."""
    copy = tmp_path / "data"
    shutil.copytree(ROOT / "data", copy, ignore=shutil.ignore_patterns("*.pt"))
    (copy / "checkpoints" / "SHA256SUMS").unlink()
    monkeypatch.setenv("COURSE_DATA_DIR", str(copy))
    return copy


def test_the_checkout_data_is_intact_and_every_file_is_listed(monkeypatch):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    checked = course_support.verify(quiet=True)
    shipped = {p.relative_to(ROOT / "data").as_posix() for p in (ROOT / "data").rglob("*")
               if p.is_file() and p.name not in data_files.UNLISTED}
    assert set(checked) == shipped, (
        "every file in data/ needs its line in its folder's SHA256SUMS (after rebuilding a file, "
        f"run `sha256sum` on it there); unlisted or missing: {sorted(shipped ^ set(checked))}")


def test_the_rule_prefers_the_variable_then_the_package_then_the_folder_beside_it(data_copy, monkeypatch):
    assert data_files.data_dir() == data_copy
    monkeypatch.delenv("COURSE_DATA_DIR")
    assert data_files.data_dir() == ROOT / "data"  # a checkout: no data inside the package folder
    monkeypatch.setattr(data_files, "PACKAGE", data_copy.parent / "site-packages" / "course_support")
    with pytest.raises(FileNotFoundError, match="COURSE_DATA_DIR"):
        data_files.data_dir()
    inside = data_files.PACKAGE / "data"
    inside.parent.mkdir(parents=True)
    data_copy.rename(inside)
    assert data_files.data_dir() == inside  # an installed wheel


def test_verify_names_a_damaged_file(data_copy):
    novel = data_copy / "austen" / "emma.txt"
    novel.write_bytes(novel.read_bytes().replace(b"Emma", b"Emmy", 1))
    with pytest.raises(ValueError, match=r"austen/emma\.txt differs from its SHA-256"):
        course_support.verify(quiet=True)


def test_verify_names_missing_and_unlisted_files(data_copy):
    (data_copy / "tokenizer" / "austen-bpe-4096.json").unlink()
    (data_copy / "austen" / "notes.txt").write_text("not shipped")
    with pytest.raises(ValueError) as error:
        course_support.verify(quiet=True)
    assert "tokenizer/austen-bpe-4096.json is missing" in str(error.value)
    assert "austen/notes.txt is not listed" in str(error.value)


def test_verify_reports_what_it_checked(data_copy, capsys):
    checked = course_support.verify()
    assert "austen/persuasion.txt" in checked and "scaling/ladder.json" in checked
    assert f"course data OK: {len(checked)} files" in capsys.readouterr().out

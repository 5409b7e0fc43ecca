"""The shipped corpus is intact, split as documented, and found from any folder."""
import hashlib
import subprocess
import sys

import pytest

from course_support import corpus

# Published with the source (the Debian package r-cran-janeaustenr 1.0.0-1, extracted).
PUBLISHED_SHA256 = {
    "emma": "7c67b5985c6d0de1efaeb5d342d52cb82c38083c40e2295129e30e87ee690ebe",
    "mansfieldpark": "98bc90519cdf4ef663ad7de2734bb529435ef24f7abbde6bb1a50898871dafe9",
    "northangerabbey": "51f91bbe0517db8e65cff009b097ce0a1836124c4e0532ac19e6c0cad982abed",
    "persuasion": "8061549557aebd2fd6e353d18d9197cb707029112bd52d4d8b174583a925848a",
    "prideprejudice": "dfc684d4f857fa938268f9ab9c5567b64bd0691251eca959644adeabe6287a4d",
    "sensesensibility": "105e1651fe93bed7130078578efd31e0c557d68667ba672ddc876f735b30fe09",
}


@pytest.mark.parametrize("name", sorted(PUBLISHED_SHA256))
def test_novel_matches_published_checksum(name):
    digest = hashlib.sha256(corpus.novel_path(name).read_bytes()).hexdigest()
    assert digest == PUBLISHED_SHA256[name], f"{name}.txt differs from the published text"


def test_sha256sums_file_lists_the_published_checksums():
    assert corpus.read_checksums() == PUBLISHED_SHA256
    corpus.verify_checksums()


def test_split_is_fixed_and_disjoint():
    assert corpus.VALIDATION_NOVELS == ("persuasion",)
    assert set(corpus.TRAIN_NOVELS) | set(corpus.VALIDATION_NOVELS) == set(corpus.NOVEL_NAMES)
    assert not set(corpus.TRAIN_NOVELS) & set(corpus.VALIDATION_NOVELS)
    train, val = corpus.load_split("train"), corpus.load_split("val")
    assert len(train) == 5 and len(val) == 1
    assert val[0] == corpus.load_novel("persuasion")
    assert 3_400_000 < sum(map(len, train)) < 3_700_000, "the five training novels hold about 3.56M characters"


def test_tiny_slices_come_from_their_splits_and_end_at_a_paragraph():
    tiny, tiny_val = corpus.load_split("tiny")[0], corpus.load_split("tiny_val")[0]
    assert 90_000 < len(tiny) <= corpus.TINY_CHARS
    assert any(novel.startswith(tiny) for novel in corpus.load_split("train"))
    assert corpus.load_novel("persuasion").startswith(tiny_val)
    assert corpus.load_novel("prideprejudice")[len(tiny):].startswith("\n\n")


def test_unknown_split_and_novel_are_named_in_the_error():
    with pytest.raises(KeyError, match="choose one of"):
        corpus.load_split("test")
    with pytest.raises(KeyError, match="unknown novel"):
        corpus.load_novel("middlemarch")


def test_corpus_and_tokenizer_load_from_any_folder(tmp_path):
    code = ("from course_support import load_split, load_tokenizer; "
            "print(len(load_split('val')[0]), load_tokenizer().vocab_size)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(len(corpus.load_novel("persuasion"))), "4096"]


def test_every_novel_splits_into_its_chapters():
    counts = {n: len(corpus.chapters(corpus.load_novel(n))) for n in corpus.NOVEL_NAMES}
    assert counts == {"sensesensibility": 50, "prideprejudice": 61, "mansfieldpark": 48,
                      "emma": 55, "northangerabbey": 31, "persuasion": 24}


def test_sentences_keep_quotes_and_skip_abbreviations():
    text = '"You must know, Mrs. Long says that Netherfield is taken." Mr. Bingley came! "Is he?" she asked.'
    assert corpus.sentences(text) == [
        '"You must know, Mrs. Long says that Netherfield is taken."', "Mr. Bingley came!", '"Is he?" she asked.']


def test_paragraphs_unwrap_lines():
    assert corpus.paragraphs("one\ntwo\n\n\nthree\n") == ["one two", "three"]

"""The shipped tokenizer: the contract's interface, exact round trips, and reproducible training."""
import subprocess
import sys

import pytest

from course_support import corpus
from course_support.tokenizer import SPECIAL_TOKENS, tokenizer_path


def test_interface_and_special_tokens(tok):
    assert tok.vocab_size == 4096
    named = [tok.pad_token_id, tok.unk_token_id, tok.cls_token_id, tok.sep_token_id,
             tok.mask_token_id, tok.eos_token_id]
    assert named == [0, 1, 2, 3, 4, 5], "special tokens keep the documented ids"
    assert tok.special_token_ids == (0, 1, 2, 3, 4, 5)
    assert [tok.decode([i]) for i in named] == list(SPECIAL_TOKENS)
    assert all(type(i) is int for i in tok.encode("The cat sat on the mat."))


@pytest.mark.parametrize("name", corpus.NOVEL_NAMES)
def test_round_trip_on_every_novel(tok, name):
    text = corpus.load_novel(name)
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    assert tok.unk_token_id not in ids, "byte-level BPE never needs [UNK]"


def test_round_trip_on_awkward_text(tok):
    for text in ["", " ", "£20,000", "naïve café — “quoted” 🙂", "a\n\n\tb  ", "[MASK] and <|endoftext|>"]:
        assert tok.decode(tok.encode(text)) == text


def test_special_token_strings_encode_to_their_ids(tok):
    assert tok.encode("[MASK]") == [tok.mask_token_id]
    assert tok.encode("<|endoftext|>") == [tok.eos_token_id]


def test_decode_accepts_tensors(tok):
    import torch
    ids = tok.encode("It is a truth universally acknowledged")
    assert tok.decode(torch.tensor(ids)) == tok.decode(ids)
    assert "".join(tok.token_strings(ids)) == "It is a truth universally acknowledged"


def test_encode_batch_equals_encode(tok):
    texts = corpus.paragraphs(corpus.load_split("tiny")[0])[:50]
    assert tok.encode_batch(texts) == [tok.encode(t) for t in texts]


def test_retraining_reproduces_the_shipped_file_byte_for_byte(root):
    """The script trains on the training split only, so this also proves the held-out
    novel never reached the tokenizer."""
    before = tokenizer_path().read_bytes()
    result = subprocess.run([sys.executable, "scripts/train_tokenizer.py", "--check"], cwd=root,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert tokenizer_path().read_bytes() == before, "--check must not rewrite the file"


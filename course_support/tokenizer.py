"""The course tokenizer: byte-level BPE trained on the five training novels.

Byte-level means every string can be encoded (no unknown characters, `£` included) and
`decode(encode(text)) == text` exactly. The trained tokenizer ships as a JSON file in
`data/tokenizer/`; `scripts/train_tokenizer.py` rebuilds it byte-identically.

Why 4096 merges-plus-bytes and not 8192: the corpus holds only about a million tokens, and
the course trains small models on CPUs. 8192 saves about 8% of tokens per character, but
doubles the embedding and output layers (the largest matrices of a small model) and leaves
each vocabulary entry half as many training examples.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from .corpus import data_dir

# Their ids are 0..5 in this order; the exercises read them from the tokenizer, never as numbers.
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "<|endoftext|>")
VOCAB_SIZE = 4096
TOKENIZER_FILE = f"austen-bpe-{VOCAB_SIZE}.json"


def tokenizer_path() -> Path:
    return data_dir() / "tokenizer" / TOKENIZER_FILE


def train_bpe(texts: list[str], vocab_size: int = VOCAB_SIZE, min_frequency: int = 2) -> Tokenizer:
    """Train a byte-level BPE on `texts` (deterministic: the same texts give the same file)."""
    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    # GPT-2's pre-tokenizer: split into words and spaces, then map every byte to a printable
    # character, so that merges never cross a word boundary and no byte is ever unknown.
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # all 256 bytes, seen or not
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    return tok


class CourseTokenizer:
    """The interface the exercises rely on (see the exercise contract)."""

    def __init__(self, tokenizer: Tokenizer):
        self._tok = tokenizer
        self.vocab_size = tokenizer.get_vocab_size(with_added_tokens=True)
        ids = {t: tokenizer.token_to_id(t) for t in SPECIAL_TOKENS}
        missing = [t for t, i in ids.items() if i is None]
        if missing:
            raise ValueError(f"tokenizer lacks the special tokens {missing}")
        self.pad_token_id = ids["[PAD]"]
        self.unk_token_id = ids["[UNK]"]
        self.cls_token_id = ids["[CLS]"]
        self.sep_token_id = ids["[SEP]"]
        self.mask_token_id = ids["[MASK]"]
        self.eos_token_id = ids["<|endoftext|>"]
        self.special_token_ids = tuple(sorted(ids.values()))

    @classmethod
    def from_file(cls, path: str | Path) -> "CourseTokenizer":
        return cls(Tokenizer.from_file(str(path)))

    def encode(self, text: str) -> list[int]:
        """Token ids of `text`; nothing added (no [CLS], no end-of-text)."""
        return self._tok.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        """Like `encode` for many texts at once (in parallel, much faster for a corpus)."""
        return [e.ids for e in self._tok.encode_batch(list(texts), add_special_tokens=False)]

    def decode(self, ids) -> str:
        """The text of `ids` (a list or a 1-D tensor); special tokens are kept visible."""
        ids = ids.tolist() if hasattr(ids, "tolist") else list(ids)
        return self._tok.decode(ids, skip_special_tokens=False)

    def token_strings(self, ids) -> list[str]:
        """Each id decoded on its own: how the text was cut into tokens."""
        ids = ids.tolist() if hasattr(ids, "tolist") else list(ids)
        return [self._tok.decode([i], skip_special_tokens=False) for i in ids]

    def __len__(self) -> int:
        return self.vocab_size

    def __repr__(self) -> str:
        return f"CourseTokenizer(vocab_size={self.vocab_size}, special_token_ids={self.special_token_ids})"


@lru_cache(maxsize=None)
def load_tokenizer() -> CourseTokenizer:
    """The course tokenizer shipped in data/tokenizer/ (loaded once per process)."""
    path = tokenizer_path()
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python scripts/train_tokenizer.py`")
    return CourseTokenizer.from_file(path)

"""Plausible wrong solutions of `ex1_lm_dataset`, for the grading tests.

Each variant is what a learner might hand in: the full source of one or more answer cells,
with the same names and signatures as the reference, differing only in behaviour. The
grading tests submit every variant (with the reference's other answer cells) and check that
exactly the listed test cells lose their points.
"""

# Each variant replaces the source of some answer cells (keyed by the answer cell's grade_id)
# in the reference solution; `fails` is the exact set of test-cell grade_ids that must score 0
# with that variant (every other test cell must keep full marks).
from pathlib import Path

from autograder.nbtools import solution_sources

_REFERENCE = solution_sources(Path(__file__).resolve().parent.parent / "solutions" / "ex1_lm_dataset"
                              / "ex1_lm_dataset.ipynb")

# --- LanguageModelingDataset ------------------------------------------------------------

# The outline's dataset: pads to max_length, then keeps the pad ids in the labels.
_LMD_PADDING_IN_LABELS = r'''
class LanguageModelingDataset(Dataset):
    """One padded next-token-prediction example per text."""

    def __init__(self, texts, tokenizer, max_length=512):
        if max_length < 2:
            raise ValueError("max_length must be at least 2")
        self.texts = texts
        self.tokenizer = tokenizer
        self.max_length = max_length

    def __len__(self):
        return len(self.texts)

    def __getitem__(self, idx):
        tokens = self.tokenizer.encode(self.texts[idx]) + [self.tokenizer.eos_token_id]
        tokens = tokens[: self.max_length]
        tokens = tokens + [self.tokenizer.pad_token_id] * (self.max_length - len(tokens))
        input_ids = torch.tensor(tokens[:-1])
        labels = torch.tensor(tokens[1:])  # the padding stays in the labels and is trained on
        return input_ids, labels
'''.strip("\n")

# Finds the padding by value: also hides an eos equal to pad, and pad ids inside a text.
_LMD_PADDING_BY_VALUE = r'''
class LanguageModelingDataset(Dataset):
    """One padded next-token-prediction example per text."""

    def __init__(self, texts, tokenizer, max_length=512):
        if max_length < 2:
            raise ValueError("max_length must be at least 2")
        self.texts = texts
        self.tokenizer = tokenizer
        self.max_length = max_length

    def __len__(self):
        return len(self.texts)

    def __getitem__(self, idx):
        pad = self.tokenizer.pad_token_id
        tokens = self.tokenizer.encode(self.texts[idx]) + [self.tokenizer.eos_token_id]
        tokens = tokens[: self.max_length]
        tokens = tokens + [pad] * (self.max_length - len(tokens))
        input_ids = torch.tensor(tokens[:-1], dtype=torch.long)
        labels = torch.tensor(tokens[1:], dtype=torch.long)
        labels[labels == pad] = IGNORE_INDEX  # by value, not by position
        return input_ids, labels
'''.strip("\n")

# Forgets to append the eos (padding by position otherwise right).
_LMD_NO_EOS = r'''
class LanguageModelingDataset(Dataset):
    """One padded next-token-prediction example per text."""

    def __init__(self, texts, tokenizer, max_length=512):
        if max_length < 2:
            raise ValueError("max_length must be at least 2")
        self.texts = texts
        self.tokenizer = tokenizer
        self.max_length = max_length

    def __len__(self):
        return len(self.texts)

    def __getitem__(self, idx):
        tokens = self.tokenizer.encode(self.texts[idx])[: self.max_length]  # no eos
        n_real = len(tokens)
        tokens = tokens + [self.tokenizer.pad_token_id] * (self.max_length - n_real)
        input_ids = torch.tensor(tokens[:-1], dtype=torch.long)
        labels = torch.tensor(tokens[1:], dtype=torch.long)
        labels[max(n_real - 1, 0):] = IGNORE_INDEX
        return input_ids, labels
'''.strip("\n")

# Always keeps the eos: truncates the text to max_length - 1 tokens, then appends it.
_LMD_EOS_NEVER_CUT = r'''
class LanguageModelingDataset(Dataset):
    """One padded next-token-prediction example per text."""

    def __init__(self, texts, tokenizer, max_length=512):
        if max_length < 2:
            raise ValueError("max_length must be at least 2")
        self.texts = texts
        self.tokenizer = tokenizer
        self.max_length = max_length

    def __len__(self):
        return len(self.texts)

    def __getitem__(self, idx):
        text_ids = self.tokenizer.encode(self.texts[idx])[: self.max_length - 1]
        tokens = text_ids + [self.tokenizer.eos_token_id]  # the eos survives truncation
        n_real = len(tokens)
        tokens = tokens + [self.tokenizer.pad_token_id] * (self.max_length - n_real)
        input_ids = torch.tensor(tokens[:-1], dtype=torch.long)
        labels = torch.tensor(tokens[1:], dtype=torch.long)
        labels[n_real - 1:] = IGNORE_INDEX
        return input_ids, labels
'''.strip("\n")

# Correct items, but max_length < 2 is accepted when the dataset is built.
_LMD_NO_MAX_LENGTH_CHECK = r'''
class LanguageModelingDataset(Dataset):
    """One padded next-token-prediction example per text."""

    def __init__(self, texts, tokenizer, max_length=512):
        self.texts = texts
        self.tokenizer = tokenizer
        self.max_length = max_length

    def __len__(self):
        return len(self.texts)

    def __getitem__(self, idx):
        tokens = self.tokenizer.encode(self.texts[idx]) + [self.tokenizer.eos_token_id]
        tokens = tokens[: self.max_length]
        n_real = len(tokens)
        tokens = tokens + [self.tokenizer.pad_token_id] * (self.max_length - n_real)
        input_ids = torch.tensor(tokens[:-1], dtype=torch.long)
        labels = torch.tensor(tokens[1:], dtype=torch.long)
        labels[n_real - 1:] = IGNORE_INDEX
        return input_ids, labels
'''.strip("\n")

# --- PackedLMDataset ----------------------------------------------------------------------

# Blocks start B - 1 apart, so consecutive blocks overlap (the length is right).
_PACKED_OVERLAPPING = r'''
class PackedLMDataset(Dataset):
    """Fixed-length blocks cut from one long token stream."""

    def __init__(self, token_ids, block_size):
        self.ids = list(token_ids)
        self.block_size = block_size

    def __len__(self):
        return max(0, (len(self.ids) - 1) // self.block_size)

    def __getitem__(self, i):
        start = i * (self.block_size - 1)  # overlapping blocks
        chunk = self.ids[start : start + self.block_size + 1]
        return torch.tensor(chunk[:-1], dtype=torch.long), torch.tensor(chunk[1:], dtype=torch.long)
'''.strip("\n")

# A sliding window with stride 1: every start position is a block.
_PACKED_STRIDE_ONE = r'''
class PackedLMDataset(Dataset):
    """Fixed-length blocks cut from one long token stream."""

    def __init__(self, token_ids, block_size):
        self.ids = list(token_ids)
        self.block_size = block_size

    def __len__(self):
        return max(0, len(self.ids) - self.block_size)

    def __getitem__(self, i):
        chunk = self.ids[i : i + self.block_size + 1]
        return torch.tensor(chunk[:-1], dtype=torch.long), torch.tensor(chunk[1:], dtype=torch.long)
'''.strip("\n")

# N // B blocks: one too many when B divides N (the last block's y runs past the stream).
_PACKED_LEN_OFF_BY_ONE = r'''
class PackedLMDataset(Dataset):
    """Fixed-length blocks cut from one long token stream."""

    def __init__(self, token_ids, block_size):
        self.ids = list(token_ids)
        self.block_size = block_size

    def __len__(self):
        return len(self.ids) // self.block_size

    def __getitem__(self, i):
        start = i * self.block_size
        chunk = self.ids[start : start + self.block_size + 1]
        return torch.tensor(chunk[:-1], dtype=torch.long), torch.tensor(chunk[1:], dtype=torch.long)
'''.strip("\n")

# --- ar_loss --------------------------------------------------------------------------------

# Ignored positions count as 0 but stay in the denominator: a mean over all positions.
_LOSS_MEAN_OVER_IGNORED = r'''
def ar_loss(logits, labels):
    """The next-token loss."""
    flat_logits = logits.reshape(-1, logits.size(-1))
    flat_labels = labels.reshape(-1)
    keep = flat_labels != IGNORE_INDEX
    nll = F.cross_entropy(flat_logits, flat_labels.clamp(min=0), reduction="none")
    return (nll * keep).mean()
'''.strip("\n")

# The right value, but the ignored labels are overwritten in the caller's tensor.
_LOSS_MODIFIES_LABELS = r'''
def ar_loss(logits, labels):
    """The next-token loss."""
    keep = labels != IGNORE_INDEX
    labels[~keep] = 0  # in place: changes the caller's labels
    log_probs = torch.log_softmax(logits, dim=-1)
    nll = -log_probs.gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    return (nll * keep).sum() / keep.sum()
'''.strip("\n")

# A sum over the non-ignored positions instead of their mean.
_LOSS_SUM = r'''
def ar_loss(logits, labels):
    """The next-token loss."""
    flat_logits = logits.reshape(-1, logits.size(-1))
    return F.cross_entropy(flat_logits, labels.reshape(-1), ignore_index=IGNORE_INDEX, reduction="sum")
'''.strip("\n")

# --- make_ar_examples -----------------------------------------------------------------------

_EXAMPLES_TUPLE_CONTEXTS = r'''
def make_ar_examples(tokens):
    """The (context, target) pairs of one token sequence."""
    return [(tuple(tokens[:i]), tokens[i]) for i in range(1, len(tokens))]
'''.strip("\n")

# Starts with the empty context: n pairs, and one for a single token.
_EXAMPLES_EMPTY_CONTEXT = r'''
def make_ar_examples(tokens):
    """The (context, target) pairs of one token sequence."""
    return [(list(tokens[:i]), tokens[i]) for i in range(len(tokens))]
'''.strip("\n")

# --- sequence_log_prob ----------------------------------------------------------------------

# Scores row i against tokens[i] instead of tokens[i + 1].
_LOGPROB_MISALIGNED = r'''
def sequence_log_prob(logits, tokens):
    """The log-probability of a sequence under a causal model."""
    n = len(tokens)
    log_probs = torch.log_softmax(logits[: n - 1], dim=-1)
    targets = torch.tensor(tokens[: n - 1], dtype=torch.long)
    return float(log_probs[torch.arange(n - 1), targets].sum())
'''.strip("\n")

# Takes the last n - 1 rows: right only when there are no extra rows.
_LOGPROB_LAST_ROWS = r'''
def sequence_log_prob(logits, tokens):
    """The log-probability of a sequence under a causal model."""
    n = len(tokens)
    log_probs = torch.log_softmax(logits[-(n - 1):], dim=-1)
    targets = torch.tensor(tokens[1:], dtype=torch.long)
    return float(log_probs[torch.arange(n - 1), targets].sum())
'''.strip("\n")

# The right value, as a 0-dimensional tensor instead of a Python float.
_LOGPROB_TENSOR = r'''
def sequence_log_prob(logits, tokens):
    """The log-probability of a sequence under a causal model."""
    n = len(tokens)
    log_probs = torch.log_softmax(logits[: n - 1], dim=-1)
    targets = torch.tensor(tokens[1:], dtype=torch.long)
    return log_probs[torch.arange(n - 1), targets].sum()
'''.strip("\n")


# --- mistakes that once kept full marks ------------------------------------------------------

# The padding taken as everything after the first end-of-text id: an eos inside a text loses
# the real targets after it.
_LMD_PADDING_AFTER_FIRST_EOS = r'''
class LanguageModelingDataset(Dataset):
    """One padded next-token-prediction example per text."""

    def __init__(self, texts, tokenizer, max_length=512):
        if max_length < 2:
            raise ValueError("max_length must be at least 2")
        self.texts, self.tokenizer, self.max_length = list(texts), tokenizer, max_length

    def __len__(self):
        return len(self.texts)

    def __getitem__(self, idx):
        eos, pad = self.tokenizer.eos_token_id, self.tokenizer.pad_token_id
        real = (list(self.tokenizer.encode(self.texts[idx])) + [eos])[: self.max_length]
        padded = real + [pad] * (self.max_length - len(real))
        input_ids = torch.tensor(padded[:-1], dtype=torch.long)
        labels = torch.tensor(padded[1:], dtype=torch.long)
        first_eos = padded.index(eos) if eos in padded else len(padded)  # "the text ends at its eos"
        labels[first_eos:] = IGNORE_INDEX
        return input_ids, labels
'''.strip("\n")

# Only a list is accepted, though the docstring allows a 1-D tensor.
_PACKED_LIST_ONLY = _REFERENCE["answer_PackedLMDataset"].replace(
    "        if block_size < 1:",
    "        if not isinstance(token_ids, list):\n"
    "            raise TypeError(\"token_ids must be a list of ints\")\n"
    "        if block_size < 1:", 1)

# A Python float: the value is right, but nothing can be back-propagated through it.
_LOSS_FLOAT = r'''
def ar_loss(logits, labels):
    """The next-token loss."""
    flat_logits = logits.reshape(-1, logits.size(-1))
    return float(F.cross_entropy(flat_logits, labels.reshape(-1), ignore_index=IGNORE_INDEX))
'''.strip("\n")

# Only [B, T, V] logits: the demo's [T, V] logits fail to unpack.
_LOSS_3D_ONLY = r'''
def ar_loss(logits, labels):
    """The next-token loss."""
    batch, time, vocab = logits.shape
    return F.cross_entropy(logits.view(batch * time, vocab), labels.view(batch * time), ignore_index=IGNORE_INDEX)
'''.strip("\n")

# Refuses sequences of fewer than 2 tokens instead of returning 0.0.
_LOGPROB_RAISES_SHORT = r'''
def sequence_log_prob(logits, tokens):
    """The log-probability of a sequence under a causal model."""
    n = len(tokens)
    if n < 2:
        raise ValueError("a sequence needs at least 2 tokens")
    log_probs = torch.log_softmax(logits[: n - 1], dim=-1)
    targets = torch.tensor(tokens[1:], dtype=torch.long)
    return float(log_probs[torch.arange(n - 1), targets].sum())
'''.strip("\n")


VARIANTS = {
    "padding_in_labels": {
        "replace": {"answer_LanguageModelingDataset": _LMD_PADDING_IN_LABELS},
        "fails": {"test_LanguageModelingDataset_padding", "test_LanguageModelingDataset_pad_is_eos"},
    },
    "padding_by_value": {
        "replace": {"answer_LanguageModelingDataset": _LMD_PADDING_BY_VALUE},
        "fails": {"test_LanguageModelingDataset_padding", "test_LanguageModelingDataset_pad_is_eos"},
    },
    # Without an eos, a pad equal to eos leaves nothing where the eos target should be: the
    # pad_is_eos cell cannot tell this apart from hiding the eos, so it fails too.
    "no_eos": {
        "replace": {"answer_LanguageModelingDataset": _LMD_NO_EOS},
        "fails": {"test_LanguageModelingDataset_eos", "test_LanguageModelingDataset_pad_is_eos"},
    },
    "eos_never_cut": {
        "replace": {"answer_LanguageModelingDataset": _LMD_EOS_NEVER_CUT},
        "fails": {"test_LanguageModelingDataset_truncation"},
    },
    "no_max_length_check": {
        "replace": {"answer_LanguageModelingDataset": _LMD_NO_MAX_LENGTH_CHECK},
        "fails": {"test_LanguageModelingDataset_max_length"},
    },
    "packed_overlapping": {
        "replace": {"answer_PackedLMDataset": _PACKED_OVERLAPPING},
        "fails": {"test_PackedLMDataset_blocks"},
    },
    "packed_stride_one": {
        "replace": {"answer_PackedLMDataset": _PACKED_STRIDE_ONE},
        "fails": {"test_PackedLMDataset_len", "test_PackedLMDataset_blocks"},
    },
    "packed_len_off_by_one": {
        "replace": {"answer_PackedLMDataset": _PACKED_LEN_OFF_BY_ONE},
        "fails": {"test_PackedLMDataset_len"},
    },
    "loss_mean_over_ignored": {
        "replace": {"answer_ar_loss": _LOSS_MEAN_OVER_IGNORED},
        "fails": {"test_ar_loss_ignored"},
    },
    "loss_modifies_labels": {
        "replace": {"answer_ar_loss": _LOSS_MODIFIES_LABELS},
        "fails": {"test_ar_loss_ignored"},
    },
    "loss_sum": {
        "replace": {"answer_ar_loss": _LOSS_SUM},
        "fails": {"test_ar_loss_value", "test_ar_loss_ignored"},
    },
    "examples_tuple_contexts": {
        "replace": {"answer_make_ar_examples": _EXAMPLES_TUPLE_CONTEXTS},
        "fails": {"test_make_ar_examples_pairs"},
    },
    "examples_empty_context": {
        "replace": {"answer_make_ar_examples": _EXAMPLES_EMPTY_CONTEXT},
        "fails": {"test_make_ar_examples_pairs", "test_make_ar_examples_short"},
    },
    "logprob_misaligned": {
        "replace": {"answer_sequence_log_prob": _LOGPROB_MISALIGNED},
        "fails": {"test_sequence_log_prob_value", "test_sequence_log_prob_extra_rows"},
    },
    # Also wrong for an empty sequence (logits[1:] and arange(-1)): the value cell says so.
    "logprob_last_rows": {
        "replace": {"answer_sequence_log_prob": _LOGPROB_LAST_ROWS},
        "fails": {"test_sequence_log_prob_value", "test_sequence_log_prob_extra_rows"},
    },
    "logprob_tensor": {
        "replace": {"answer_sequence_log_prob": _LOGPROB_TENSOR},
        "fails": {"test_sequence_log_prob_value"},
    },
    "padding_after_first_eos": {
        "replace": {"answer_LanguageModelingDataset": _LMD_PADDING_AFTER_FIRST_EOS},
        "fails": {"test_LanguageModelingDataset_padding"},
    },
    "packed_list_only": {
        "replace": {"answer_PackedLMDataset": _PACKED_LIST_ONLY},
        "fails": {"test_PackedLMDataset_len", "test_PackedLMDataset_blocks"},
    },
    "loss_float": {
        "replace": {"answer_ar_loss": _LOSS_FLOAT},
        "fails": {"test_ar_loss_value"},
    },
    "loss_3d_only": {
        "replace": {"answer_ar_loss": _LOSS_3D_ONLY},
        "fails": {"test_ar_loss_value"},
    },
    "logprob_raises_short": {
        "replace": {"answer_sequence_log_prob": _LOGPROB_RAISES_SHORT},
        "fails": {"test_sequence_log_prob_value"},
    },
}

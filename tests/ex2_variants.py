"""Plausible wrong solutions of `ex2_masking`, for the grading tests.

Each variant is what a learner might hand in: the full source of one answer cell, with the
same name and signature as the reference, differing only in behaviour. The grading tests
submit every variant (with the reference's other answer cells) and check that exactly the
listed test cells lose their points.
"""

# Each variant replaces the source of some answer cells (keyed by the answer cell's grade_id)
# in the reference solution; `fails` is the exact set of test-cell grade_ids that must score 0
# with that variant (every other test cell must keep full marks).

# --- mask_tokens -------------------------------------------------------------------------

_MASK_SIGNATURE = '''
def mask_tokens(input_ids, *, mask_token_id, vocab_size, special_token_ids, mask_prob=0.15, generator=None):
    """BERT's masking (a wrong variant for the grading tests)."""
'''.strip("\n")

# The pieces of a correct body; each variant below changes one of them.
_SELECT = '''
    ids = torch.as_tensor(input_ids, dtype=torch.long)
    special = torch.tensor(sorted({int(i) for i in special_token_ids}), dtype=torch.long)
    is_special = torch.isin(ids, special)
    selected = (torch.rand(ids.shape, generator=generator) < mask_prob) & ~is_special
'''
_LABELS = '''
    labels = torch.where(selected, ids, torch.full_like(ids, IGNORE_INDEX))
'''
_BRANCH = '''
    branch = torch.rand(ids.shape, generator=generator)
    to_mask = selected & (branch < 0.8)
    to_random = selected & (branch >= 0.8) & (branch < 0.9)
'''
_RANDOM_IDS = '''
    allowed = torch.tensor([i for i in range(vocab_size) if i not in set(special.tolist())])
    random_ids = allowed[torch.randint(len(allowed), ids.shape, generator=generator)]
'''
_APPLY = '''
    masked = ids.clone()
    masked[to_mask] = mask_token_id
    masked[to_random] = random_ids[to_random]
    return masked, labels
'''


def _mask_variant(select=_SELECT, labels=_LABELS, branch=_BRANCH, random_ids=_RANDOM_IDS, apply=_APPLY):
    return _MASK_SIGNATURE + "\n" + "".join(p.strip("\n") + "\n" for p in (select, labels, branch, random_ids, apply))


# The outline's bug: every position is copied into the labels.
_LABELS_EVERYWHERE = _mask_variant(labels='''
    labels = ids.clone()  # every position becomes a target, masked or not
''')

# The labels hold the corrupted input instead of the original tokens.
_LABELS_AFTER_MASKING = _mask_variant(apply='''
    masked = ids.clone()
    masked[to_mask] = mask_token_id
    masked[to_random] = random_ids[to_random]
    labels = torch.where(selected, masked, torch.full_like(ids, IGNORE_INDEX))  # should be the originals
    return masked, labels
''')

# Only the [MASK] positions get a label; random and kept positions are not trained.
_LABELS_ONLY_WHERE_MASKED = _mask_variant(apply='''
    masked = ids.clone()
    masked[to_mask] = mask_token_id
    masked[to_random] = random_ids[to_random]
    labels = torch.where(to_mask, ids, torch.full_like(ids, IGNORE_INDEX))
    return masked, labels
''')

# The outline's other bug: the caller's tensor is changed in place.
_IN_PLACE = _mask_variant(apply='''
    masked = ids  # no copy: the caller's input_ids are overwritten
    masked[to_mask] = mask_token_id
    masked[to_random] = random_ids[to_random]
    return masked, labels
''')

# Special tokens are selected like any other token ([CLS], [SEP] and padding get masked).
_MASKS_SPECIAL = _mask_variant(select='''
    ids = torch.as_tensor(input_ids, dtype=torch.long)
    special = torch.tensor(sorted({int(i) for i in special_token_ids}), dtype=torch.long)
    selected = torch.rand(ids.shape, generator=generator) < mask_prob
''')

# No "keep" branch: 90% [MASK], 10% random.
_SPLIT_90_10_0 = _mask_variant(branch='''
    branch = torch.rand(ids.shape, generator=generator)
    to_mask = selected & (branch < 0.9)
    to_random = selected & (branch >= 0.9)
''')

# No "keep" branch: 80% [MASK], 20% random.
_SPLIT_80_20_0 = _mask_variant(branch='''
    branch = torch.rand(ids.shape, generator=generator)
    to_mask = selected & (branch < 0.8)
    to_random = selected & (branch >= 0.8)
''')

# No random branch: 80% [MASK], 20% kept.
_SPLIT_80_0_20 = _mask_variant(branch='''
    branch = torch.rand(ids.shape, generator=generator)
    to_mask = selected & (branch < 0.8)
    to_random = torch.zeros_like(selected)
''')

# One uniform number for selection and branch, but thresholds 0.8 / 0.9 not scaled by
# mask_prob: at mask_prob < 0.8 every selected position becomes [MASK].
_SPLIT_NOT_SCALED = _mask_variant(select='''
    ids = torch.as_tensor(input_ids, dtype=torch.long)
    special = torch.tensor(sorted({int(i) for i in special_token_ids}), dtype=torch.long)
    is_special = torch.isin(ids, special)
    draw = torch.rand(ids.shape, generator=generator)
    selected = (draw < mask_prob) & ~is_special
''', branch='''
    to_mask = selected & (draw < 0.8)
    to_random = selected & (draw >= 0.8) & (draw < 0.9)
''')

# BERT's original code and Hugging Face: random ids from the whole vocabulary.
_RANDOM_WHOLE_VOCAB = _mask_variant(random_ids='''
    random_ids = torch.randint(vocab_size, ids.shape, generator=generator)
''')

# Assumes the special ids are 0 .. k-1 (true of the course tokenizer, not in general).
_RANDOM_AFTER_SPECIALS = _mask_variant(random_ids='''
    random_ids = torch.randint(len(special_token_ids), vocab_size, ids.shape, generator=generator)
''')

# Ignores the generator: torch's global random state.
_GLOBAL_RNG = _mask_variant(select='''
    ids = torch.as_tensor(input_ids, dtype=torch.long)
    special = torch.tensor(sorted({int(i) for i in special_token_ids}), dtype=torch.long)
    is_special = torch.isin(ids, special)
    selected = (torch.rand(ids.shape) < mask_prob) & ~is_special
''', branch='''
    branch = torch.rand(ids.shape)
    to_mask = selected & (branch < 0.8)
    to_random = selected & (branch >= 0.8) & (branch < 0.9)
''', random_ids='''
    allowed = torch.tensor([i for i in range(vocab_size) if i not in set(special.tolist())])
    random_ids = allowed[torch.randint(len(allowed), ids.shape)]
''')

# Works on a flattened copy and forgets to restore the shape.
_FLATTENED = _mask_variant(select='''
    ids = torch.as_tensor(input_ids, dtype=torch.long).reshape(-1)
    special = torch.tensor(sorted({int(i) for i in special_token_ids}), dtype=torch.long)
    is_special = torch.isin(ids, special)
    selected = (torch.rand(ids.shape, generator=generator) < mask_prob) & ~is_special
''')

# BERT's original create_pretraining_data.py: exactly round(mask_prob * n) positions of each
# sequence (the last dimension), chosen at random; the course selects positions independently.
_FIXED_COUNT = _mask_variant(select='''
    ids = torch.as_tensor(input_ids, dtype=torch.long)
    special = torch.tensor(sorted({int(i) for i in special_token_ids}), dtype=torch.long)
    is_special = torch.isin(ids, special)
    scores = torch.rand(ids.shape, generator=generator).masked_fill(is_special, 2.0)
    n_to_select = torch.round(mask_prob * (~is_special).sum(-1, keepdim=True))
    rank = scores.argsort(-1).argsort(-1)  # 0 for the smallest score of each sequence
    selected = (rank < n_to_select) & ~is_special
''')

# A "random token" that is never the original: drawn again until it differs.
_RANDOM_NEVER_ORIGINAL = _mask_variant(random_ids='''
    allowed = torch.tensor([i for i in range(vocab_size) if i not in set(special.tolist())])
    random_ids = allowed[torch.randint(len(allowed), ids.shape, generator=generator)]
    same = random_ids == ids
    while same.any():
        random_ids[same] = allowed[torch.randint(len(allowed), (int(same.sum()),), generator=generator)]
        same = random_ids == ids
''')

# --- mlm_loss ----------------------------------------------------------------------------

_MLM_SIGNATURE = '''
def mlm_loss(logits, labels):
    """The masked-language-modelling loss (a wrong variant for the grading tests)."""
'''.strip("\n")

# Divides by every position of the batch instead of the masked ones.
_MLM_MEAN_OVER_ALL = _MLM_SIGNATURE + '''
    flat_logits = logits.reshape(-1, logits.size(-1))
    flat_labels = labels.reshape(-1)
    nll = F.cross_entropy(flat_logits, flat_labels, ignore_index=IGNORE_INDEX, reduction="sum")
    return nll / flat_labels.numel()
'''

# The sum over the masked positions, not their mean.
_MLM_SUM = _MLM_SIGNATURE + '''
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1),
                           ignore_index=IGNORE_INDEX, reduction="sum")
'''

# The right value as a Python float: the training step cannot back-propagate it.
_MLM_FLOAT = _MLM_SIGNATURE + '''
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=IGNORE_INDEX)
    return loss.item()
'''

# --- make_nsp_pairs ----------------------------------------------------------------------

_NSP_SIGNATURE = '''
def make_nsp_pairs(documents, *, rng):
    """Sentence pairs for next sentence prediction (a wrong variant for the grading tests)."""
'''.strip("\n")


def _nsp_variant(negative, coin="rng.random() < 0.5", docs="[doc for doc in documents if len(doc) > 0]",
                 positive_label=1, negative_label=0):
    return _NSP_SIGNATURE + f'''
    docs = {docs}
    pairs = []
    for d, doc in enumerate(docs):
        for i in range(len(doc) - 1):
            if len(docs) < 2 or {coin}:
                pairs.append((list(doc[i]), list(doc[i + 1]), {positive_label}))
            else:
{negative}
                pairs.append((list(doc[i]), list(b), {negative_label}))
    return pairs
'''


_OTHER_DOCUMENT = '''
                others = [other for j, other in enumerate(docs) if j != d]
                b = rng.choice(rng.choice(others))
'''.strip("\n")

# Negatives from A's own document (a random sentence of the same chapter).
_NSP_SAME_DOCUMENT = _nsp_variant('''
                b = rng.choice(doc)
'''.strip("\n"))

# Negatives from any document, A's own included.
_NSP_ANY_DOCUMENT = _nsp_variant('''
                b = rng.choice(rng.choice(docs))
'''.strip("\n"))

# Negatives always from the next document: never random over the others.
_NSP_NEXT_DOCUMENT_ONLY = _nsp_variant('''
                b = rng.choice(docs[(d + 1) % len(docs)])
'''.strip("\n"))

# Hugging Face's convention (0 = "B follows A"), the opposite of the course's.
_NSP_HF_LABELS = _nsp_variant(_OTHER_DOCUMENT, positive_label=0, negative_label=1)

# Python's global random state instead of rng.
_NSP_GLOBAL_RANDOM = _nsp_variant('''
                others = [other for j, other in enumerate(docs) if j != d]
                b = random.choice(random.choice(others))
'''.strip("\n"), coin="random.random() < 0.5")

# Empty documents are not skipped: they count as documents and can be drawn from.
_NSP_KEEPS_EMPTY = _nsp_variant(_OTHER_DOCUMENT, docs="list(documents)")

# Positives and negatives alternate: exactly half, the same labels for every rng.
_NSP_ALTERNATING = _nsp_variant(_OTHER_DOCUMENT, coin="i % 2 == 0")

# Exactly half of the pairs are positives (a shuffled list of labels), not a coin per pair.
_NSP_EXACT_HALF = _NSP_SIGNATURE + '''
    docs = [doc for doc in documents if len(doc) > 0]
    n_pairs = sum(len(doc) - 1 for doc in docs)
    labels = [1] * (n_pairs // 2) + [0] * (n_pairs - n_pairs // 2)
    rng.shuffle(labels)
    pairs = []
    for d, doc in enumerate(docs):
        for i in range(len(doc) - 1):
            if len(docs) < 2 or labels[len(pairs)] == 1:
                pairs.append((list(doc[i]), list(doc[i + 1]), 1))
            else:
                others = [other for j, other in enumerate(docs) if j != d]
                pairs.append((list(doc[i]), list(rng.choice(rng.choice(others))), 0))
    return pairs
'''

# --- build_pretraining_input --------------------------------------------------------------

_BUILD_SIGNATURE = '''
def build_pretraining_input(sent_a, sent_b, *, cls_token_id, sep_token_id, pad_token_id, max_length):
    """One BERT input (a wrong variant for the grading tests)."""
'''.strip("\n")

_CHECK = '''
    if max_length < 3:
        raise ValueError(f"max_length must be at least 3, got {max_length}")
'''
_TRUNCATE = '''
    a, b = list(sent_a), list(sent_b)
    while len(a) + len(b) + 3 > max_length:
        if len(a) > len(b):
            a.pop()
        else:
            b.pop()
'''
_SEGMENTS = '''
    ids = [cls_token_id] + a + [sep_token_id] + b + [sep_token_id]
    n_pad = max_length - len(ids)
    segments = [0] * (len(a) + 2) + [1] * (len(b) + 1) + [0] * n_pad
'''
_RETURN = '''
    return {
        "input_ids": torch.tensor(ids + [pad_token_id] * n_pad, dtype=torch.long),
        "token_type_ids": torch.tensor(segments, dtype=torch.long),
        "attention_mask": torch.tensor([1] * len(ids) + [0] * n_pad, dtype=torch.long),
    }
'''


def _build_variant(check=_CHECK, truncate=_TRUNCATE, segments=_SEGMENTS, ret=_RETURN):
    return _BUILD_SIGNATURE + "\n" + "".join(p.strip("\n") + "\n" for p in (check, truncate, segments, ret))


# The final [SEP] in segment 0 (only B's own tokens in segment 1).
_SEGMENTS_SECOND_SEP_IN_A = _build_variant(segments='''
    ids = [cls_token_id] + a + [sep_token_id] + b + [sep_token_id]
    n_pad = max_length - len(ids)
    segments = [0] * (len(a) + 2) + [1] * len(b) + [0] + [0] * n_pad
''')

# Segment 1 runs on over the padding.
_SEGMENTS_PADDING_IN_B = _build_variant(segments='''
    ids = [cls_token_id] + a + [sep_token_id] + b + [sep_token_id]
    n_pad = max_length - len(ids)
    segments = [0] * (len(a) + 2) + [1] * (len(b) + 1 + n_pad)
''')

# Attention on the padding too.
_ATTENTION_ALL_ONES = _build_variant(ret='''
    return {
        "input_ids": torch.tensor(ids + [pad_token_id] * n_pad, dtype=torch.long),
        "token_type_ids": torch.tensor(segments, dtype=torch.long),
        "attention_mask": torch.ones(max_length, dtype=torch.long),
    }
''')

# Truncates A when both sentences are equally long.
_TRUNCATE_A_ON_TIES = _build_variant(truncate='''
    a, b = list(sent_a), list(sent_b)
    while len(a) + len(b) + 3 > max_length:
        if len(a) >= len(b):
            a.pop()
        else:
            b.pop()
''')

# Removes the first token of the longer sentence instead of the last.
_TRUNCATE_FRONT = _build_variant(truncate='''
    a, b = list(sent_a), list(sent_b)
    while len(a) + len(b) + 3 > max_length:
        if len(a) > len(b):
            a.pop(0)
        else:
            b.pop(0)
''')

# Pops from the caller's lists: the sentences in the caller's documents get shorter.
_TRUNCATE_IN_PLACE = _build_variant(truncate='''
    a, b = sent_a, sent_b  # no copy
    while len(a) + len(b) + 3 > max_length:
        if len(a) > len(b):
            a.pop()
        else:
            b.pop()
''')

# No ValueError for max_length < 3.
_NO_VALUE_ERROR = _build_variant(check="")

# The segments are laid out from the sentences before truncation, then cut to length: when A
# loses tokens, the start of B is marked as segment 0.
_SEGMENTS_BEFORE_TRUNCATION = _build_variant(truncate='''
    segments = [0] * (len(sent_a) + 2) + [1] * (len(sent_b) + 1)''' + _TRUNCATE, segments='''
    ids = [cls_token_id] + a + [sep_token_id] + b + [sep_token_id]
    n_pad = max_length - len(ids)
    segments = segments[:len(ids)] + [0] * n_pad
''')


VARIANTS = {
    "labels_everywhere": {"replace": {"answer_mask_tokens": _LABELS_EVERYWHERE},
                          "fails": {"test_mask_tokens_labels", "test_mask_tokens_selection",
                                    "test_mask_tokens_special"}},
    "labels_after_masking": {"replace": {"answer_mask_tokens": _LABELS_AFTER_MASKING},
                             "fails": {"test_mask_tokens_labels"}},
    "labels_only_where_masked": {"replace": {"answer_mask_tokens": _LABELS_ONLY_WHERE_MASKED},
                                 "fails": {"test_mask_tokens_labels", "test_mask_tokens_selection"}},
    "modifies_input_in_place": {"replace": {"answer_mask_tokens": _IN_PLACE},
                                "fails": {"test_mask_tokens_inplace"}},
    "masks_special_tokens": {"replace": {"answer_mask_tokens": _MASKS_SPECIAL},
                             "fails": {"test_mask_tokens_special"}},
    "split_90_10_0": {"replace": {"answer_mask_tokens": _SPLIT_90_10_0},
                      "fails": {"test_mask_tokens_split"}},
    "split_80_20_0": {"replace": {"answer_mask_tokens": _SPLIT_80_20_0},
                      "fails": {"test_mask_tokens_split"}},
    "split_80_0_20": {"replace": {"answer_mask_tokens": _SPLIT_80_0_20},
                      "fails": {"test_mask_tokens_split"}},
    "split_not_scaled": {"replace": {"answer_mask_tokens": _SPLIT_NOT_SCALED},
                         "fails": {"test_mask_tokens_split"}},
    "random_ids_whole_vocab": {"replace": {"answer_mask_tokens": _RANDOM_WHOLE_VOCAB},
                               "fails": {"test_mask_tokens_random_ids"}},
    "random_ids_after_specials": {"replace": {"answer_mask_tokens": _RANDOM_AFTER_SPECIALS},
                                  "fails": {"test_mask_tokens_random_ids"}},
    "global_rng": {"replace": {"answer_mask_tokens": _GLOBAL_RNG},
                   "fails": {"test_mask_tokens_seed"}},
    "flattened_output": {"replace": {"answer_mask_tokens": _FLATTENED},
                         "fails": {"test_mask_tokens_shape"}},
    "fixed_count_per_sequence": {"replace": {"answer_mask_tokens": _FIXED_COUNT},
                                 "fails": {"test_mask_tokens_selection"}},
    "random_id_never_the_original": {"replace": {"answer_mask_tokens": _RANDOM_NEVER_ORIGINAL},
                                     "fails": {"test_mask_tokens_random_ids"}},
    "mlm_mean_over_all_positions": {"replace": {"answer_mlm_loss": _MLM_MEAN_OVER_ALL},
                                    "fails": {"test_mlm_loss_ignored"}},
    "mlm_sum": {"replace": {"answer_mlm_loss": _MLM_SUM},
                "fails": {"test_mlm_loss_value", "test_mlm_loss_ignored"}},
    "mlm_returns_a_float": {"replace": {"answer_mlm_loss": _MLM_FLOAT},
                            "fails": {"test_mlm_loss_value"}},
    "nsp_negatives_same_document": {"replace": {"answer_make_nsp_pairs": _NSP_SAME_DOCUMENT},
                                    "fails": {"test_make_nsp_pairs_negatives", "test_make_nsp_pairs_empty"}},
    "nsp_negatives_any_document": {"replace": {"answer_make_nsp_pairs": _NSP_ANY_DOCUMENT},
                                   "fails": {"test_make_nsp_pairs_negatives", "test_make_nsp_pairs_empty"}},
    "nsp_negatives_next_document_only": {"replace": {"answer_make_nsp_pairs": _NSP_NEXT_DOCUMENT_ONLY},
                                         "fails": {"test_make_nsp_pairs_negatives"}},
    "nsp_hugging_face_labels": {"replace": {"answer_make_nsp_pairs": _NSP_HF_LABELS},
                                "fails": {"test_make_nsp_pairs_positives", "test_make_nsp_pairs_negatives",
                                          "test_make_nsp_pairs_empty"}},
    "nsp_global_random": {"replace": {"answer_make_nsp_pairs": _NSP_GLOBAL_RANDOM},
                          "fails": {"test_make_nsp_pairs_seed"}},
    "nsp_keeps_empty_documents": {"replace": {"answer_make_nsp_pairs": _NSP_KEEPS_EMPTY},
                                  "fails": {"test_make_nsp_pairs_empty"}},
    "nsp_alternating_labels": {"replace": {"answer_make_nsp_pairs": _NSP_ALTERNATING},
                               "fails": {"test_make_nsp_pairs_balance", "test_make_nsp_pairs_seed"}},
    "nsp_exactly_half_positives": {"replace": {"answer_make_nsp_pairs": _NSP_EXACT_HALF},
                                   "fails": {"test_make_nsp_pairs_balance"}},
    "segments_second_sep_in_a": {"replace": {"answer_build_pretraining_input": _SEGMENTS_SECOND_SEP_IN_A},
                                 "fails": {"test_build_pretraining_input_segments"}},
    "segments_padding_in_b": {"replace": {"answer_build_pretraining_input": _SEGMENTS_PADDING_IN_B},
                              "fails": {"test_build_pretraining_input_segments"}},
    "attention_on_padding": {"replace": {"answer_build_pretraining_input": _ATTENTION_ALL_ONES},
                             "fails": {"test_build_pretraining_input_attention"}},
    "truncate_a_on_ties": {"replace": {"answer_build_pretraining_input": _TRUNCATE_A_ON_TIES},
                           "fails": {"test_build_pretraining_input_truncation"}},
    "truncate_from_the_front": {"replace": {"answer_build_pretraining_input": _TRUNCATE_FRONT},
                                "fails": {"test_build_pretraining_input_truncation"}},
    "truncate_in_place": {"replace": {"answer_build_pretraining_input": _TRUNCATE_IN_PLACE},
                          "fails": {"test_build_pretraining_input_truncation"}},
    "no_value_error": {"replace": {"answer_build_pretraining_input": _NO_VALUE_ERROR},
                       "fails": {"test_build_pretraining_input_errors"}},
    "segments_before_truncation": {"replace": {"answer_build_pretraining_input": _SEGMENTS_BEFORE_TRUNCATION},
                                   "fails": {"test_build_pretraining_input_segments"}},
}

"""The transfer task and the shipped encoder: splits by chapter with no passage in two splits,
balanced labels, checkpoints checked by SHA-256 and small enough to ship, and the figures that
data/README.md and the book quote from the shipped learning curve."""
import json
import shutil

import pytest
import torch

from course_support import load_tokenizer, transfer
from course_support.transfer import LABELS, TASK_SPLITS, speech_or_narration


def test_every_chapter_lands_in_one_split_and_no_text_in_two():
    where = {}
    for split in TASK_SPLITS:
        for p in speech_or_narration(split, with_source=True):
            assert transfer.chapter_split(p.chapter) == split
            where.setdefault((p.novel, p.chapter), set()).add(split)
    assert all(len(s) == 1 for s in where.values()), "a chapter's sentences are in two splits"
    texts = {split: {text for text, _ in speech_or_narration(split)} for split in TASK_SPLITS}
    assert not texts["train"] & texts["val"] and not texts["train"] & texts["test"] and not texts["val"] & texts["test"]


def test_splits_are_balanced_and_large_enough():
    sizes = {}
    for split in TASK_SPLITS:
        balance = transfer.label_balance(speech_or_narration(split))
        assert balance[LABELS[0]] == balance[LABELS[1]], f"{split} is not balanced: {balance}"
        sizes[split] = sum(balance.values())
    assert sizes["train"] > 10_000 and sizes["val"] > 1_000 and sizes["test"] > 3_000, sizes


def test_no_quotation_mark_gives_the_label_away():
    for split in TASK_SPLITS:
        assert not [t for t, _ in speech_or_narration(split) if '"' in t]


def test_encode_texts_frames_and_pads():
    tok = load_tokenizer()
    batch = transfer.encode_texts(["Yes, she said so.", "No."], tok, max_length=8)
    ids, mask = batch["input_ids"], batch["attention_mask"]
    assert ids.shape == mask.shape == (2, 8)
    assert ids[0, 0] == tok.cls_token_id and ids[1, int(mask[1].sum()) - 1] == tok.sep_token_id
    assert (ids[mask == 0] == tok.pad_token_id).all()


def test_shipped_checkpoints_match_their_checksums_and_fit_the_budget():
    sums = transfer.read_checksums()
    assert transfer.ENCODER_FILE in sums
    total = 0
    for name in sums:
        total += transfer.checkpoint_path(name).stat().st_size  # checks the SHA-256
    assert total <= 25 * 2**20, f"the shipped checkpoints take {total / 2**20:.1f} MiB, more than 25"


def test_a_damaged_checkpoint_is_refused(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    for folder in ("austen", "tokenizer"):
        (data / folder).symlink_to(transfer.data_dir() / folder)
    shutil.copytree(transfer.checkpoint_dir(), data / "checkpoints")
    with (data / "checkpoints" / transfer.ENCODER_FILE).open("r+b") as f:
        f.seek(-100, 2)
        f.write(b"\0" * 10)
    monkeypatch.setenv("COURSE_DATA_DIR", str(data))
    with pytest.raises(ValueError, match="SHA-256"):
        transfer.load_pretrained_encoder()


def test_pretrained_encoder_loads_without_heads_and_differs_from_scratch():
    encoder, scratch = transfer.load_pretrained_encoder(), transfer.new_encoder()
    assert not hasattr(encoder, "nsp_head") and not encoder.training
    assert sum(p.numel() for p in encoder.parameters()) == sum(p.numel() for p in scratch.parameters())
    ids = torch.tensor([[2, 100, 200, 3]])
    assert encoder.encode(ids).shape == (1, 4, encoder.config.n_embd)
    assert not torch.equal(encoder.wte.weight, scratch.wte.weight)


def test_data_readme_states_how_the_encoder_was_made(root):
    made_by = transfer.load_checkpoint_file()["made_by"]
    readme = (root / "data" / "README.md").read_text()
    assert made_by["command"] in readme
    assert f"{made_by['validation (Persuasion)']['mlm_loss']:.2f}" in readme
    assert f"{made_by['seconds'] / 60:.0f} minutes" in readme


def shipped_curve(root):
    return json.loads((root / "data" / "transfer" / "learning_curve.json").read_text())


def test_shipped_curve_shows_pretraining_worth_ten_points_at_32_labels(root):
    rows = {(r["method"], r["k"]): r for r in shipped_curve(root)["rows"]}
    scratch, finetune = rows[("scratch", 32)]["accuracy"], rows[("finetune", 32)]["accuracy"]
    print(f"32 labels per class: from scratch {scratch:.3f}, fine-tuned {finetune:.3f}")
    assert finetune - scratch >= 0.10
    assert {k for _, k in rows} == set(transfer.CURVE_SIZES) and {m for m, _ in rows} == set(transfer.METHODS)


@pytest.mark.slow
def test_reference_beats_scratch_by_ten_points_at_32_labels():
    """The claim of the exercise, measured now with the reference answers (about 1 minute)."""
    from autograder.reference import reference_namespace

    names = ("SentenceClassifier", "set_trainable", "sample_per_class", "make_optimizer", "fine_tune_step", "accuracy")
    ns = reference_namespace("ex4_transfer", [f"answer_{n}" for n in names])
    rows = transfer.learning_curve(ns["SentenceClassifier"], **{n: ns[n] for n in names[1:]}, sizes=(32,),
                                   methods=("scratch", "finetune"), progress=False)
    found = {r["method"]: r["accuracy"] for r in rows}
    print(f"32 labels per class: from scratch {found['scratch']:.3f}, fine-tuned {found['finetune']:.3f}")
    assert found["finetune"] - found["scratch"] >= 0.10, found

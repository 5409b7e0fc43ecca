"""Transfer: a labelled task made from the corpus, and the pre-trained encoder that ships.

    tok = load_tokenizer()
    train = speech_or_narration("train")          # [(text, label), ...], label 1 = speech
    loader = make_loader(train, tok, batch_size=32, shuffle=True, seed=0)
    encoder = load_pretrained_encoder()           # the course BERT after MLM + NSP
    scratch = new_encoder()                       # the same architecture, random weights

The task: is a sentence **spoken** by a character, or **narration**? Austen marks speech
with quotation marks; every quotation mark is removed, so the label comes free but a
model has to read the sentence (person, tense, address, exclamations) to predict it.

Splits go by chapter: every sentence of a chapter lands in the same split, so no passage
(and no scene) is in two splits. Each split is balanced by dropping, at random with a fixed
seed, sentences of the larger class. None of this is an exercise answer.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from . import data_files
from .bert import BERT, BERTConfig
from .corpus import NOVEL_NAMES, chapters, data_dir, load_novel, paragraphs, sentences

LABELS = ("narration", "speech")  # label 0, label 1
TASK_SPLITS = ("train", "val", "test")
MIN_WORDS = 6  # shorter sentences ("Yes, ma'am.") carry too little to judge
MAX_LENGTH = 64  # [CLS] sentence [SEP], cut and padded to this many tokens
ENCODER_FILE = "austen-bert.pt"


@dataclass(frozen=True)
class Passage:
    text: str
    label: int  # 1 = speech, 0 = narration
    novel: str
    chapter: int  # 0-based index among the novel's chapters


def chapter_split(chapter: int) -> str:
    """Which split a chapter's sentences go to: 1 chapter in 5 tests, 1 in 10 validates."""
    if chapter % 5 == 2:
        return "test"
    if chapter % 10 == 4:
        return "val"
    return "train"


def _labelled(paragraph: str) -> int | None:
    """1 when the whole paragraph is one quotation, 0 when it holds no quotation mark, None
    for a mix of speech and narration ("Yes," said she, "..."), which the task leaves out."""
    marks = paragraph.count('"')
    if marks == 0:
        return 0
    if marks == 2 and paragraph.startswith('"') and paragraph.endswith('"'):
        return 1
    return None


@lru_cache(maxsize=None)
def all_passages() -> tuple[Passage, ...]:
    """Every labelled sentence of the six novels, quotation marks removed, in book order."""
    found = []
    for novel in NOVEL_NAMES:
        for index, chapter in enumerate(chapters(load_novel(novel))):
            for paragraph in paragraphs(chapter):
                label = _labelled(paragraph)
                if label is None:
                    continue
                for sentence in sentences(paragraph.replace('"', "")):
                    if len(sentence.split()) >= MIN_WORDS:
                        found.append(Passage(sentence, label, novel, index))
    return tuple(found)


@lru_cache(maxsize=None)
def _split(split: str) -> tuple[Passage, ...]:
    if split not in TASK_SPLITS:
        raise KeyError(f"unknown split {split!r}; choose one of {', '.join(TASK_SPLITS)}")
    passages = [p for p in all_passages() if chapter_split(p.chapter) == split]
    # A sentence that also occurs in an earlier split ("I am very much obliged to you.")
    # would let a model score by memory: keep each text in the first split that has it.
    earlier = {p.text for s in TASK_SPLITS[: TASK_SPLITS.index(split)]
               for p in all_passages() if chapter_split(p.chapter) == s}
    passages = [p for p in passages if p.text not in earlier]
    by_label = [[p for p in passages if p.label == label] for label in range(len(LABELS))]
    keep = min(len(group) for group in by_label)
    rng = random.Random(f"balance-{split}")
    kept = {id(p) for group in by_label for p in rng.sample(group, keep)}
    return tuple(p for p in passages if id(p) in kept)  # book order, balanced


def speech_or_narration(split: str, *, with_source: bool = False) -> list:
    """The task's examples of one split ("train", "val" or "test") as (text, label) pairs,
    or as Passage objects (text, label, novel, chapter) with `with_source=True`."""
    passages = _split(split)
    return list(passages) if with_source else [(p.text, p.label) for p in passages]


def label_balance(examples) -> dict[str, int]:
    """How many examples of each label: {"narration": n0, "speech": n1}."""
    labels = [e[1] for e in examples]
    return {name: labels.count(label) for label, name in enumerate(LABELS)}


# -- batches ------------------------------------------------------------------------------

def encode_texts(texts: list[str], tokenizer, max_length: int = MAX_LENGTH) -> dict:
    """`[CLS] text [SEP]`, cut to max_length (the [SEP] is kept) and right-padded.
    Returns LongTensors [N, max_length]: input_ids and attention_mask (1 on real tokens)."""
    rows, masks = [], []
    for ids in tokenizer.encode_batch(list(texts)):
        ids = [tokenizer.cls_token_id, *ids[: max_length - 2], tokenizer.sep_token_id]
        pad = max_length - len(ids)
        rows.append(ids + [tokenizer.pad_token_id] * pad)
        masks.append([1] * len(ids) + [0] * pad)
    return {"input_ids": torch.tensor(rows, dtype=torch.long),
            "attention_mask": torch.tensor(masks, dtype=torch.long)}


class TextClassificationDataset(torch.utils.data.Dataset):
    """(text, label) pairs, encoded once. Items are dicts: input_ids, attention_mask, labels."""

    def __init__(self, examples, tokenizer, max_length: int = MAX_LENGTH):
        self.examples = list(examples)
        encoded = encode_texts([text for text, _ in self.examples], tokenizer, max_length)
        self.input_ids, self.attention_mask = encoded["input_ids"], encoded["attention_mask"]
        self.labels = torch.tensor([label for _, label in self.examples], dtype=torch.long)

    def __len__(self):
        return len(self.examples)

    def __getitem__(self, i):
        return {"input_ids": self.input_ids[i], "attention_mask": self.attention_mask[i],
                "labels": self.labels[i]}


def _collate(items: list[dict]) -> dict:
    """Stack the items, then drop the columns that are padding in every row (a batch of short
    sentences costs less; a classifier that honours attention_mask gives the same logits)."""
    batch = {k: torch.stack([item[k] for item in items]) for k in items[0]}
    longest = int(batch["attention_mask"].sum(dim=1).max())
    for k in ("input_ids", "attention_mask"):
        batch[k] = batch[k][:, :longest]
    return batch


def make_loader(examples, tokenizer, *, batch_size: int = 32, shuffle: bool = False,
                seed: int = 0, max_length: int = MAX_LENGTH) -> DataLoader:
    """A DataLoader of dict batches (input_ids, attention_mask [B, T], labels [B]), T at most
    max_length; shuffling draws from its own seeded generator."""
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(TextClassificationDataset(examples, tokenizer, max_length), batch_size=batch_size,
                      shuffle=shuffle, generator=generator, collate_fn=_collate)


# -- the pre-trained encoder ----------------------------------------------------------------

def checkpoint_dir() -> Path:
    return data_dir() / "checkpoints"


def read_checksums() -> dict[str, str]:
    return data_files.read_checksums(checkpoint_dir())


def checkpoint_path(name: str = ENCODER_FILE, *, verify: bool = True) -> Path:
    """The path of a shipped checkpoint, its SHA-256 checked against data/checkpoints/SHA256SUMS."""
    path = checkpoint_dir() / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the course ships it; re-clone or rebuild it "
                                "with `python scripts/pretrain_encoder.py`")
    if verify:
        expected = read_checksums().get(name)
        actual = data_files.sha256(path)
        if actual != expected:
            raise ValueError(f"{name} has SHA-256 {actual}, expected {expected}: the file is damaged "
                             "or was rebuilt without updating SHA256SUMS")
    return path


def load_checkpoint_file(name: str = ENCODER_FILE) -> dict:
    """The shipped checkpoint's dict: config, model (state dict), and how it was made."""
    return torch.load(checkpoint_path(name), map_location="cpu", weights_only=True)


def encoder_config() -> BERTConfig:
    return BERTConfig(**load_checkpoint_file()["config"])


def load_pretrained_encoder(*, heads: bool = False) -> BERT:
    """The course BERT pre-trained with MLM + NSP on the five training novels (eval mode);
    without its pre-training heads unless heads=True (a classifier needs only `encode`)."""
    saved = load_checkpoint_file()
    model = BERT(BERTConfig(**saved["config"]))
    model.load_state_dict(saved["model"])
    return (model if heads else model.drop_pretraining_heads()).eval()


def new_encoder(seed: int = 0) -> BERT:
    """The same architecture as the pre-trained encoder, with fresh random weights and no heads."""
    return BERT(encoder_config(), seed=seed).drop_pretraining_heads().eval()


# -- the learning curve -----------------------------------------------------------------------

CURVE_SIZES = (8, 32, 128, 512)  # labelled sentences per class (the training split has 5,438)
# Each method's learning rates (head, encoder), picked on the validation split by
# scripts/transfer_curve.py --sweep; a higher rate suits an encoder that starts from nothing.
METHODS = {
    "scratch": dict(pretrained=False, train_encoder=True, head_lr=3e-4, encoder_lr=3e-4),
    "probe": dict(pretrained=True, train_encoder=False, head_lr=3e-3, encoder_lr=0.0),
    "finetune": dict(pretrained=True, train_encoder=True, head_lr=1e-3, encoder_lr=3e-4),
}
METHOD_NAMES = {"scratch": "from scratch", "probe": "linear probe", "finetune": "full fine-tuning"}


def _cycle(loader):
    while True:
        yield from loader


def learning_curve(classifier, *, set_trainable, sample_per_class, make_optimizer, fine_tune_step,
                   accuracy, sizes=CURVE_SIZES, methods=tuple(METHODS), steps: int = 120,
                   batch_size: int = 16, dropout: float = 0.1, eval_split: str = "test",
                   eval_size: int = 1000, seeds=(0, 1, 2), smoke: bool = False, progress: bool = True,
                   rates: dict | None = None) -> list[dict]:
    """Accuracy against labels per class, for each method, with the caller's functions.

    classifier(encoder, n_classes, dropout) builds the model; the other arguments are the
    exercise's functions. For each k in `sizes`, each method and each seed: a seeded sample of
    k sentences per class, `steps` steps of `batch_size`, then accuracy on a fixed, balanced
    `eval_size` sentences of `eval_split`. With 64 labels, one sample differs much from the
    next, so each point is the mean over `seeds`. smoke=True: one size, one seed, 3 steps,
    64 sentences. Returns rows {"method", "k", "accuracy" (the mean), "accuracies" (per seed),
    "seconds", "trainable"}."""
    from tqdm.auto import tqdm

    from .tokenizer import load_tokenizer

    if smoke:
        sizes, seeds, steps, eval_size = sizes[:1], seeds[:1], 3, 64
    tok = load_tokenizer()
    train = speech_or_narration("train")
    labels = [label for _, label in train]
    evaluation = random.Random(f"{eval_split}-{eval_size}").sample(speech_or_narration(eval_split), eval_size)
    eval_loader = make_loader(evaluation, tok, batch_size=128)
    rates = {**{m: dict(METHODS[m]) for m in methods}, **(rates or {})}
    runs = [(k, m, seed) for k in sizes for m in methods for seed in seeds]
    found = {}
    for k, method, seed in tqdm(runs, desc="learning curve", disable=not progress):
        started = time.perf_counter()
        recipe = rates[method]
        torch.manual_seed(seed)  # the head's initialisation
        encoder = load_pretrained_encoder() if recipe["pretrained"] else new_encoder(seed)
        model = classifier(encoder, 2, dropout)
        trainable = set_trainable(model, encoder=recipe["train_encoder"])
        chosen = sample_per_class(labels, k, rng=random.Random(seed))
        loader = make_loader([train[i] for i in chosen], tok, batch_size=min(batch_size, len(chosen)),
                             shuffle=True, seed=seed)
        optimizer = make_optimizer(model, head_lr=recipe["head_lr"], encoder_lr=recipe["encoder_lr"])
        batches = _cycle(loader)
        for _ in range(steps):
            fine_tune_step(model, optimizer, next(batches))
        row = found.setdefault((method, k), {"method": method, "k": k, "accuracies": [], "seconds": 0.0,
                                             "trainable": trainable})
        row["accuracies"].append(round(accuracy(model, eval_loader), 4))
        row["seconds"] = round(row["seconds"] + time.perf_counter() - started, 1)
    rows = list(found.values())
    for row in rows:
        row["accuracy"] = round(sum(row["accuracies"]) / len(row["accuracies"]), 4)
    return rows


def plot_learning_curve(rows: list[dict], *, ax=None, title: str | None = None):
    """Accuracy against labels per class (log axis), one line per method, chance at 50%."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4), constrained_layout=True)
    for method in dict.fromkeys(row["method"] for row in rows):
        mine = sorted((row["k"], row["accuracy"]) for row in rows if row["method"] == method)
        ax.plot([k for k, _ in mine], [100 * a for _, a in mine], marker="o", label=METHOD_NAMES.get(method, method))
    ax.axhline(50, color="grey", ls="--", lw=1, label="chance (balanced)")
    ax.set_xscale("log", base=2)
    ax.set(xlabel="labelled sentences per class", ylabel="test accuracy (%), mean of seeds",
           title=title or "speech or narration: what pre-training buys")
    ax.legend()
    return ax.figure

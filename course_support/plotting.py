"""Plots the chapters and notebooks share: training curves and attention patterns."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np


def plot_history(history: dict, *, title: str = "Training", axes=None):
    """Loss (train, and validation when present) and learning rate against the step.

    `history` is the dict of lists a training loop returns (`step`, `loss`, `lr`, and
    optionally `val_step`, `val_loss`). Returns the figure."""
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.5), constrained_layout=True)
        fig.get_layout_engine().set(wspace=0.12)  # room for the perplexity axis between panels
    loss_ax, lr_ax = axes
    loss_ax.plot(history["step"], history["loss"], label="train", lw=1)
    if history.get("val_step"):
        loss_ax.plot(history["val_step"], history["val_loss"], "o-", label="validation")
        # A perplexity scale beside the loss: the two say the same thing.
        right = loss_ax.secondary_yaxis("right", functions=(_exp, _log))
        right.set_ylabel("perplexity")
    loss_ax.set(xlabel="optimizer step", ylabel="cross-entropy (nats/token)", title=title)
    loss_ax.legend()
    if history.get("lr"):
        lr_ax.plot(history["step"], history["lr"])
    lr_ax.set(xlabel="optimizer step", ylabel="learning rate", title="Schedule")
    return loss_ax.figure


def _exp(x):
    return np.exp(np.clip(x, None, 50))


def _log(x):
    return np.log(np.clip(x, 1e-12, None))


def plot_attention_pattern(allowed, tokens: list[str], *, title: str, ax=None):
    """A [T, T] 0/1 (or probability) matrix as a grid: row i = the query at token i,
    column j = may it use token j?"""
    if ax is None:
        size = 1.2 + 0.45 * len(tokens)
        _, ax = plt.subplots(figsize=(size, size), constrained_layout=True)
    ax.imshow([[float(v) for v in row] for row in allowed], cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(tokens)), tokens, rotation=60, ha="right")
    ax.set_yticks(range(len(tokens)), tokens)
    ax.set(xlabel="attends to (key)", ylabel="predicting from (query)", title=title)
    return ax


def plot_next_token_probabilities(context: str, tokens: list[str], probs: list[float], *, ax=None):
    """A bar chart of a model's most likely next tokens after `context`."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.35 * len(tokens) + 1.2), constrained_layout=True)
    ax.barh(range(len(tokens))[::-1], probs)
    ax.set_yticks(range(len(tokens))[::-1], [repr(t) for t in tokens])
    ax.set(xlabel="probability", title=f"after {context!r}", xlim=(0, max(probs) * 1.1 or 1))
    return ax


def bits_per_character(loss_nats_per_token: float, tokens_per_char: float) -> float:
    """Convert a per-token loss to bits per character, comparable across tokenizers."""
    return loss_nats_per_token * tokens_per_char / math.log(2)

"""A short BERT pre-training run (MLM + NSP) for the masking exercise.

    history = pretrain_briefly(model, make_batch, steps=250, lr=1e-3,
                               mlm_loss_fn=mlm_loss, nsp_loss_fn=nsp_loss)
    plot_pretraining(history, vocab_size=tok.vocab_size)

Everything that the exercise grades comes from the caller: `make_batch` builds each batch
with the learner's masking, pairing and input functions, and both losses are passed in.
This file only runs a plain Adam loop; the real training loop (warm-up and decay,
clipping, mixed precision, checkpoints) is the next exercise.

Adam is written out below (Kingma and Ba 2015, without weight decay) rather than taken
from torch.optim: every torch.optim optimizer imports TorchDynamo when it is built, which
costs a few seconds in each graded notebook, and the update fits in a few lines.
"""
from __future__ import annotations

import math
import time

import matplotlib.pyplot as plt
import torch
from tqdm.auto import tqdm

# What make_batch(step) must return: LongTensors, [B, T] except the sentence labels [B].
BATCH_KEYS = ("input_ids", "token_type_ids", "attention_mask", "mlm_labels", "nsp_labels")


class Adam:
    """Adam: per-parameter steps from running means of the gradient (m) and of its square (v)."""

    def __init__(self, params, lr: float, betas=(0.9, 0.999), eps: float = 1e-8):
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.betas, self.eps, self.t = lr, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            m.mul_(b1).add_(p.grad, alpha=1 - b1)
            v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
            denominator = (v / (1 - b2 ** self.t)).sqrt_().add_(self.eps)
            p.addcdiv_(m, denominator, value=-self.lr / (1 - b1 ** self.t))  # bias-corrected

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None


def pretrain_briefly(model, make_batch, *, steps: int, lr: float, mlm_loss_fn, nsp_loss_fn,
                     progress: bool = True, device="cpu") -> dict:
    """Train `model` (the course BERT) for `steps` Adam steps on `loss = MLM + NSP`.

    make_batch(step) -> dict with the BATCH_KEYS; mlm_loss_fn(mlm_logits, mlm_labels) and
    nsp_loss_fn(nsp_logits, nsp_labels) return scalar tensors. Returns a history dict of
    lists of Python numbers: step, loss, mlm_loss, nsp_loss, seconds (since the start).
    The model is left in eval mode on `device`."""
    device = torch.device(device)
    model.to(device).train()
    optimizer = Adam(model.parameters(), lr=lr)
    history = {"step": [], "loss": [], "mlm_loss": [], "nsp_loss": [], "seconds": []}
    started = time.perf_counter()
    bar = tqdm(range(steps), desc="MLM + NSP", disable=not progress)
    for step in bar:
        batch = make_batch(step)
        missing = [k for k in BATCH_KEYS if k not in batch]
        if missing:
            raise KeyError(f"make_batch({step}) returned no {missing}; it must return {BATCH_KEYS}")
        batch = {k: batch[k].to(device) for k in BATCH_KEYS}
        mlm_logits, nsp_logits = model(batch["input_ids"], batch["token_type_ids"], batch["attention_mask"])
        mlm = mlm_loss_fn(mlm_logits, batch["mlm_labels"])
        nsp = nsp_loss_fn(nsp_logits, batch["nsp_labels"])
        if not (torch.is_tensor(mlm) and mlm.requires_grad):
            raise TypeError("mlm_loss_fn must return a scalar tensor computed from the logits, so that "
                            f"it can be back-propagated; it returned {type(mlm).__name__}")
        loss = mlm + nsp
        values = {"loss": loss.item(), "mlm_loss": mlm.item(), "nsp_loss": nsp.item()}
        if not math.isfinite(values["loss"]):
            raise FloatingPointError(f"step {step}: the loss is not finite ({values}); "
                                     "does every batch hold at least one masked position?")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        values.update(step=step, seconds=time.perf_counter() - started)
        for key, value in values.items():
            history[key].append(value)
        bar.set_postfix(mlm=f"{values['mlm_loss']:.2f}", nsp=f"{values['nsp_loss']:.3f}")
    model.eval()
    return history


def _running_mean(values: list[float], width: int) -> list[float]:
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v - (values[i - width] if i >= width else 0.0)
        out.append(total / min(i + 1, width))
    return out


def plot_pretraining(history: dict, *, vocab_size: int, smooth: int = 20, axes=None):
    """The MLM and NSP losses against the step, each beside the loss of a blind guess
    (uniform over the vocabulary: ln V; a coin flip: ln 2). Returns the figure."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.5), constrained_layout=True)
    panels = ((axes[0], "mlm_loss", "masked language modelling", math.log(vocab_size), "uniform guess, ln V"),
              (axes[1], "nsp_loss", "next sentence prediction", math.log(2), "coin flip, ln 2"))
    for ax, key, title, guess, name in panels:
        ax.plot(history["step"], history[key], lw=0.6, alpha=0.4, label="per step")
        ax.plot(history["step"], _running_mean(history[key], smooth), lw=1.5, label=f"mean of {smooth} steps")
        ax.axhline(guess, color="grey", ls="--", lw=1, label=name)
        ax.set(xlabel="optimizer step", ylabel="cross-entropy (nats)", title=title)
        ax.legend()
    return axes[0].figure

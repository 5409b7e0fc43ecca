"""The scaling ladder of exercise 5: a few course GPTs of growing size, trained on the same
number of tokens of Austen, each validated on *Persuasion*.

    from course_support import scaling_ladder as ladder
    result = ladder.run_ladder(loss_fn)          # about 5 minutes on 2 CPU cores
    shipped = ladder.load_ladder()               # the reference run, data/scaling/ladder.json

Exercise 5 fits a power law to all rungs but the largest and predicts the largest. The
reference run ships in `data/scaling/` (written by `scripts/scaling_ladder.py`), so that the
grader and the book read it instead of training.

This module trains, measures and plots; it holds no answer of the exercise. The loss is the
caller's (exercise 1's next-token loss: `loss_fn(logits [B, T, V], targets [B, T])` returns
the mean loss), and the parameter counts it records are measured on the models themselves
(`GPT.num_parameters`). The optimizer is plain Adam without weight decay, the learning rate a
linear warmup then a linear decay to a tenth, ending with the run: every rung's schedule fits
its own token budget, as Hoffmann et al. (2022) set theirs.
"""
from __future__ import annotations

import json
import math
import platform
import time
from pathlib import Path

import torch

from .data_files import data_dir
from .gpt import GPT, GPTConfig


# The rungs: (name, n_layer, n_head, n_embd), from about 50k to 2M parameters without the
# embeddings. Every rung sees TOKENS training tokens, in blocks of BLOCK_SIZE.
RUNGS = (("57k", 2, 2, 48), ("126k", 2, 2, 72), ("336k", 3, 3, 96), ("793k", 4, 4, 128),
         ("1.8M", 4, 4, 192))
TOKENS = 1_000_000  # about one pass over the five training novels
BLOCK_SIZE = 64
BATCH_SIZE = 16
LEARNING_RATE = 2e-3
# Wider models want smaller learning rates (GPT-3's table 2.1 lowers it with size); at 2e-3 the
# widest rung ended worse than the one below it (5.09 against 4.87 nats), at 1e-3 it did not.
RUNG_LEARNING_RATE = {"1.8M": 1e-3}
WARMUP = 0.05  # fraction of the steps
EVAL_TOKENS = 32_768  # the first tokens of the validation split, in whole blocks


def rung_config(rung: tuple, vocab_size: int, block_size: int = BLOCK_SIZE) -> GPTConfig:
    """The GPTConfig of one rung (name, n_layer, n_head, n_embd)."""
    _, n_layer, n_head, n_embd = rung
    return GPTConfig(vocab_size=vocab_size, block_size=block_size, n_layer=n_layer, n_head=n_head,
                     n_embd=n_embd, dropout=0.0)


def _blocks(ids: torch.Tensor, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    n = (len(ids) - 1) // block_size
    return ids[: n * block_size].view(n, block_size), ids[1: n * block_size + 1].view(n, block_size)


def _learning_rate(step: int, steps: int, peak: float) -> float:
    warmup = max(1, round(WARMUP * steps))
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * (1 - 0.9 * (step - warmup) / max(1, steps - warmup))


@torch.no_grad()
def _validation_loss(model, inputs, targets, loss_fn, device, batch_size=64) -> float:
    model.eval()
    total, count = 0.0, 0
    for start in range(0, len(inputs), batch_size):
        x, y = inputs[start:start + batch_size].to(device), targets[start:start + batch_size].to(device)
        total += float(loss_fn(model(x), y)) * y.numel()
        count += y.numel()
    model.train()
    return total / count


def train_rung(config: GPTConfig, train_ids: torch.Tensor, val_ids: torch.Tensor, loss_fn, *,
               tokens: int = TOKENS, batch_size: int = BATCH_SIZE, lr: float = LEARNING_RATE,
               eval_tokens: int = EVAL_TOKENS, seed: int = 0, device=None, progress=None) -> dict:
    """Train one course GPT on `tokens` training tokens and return its figures: the final
    validation loss (nats/token, on the first `eval_tokens` of `val_ids`), the parameters with
    and without the embeddings, the tokens seen and the seconds it took.
    `progress`: a tqdm bar to advance by the tokens of each step, or None."""
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    started = time.perf_counter()
    model = GPT(config, seed=seed).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.95))
    inputs, targets = _blocks(train_ids, config.block_size)
    val_inputs, val_targets = _blocks(val_ids[: eval_tokens + 1], config.block_size)
    per_step = batch_size * config.block_size
    steps = max(1, tokens // per_step)
    order = torch.randperm(len(inputs), generator=torch.Generator().manual_seed(seed))
    position = 0
    for step in range(steps):
        if position + batch_size > len(order):  # a new pass over the data, in a new order
            order = torch.randperm(len(inputs), generator=torch.Generator().manual_seed(seed + step))
            position = 0
        rows = order[position:position + batch_size]
        position += batch_size
        for param_group in optimizer.param_groups:
            param_group["lr"] = _learning_rate(step, steps, lr)
        loss = loss_fn(model(inputs[rows].to(device)), targets[rows].to(device))
        optimizer.zero_grad()  # set_to_none by default
        loss.backward()
        optimizer.step()
        if progress is not None:
            progress.update(per_step)
    val_loss = _validation_loss(model, val_inputs, val_targets, loss_fn, device)
    return {"n_layer": config.n_layer, "n_head": config.n_head, "n_embd": config.n_embd,
            "block_size": config.block_size, "vocab_size": config.vocab_size,
            "params": model.num_parameters(non_embedding=False),
            "non_embedding_params": model.num_parameters(non_embedding=True),
            "tokens": steps * per_step, "steps": steps, "batch_size": batch_size, "lr": lr, "train_loss": round(float(loss.detach()), 4),
            "val_loss": round(val_loss, 4), "seconds": round(time.perf_counter() - started, 1)}


def measured_flops_per_token(config: GPTConfig) -> float:
    """Training FLOPs per token at the full context, as PyTorch's FlopCounterMode counts them in
    one forward and backward pass of one sequence, with attention written out as matrix products
    so that it is counted too (the PaLM paper's estimate, as nanoGPT uses it, gives the same
    number). Exercise 5 derives the formula; the library only measures."""
    from dataclasses import replace
    from torch.utils.flop_counter import FlopCounterMode

    # On the meta device the tensors have shapes but no data: the count costs no arithmetic.
    model = GPT(replace(config, attention="manual", dropout=0.0)).to("meta")
    x = torch.zeros(1, config.block_size, dtype=torch.long, device="meta")
    with FlopCounterMode(display=False) as counter:
        model(x).logsumexp(-1).mean().backward()
    return counter.get_total_flops() / config.block_size


def token_streams() -> tuple[torch.Tensor, torch.Tensor]:
    """(train_ids, val_ids): the training novels and Persuasion, each one stream of ids."""
    from .lab import token_streams as streams
    return streams("full")


def run_ladder(loss_fn, *, rungs=RUNGS, tokens: int = TOKENS, block_size: int = BLOCK_SIZE, device=None,
               progress: bool = True, streams=None, **train_options) -> dict:
    """Train every rung on the same `tokens` and return the ladder: {"runs": [one dict per rung,
    smallest first], "tokens", "seconds", "machine", "torch", "device"}. A tqdm bar counts the
    training tokens of all rungs together. `streams`: (train_ids, val_ids), by default the
    training novels and Persuasion; other options go to train_rung."""
    from tqdm.auto import tqdm

    train_ids, val_ids = streams if streams is not None else token_streams()
    vocab_size = _vocab_size()
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    started = time.perf_counter()
    per_step = train_options.get("batch_size", BATCH_SIZE) * block_size
    runs = []
    with tqdm(total=len(rungs) * max(1, tokens // per_step) * per_step, unit="tok", unit_scale=True,
              disable=not progress, desc="ladder") as bar:
        for rung in rungs:
            bar.set_postfix_str(f"rung {rung[0]}")
            config = rung_config(rung, vocab_size, block_size)
            options = {"lr": RUNG_LEARNING_RATE.get(rung[0], LEARNING_RATE), **train_options}
            run = train_rung(config, train_ids, val_ids, loss_fn, tokens=tokens, device=device,
                             progress=bar, **options)
            runs.append({"name": rung[0], **run})
            if progress:
                bar.write(f"rung {rung[0]}: {run['non_embedding_params']:,} parameters without embeddings, "
                          f"validation loss {run['val_loss']:.3f} after {run['tokens']:,} tokens, {run['seconds']:.0f} s")
    return {"runs": runs, "tokens": runs[0]["tokens"] if runs else 0,
            "seconds": round(time.perf_counter() - started, 1), "machine": machine(device),
            "torch": torch.__version__, "device": str(device)}


def _vocab_size() -> int:
    from .tokenizer import load_tokenizer
    return load_tokenizer().vocab_size


def machine(device=None) -> str:
    """A short description of where a ladder ran: the GPU's name, or the CPU and its threads."""
    device = torch.device(device or "cpu")
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def shipped_path() -> Path:
    """The reference ladder that ships with the course data (data/scaling/ladder.json)."""
    return data_dir() / "scaling" / "ladder.json"


def save_ladder(ladder: dict, path: Path | None = None, *, command: str | None = None) -> Path:
    path = Path(path) if path else shipped_path()
    path.parent.mkdir(exist_ok=True, parents=True)
    data = {**ladder, **({"command": command} if command else {})}
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return path


def load_ladder(path: Path | None = None) -> dict:
    """The shipped reference ladder (or another one saved with save_ladder)."""
    return json.loads(Path(path or shipped_path()).read_text(encoding="utf-8"))


def table(ladder: dict) -> str:
    """The ladder as a Markdown table."""
    rows = ["| rung | layers x width | parameters | without embeddings | tokens | validation loss | seconds |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in ladder["runs"]:
        rows.append(f"| {r['name']} | {r['n_layer']} x {r['n_embd']} | {r['params']:,} | "
                    f"{r['non_embedding_params']:,} | {r['tokens']:,} | {r['val_loss']:.4f} | {r['seconds']:.0f} |")
    return "\n".join(rows)


def plot_ladder(n, loss, *, law=None, held_out: int = 1, ax=None, title="A scaling ladder"):
    """Loss against parameters on log-log axes: the rungs used for a fit as dots, the held-out
    largest `held_out` rungs as squares, and `law` (a function of N, e.g. the fitted law) as a
    line through all of them with its predictions marked. Returns the axes."""
    import matplotlib.pyplot as plt
    import numpy as np

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4), constrained_layout=True)
    n = np.array(n, dtype=float)
    loss = np.array(loss, dtype=float)
    fit = len(n) - held_out
    ax.loglog(n[:fit], loss[:fit], "o", color="C0", label="measured, used for the fit")
    ax.loglog(n[fit:], loss[fit:], "s", color="C3", label="measured, held out")
    if law is not None:
        grid = np.logspace(math.log10(n.min()) - 0.1, math.log10(n.max()) + 0.1, 100)
        ax.loglog(grid, [law(x) for x in grid], "-", color="C1", label="fitted law")
        ax.loglog(n[fit:], [law(x) for x in n[fit:]], "x", color="C1", ms=10, mew=2, label="predicted")
    ax.set(xlabel="parameters without embeddings N", ylabel="validation loss (nats/token)", title=title)
    ax.yaxis.set_minor_formatter(plt.FormatStrFormatter("%.1f"))
    ax.legend(fontsize=8)
    return ax

"""Time three training loops on the same model and data: a beginner's, the reference `train`, a tuned one.

    python scripts/benchmark_training.py                        # one CUDA GPU, the default size
    python scripts/benchmark_training.py --device cpu --tiny    # a tiny model on the CPU, in seconds
    python scripts/benchmark_training.py --out runs/benchmark   # also write results.json and results.md

The loops, all on the course GPT with the same weights and the same batches:
  beginner   float32, hand-written attention, plain AdamW, not compiled, `loss.item()` every step;
  reference  exercise 3's reference `train`, read from solutions/ex3_training_loop (bf16
             autocast, fused attention (SDPA), fused AdamW, with its schedule, clipping and
             history), on the model compiled by the caller, as the contract says;
  tuned      a nanoGPT-style loop: bf16 autocast, SDPA, fused AdamW, compiled, and nothing
             else (no history, no schedule, no clipping): the bar the reference is held to.
It prints each loop's tokens/s (the median of 3 timed windows after warm-up steps), MFU and
peak GPU memory, the ratios reference/tuned and reference/beginner, and PASS or FAIL against
the targets for one H100 at the default size: reference >= 0.97 x tuned, >= 4 x beginner.
The tokens are random ids: a training step costs the same whatever the text says.
It needs torch, numpy, tokenizers, tqdm and matplotlib (what the reference's setup cell
imports), no Jupyter; torch.compile is used on CUDA only (on a CPU it costs minutes).
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")  # the reference's setup cell imports pyplot; no display here

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a file from anywhere, without installing the library

from course_support.gpt import GPT, GPTConfig  # noqa: E402
from autograder.reference import reference_namespace  # noqa: E402
from course_support.lab import measured_flops_per_token, peak_flops  # noqa: E402

TARGETS = {"reference/tuned": 0.97, "reference/beginner": 4.0}  # on one H100, default size
LOOPS = ("beginner", "reference", "tuned")
DESCRIPTIONS = {
    "beginner": "fp32, hand-written attention, plain AdamW, not compiled, loss.item() every step",
    "reference": "the reference train (bf16 autocast, SDPA, fused AdamW, schedule, clipping, history), compiled by the caller",
    "tuned": "nanoGPT-style: bf16 autocast, SDPA, fused AdamW, compiled; no history, schedule or clipping",
}


@dataclass
class Setup:
    n_layer: int = 6
    n_head: int = 8
    n_embd: int = 512
    block_size: int = 512
    vocab_size: int = 8192
    batch_size: int = 32
    warmup_steps: int = 10  # untimed: compilation, cuBLAS and allocator warm-up happen here
    window_steps: int = 100  # steps per timed window
    windows: int = 3
    lr: float = 6e-4
    seed: int = 0
    compile: bool = True  # the sdpa loops' models, on CUDA only (on a CPU compiling costs minutes)


TINY = dict(n_layer=2, n_head=2, n_embd=64, block_size=64, vocab_size=512, batch_size=8,
            warmup_steps=2, window_steps=5)


def model_config(setup: Setup, attention: str) -> GPTConfig:
    # No dropout: the speed question is the loop's, and nanoGPT pre-trains without it too.
    return GPTConfig(vocab_size=setup.vocab_size, block_size=setup.block_size, n_layer=setup.n_layer,
                     n_head=setup.n_head, n_embd=setup.n_embd, dropout=0.0, attention=attention)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class ClockedBatches:
    """Endless (inputs, labels) batches, cycling through a few made in advance, that also keep
    the benchmark's clock. When micro-batch number m in `marks` is asked for, every step before
    it has been queued: it waits for the device to finish them and reads the time. The loops
    draw their data from here and are timed by the same clock, inside one uninterrupted run,
    with no change to the loops themselves (the reference `train` is called as it is)."""

    def __init__(self, batches, marks, device):
        self.batches, self.marks, self.device = batches, set(marks), device
        self.times: dict[int, float] = {}
        self.given = 0

    def __iter__(self):
        while True:
            for batch in self.batches:
                if self.given in self.marks:
                    synchronize(self.device)
                    self.times[self.given] = time.perf_counter()
                self.given += 1
                yield batch


def random_batches(setup: Setup, device: torch.device, count: int = 8):
    """`count` batches of random token ids and their next-token labels, in pinned CPU memory on
    CUDA (as a DataLoader with pin_memory gives them), so each loop copies them as it would."""
    g = torch.Generator().manual_seed(setup.seed)
    ids = torch.randint(0, setup.vocab_size, (count, setup.batch_size, setup.block_size + 1), generator=g)
    batches = [(row[:, :-1].clone(), row[:, 1:].clone()) for row in ids]
    if device.type == "cuda":
        batches = [(x.pin_memory(), y.pin_memory()) for x, y in batches]
    return batches


# -- the three loops: each trains for `steps` steps on batches drawn from `source` ------------

def beginner_loop(setup: Setup, source, steps: int, device: torch.device) -> float:
    torch.set_float32_matmul_precision("highest")  # PyTorch's default: no TF32
    model = GPT(model_config(setup, "manual"), seed=setup.seed).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=setup.lr)
    batches = iter(source)
    for _ in range(steps):
        inputs, labels = next(batches)
        inputs, labels = inputs.to(device), labels.to(device)
        logits = model(inputs)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), labels.view(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        last = loss.item()  # what a first loop prints or logs: a host sync every step
    return last


def reference_loop(setup: Setup, source, steps: int, device: torch.device) -> float:
    torch.set_float32_matmul_precision("high")  # TF32 for what runs in float32, as the lab does
    # The graded reference, executed from the source notebook's code (not a copy of it).
    train = reference_namespace("ex3_training_loop")["train"]
    model = GPT(model_config(setup, "sdpa"), seed=setup.seed).to(device)
    runnable = torch.compile(model) if compiles(setup, device) else model
    # One call of `train` for all the steps, timed by the clock in `source`: its first steps
    # (same call, same model object) absorb the compilation, and the timed windows are steps in
    # the middle of a run, as in a real one. Timing whole calls instead would also count the
    # optimizer's creation and the history's conversion, once per call; trusting the history's
    # own tokens_per_s would let the code under test time itself.
    history = train(runnable, source, steps=steps, max_lr=setup.lr, min_lr=setup.lr / 10,
                    warmup_steps=max(1, steps // 10),  # the learning-rate warmup, not the benchmark's
                    precision="bf16", device=device, progress=False, seed=setup.seed)
    return history["loss"][-1]


def tuned_loop(setup: Setup, source, steps: int, device: torch.device) -> float:
    torch.set_float32_matmul_precision("high")
    model = GPT(model_config(setup, "sdpa"), seed=setup.seed).to(device)
    runnable = torch.compile(model) if compiles(setup, device) else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=setup.lr, betas=(0.9, 0.95), weight_decay=0.1,
                                  fused=True if device.type == "cuda" else None)
    batches = iter(source)
    for _ in range(steps):
        inputs, labels = next(batches)
        inputs, labels = inputs.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=torch.bfloat16):
            logits = runnable(inputs)
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), labels.view(-1))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return loss.item()  # one sync, after the last step


RUNNERS = {"beginner": beginner_loop, "reference": reference_loop, "tuned": tuned_loop}


def compiles(setup: Setup, device: torch.device) -> bool:
    return setup.compile and device.type == "cuda"


# -- measuring ---------------------------------------------------------------------------------

def measure(name: str, setup: Setup, device: torch.device) -> dict:
    """Run one loop for warm-up + windows * window steps (+ 1, whose request closes the last
    window) and return its figures. Compilation happens in the warm-up steps, untimed."""
    W = setup.window_steps
    marks = [setup.warmup_steps + i * W for i in range(setup.windows + 1)]
    source = ClockedBatches(random_batches(setup, device), marks, device)
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)  # whatever earlier loops left behind
    last_loss = RUNNERS[name](setup, source, marks[-1] + 1, device)
    synchronize(device)
    peak = torch.cuda.max_memory_allocated(device) - before if device.type == "cuda" else None
    tokens = W * setup.batch_size * setup.block_size
    rates = [tokens / (source.times[b] - source.times[a]) for a, b in zip(marks, marks[1:])]
    return {"description": DESCRIPTIONS[name], "tokens_per_s": statistics.median(rates),
            "window_tokens_per_s": rates, "peak_memory_bytes": peak, "last_loss": last_loss}


def benchmark(setup: Setup, device: torch.device, *, tiny: bool) -> dict:
    loops = {}
    for name in LOOPS:
        print(f"  timing {name} ...", flush=True)
        loops[name] = measure(name, setup, device)
    fpt = measured_flops_per_token(model_config(setup, "sdpa"))
    peak = peak_flops(device, "bf16")  # every loop against the card's bf16 peak, the beginner's too
    for figures in loops.values():
        figures["mfu"] = fpt * figures["tokens_per_s"] / peak if peak else None
    rate = {name: loops[name]["tokens_per_s"] for name in LOOPS}
    ratios = {"reference/tuned": rate["reference"] / rate["tuned"],
              "reference/beginner": rate["reference"] / rate["beginner"]}
    judged = device.type == "cuda" and not tiny and "H100" in device_name(device)
    return {
        "device": str(device), "device_name": device_name(device), "torch": torch.__version__,
        "python": platform.python_version(), "compiled": compiles(setup, device), "tiny": tiny,
        "setup": asdict(setup), "tokens_per_step": setup.batch_size * setup.block_size,
        "flops_per_token": fpt, "peak_flops_bf16": peak, "loops": loops, "ratios": ratios,
        "targets": {key: {"at_least": TARGETS[key], "value": ratios[key], "met": ratios[key] >= TARGETS[key]}
                    for key in TARGETS},
        "targets_apply": judged,  # the targets are for one H100 at the default size
    }


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{torch.get_num_threads()} CPU threads" if device.type == "cpu" else device.type


# -- reporting -------------------------------------------------------------------------------

def fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def fmt_mfu(x) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def fmt_memory(x) -> str:
    return "n/a" if x is None else f"{x / 2**30:.2f} GiB"


def report(results: dict) -> str:
    s = results["setup"]
    lines = [
        f"Training-loop benchmark on {results['device_name']} ({results['device']}), torch {results['torch']}",
        f"model: {s['n_layer']} layers, {s['n_head']} heads, width {s['n_embd']}, block {s['block_size']}, "
        f"vocabulary {s['vocab_size']} (random token ids), batch {s['batch_size']}: "
        f"{results['tokens_per_step']:,} tokens per step; compiled: {'yes' if results['compiled'] else 'no'}",
        f"timing: {s['warmup_steps']} warm-up steps, then {s['windows']} windows of {s['window_steps']} steps; "
        "tokens/s is the median window",
        "",
        f"{'loop':<10} {'tokens/s':>12} {'MFU':>7} {'peak memory':>12} {'last loss':>10}  windows (tokens/s)",
    ]
    for name in LOOPS:
        f = results["loops"][name]
        windows = ", ".join(fmt_rate(r) for r in f["window_tokens_per_s"])
        lines.append(f"{name:<10} {fmt_rate(f['tokens_per_s']):>12} {fmt_mfu(f['mfu']):>7} "
                     f"{fmt_memory(f['peak_memory_bytes']):>12} {f['last_loss']:>10.3f}  {windows}")
    lines.append("")
    for key, t in results["targets"].items():
        verdict = "PASS" if t["met"] else "FAIL"
        target = f"(target >= {t['at_least']:g})"
        lines.append(f"{key + ':':<20} {t['value']:6.2f}  {target:<18} {verdict}")
    if not results["targets_apply"]:
        lines.append("(the targets are for one H100 at the default size: on this run they are information only)")
    return "\n".join(lines)


def markdown(results: dict) -> str:
    s = results["setup"]
    rows = ["| loop | tokens/s | MFU | peak memory | last loss | what it is |", "| --- | ---: | ---: | ---: | ---: | --- |"]
    for name in LOOPS:
        f = results["loops"][name]
        rows.append(f"| {name} | {fmt_rate(f['tokens_per_s'])} | {fmt_mfu(f['mfu'])} | "
                    f"{fmt_memory(f['peak_memory_bytes'])} | {f['last_loss']:.3f} | {f['description']} |")
    targets = [f"- {key}: {t['value']:.2f} (target >= {t['at_least']:g}): {'PASS' if t['met'] else 'FAIL'}"
               for key, t in results["targets"].items()]
    if not results["targets_apply"]:
        targets.append("- The targets are for one H100 at the default size: here they are information only.")
    return "\n".join([
        "# Training-loop benchmark", "",
        f"- Device: {results['device_name']} ({results['device']}); torch {results['torch']}, "
        f"Python {results['python']}; compiled: {'yes' if results['compiled'] else 'no'}",
        f"- Model: {s['n_layer']} layers, {s['n_head']} heads, width {s['n_embd']}, block {s['block_size']}, "
        f"vocabulary {s['vocab_size']} (random token ids), batch {s['batch_size']} "
        f"({results['tokens_per_step']:,} tokens per step)",
        f"- Timing: {s['warmup_steps']} warm-up steps, then {s['windows']} windows of {s['window_steps']} steps; "
        "tokens/s is the median window; MFU against the card's dense bf16 peak", "",
        *rows, "", *targets, "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="cuda, cuda:1, cpu ... (default: cuda when available)")
    parser.add_argument("--tiny", action="store_true", help="a tiny model and few steps: seconds on a CPU")
    parser.add_argument("--no-compile", action="store_true", help="do not torch.compile (on CUDA it is on by default)")
    parser.add_argument("--window-steps", type=int, default=None, help="steps per timed window")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    parser.add_argument("--out", type=Path, default=None, help="also write results.json and results.md here")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    setup = Setup(**TINY) if args.tiny else Setup()
    if args.window_steps:
        setup.window_steps = args.window_steps
    setup.compile = not args.no_compile
    if device.type == "cpu" and not args.tiny:
        print("warning: the default size on a CPU takes a long time; --tiny takes seconds", file=sys.stderr)

    print(f"benchmarking {', '.join(LOOPS)} on {device} ...", flush=True)
    results = benchmark(setup, device, tiny=args.tiny)
    print()
    print(report(results))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        (args.out / "results.md").write_text(markdown(results))
        print(f"\nwrote {args.out}/results.json and results.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())

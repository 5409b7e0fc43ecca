"""The lab of exercise 3: pre-train the course GPT on Austen with your own training loop.

The notebook's last section calls `run` with the notebook's own functions:

    lab.run(preset, train=train, dataset=packed, evaluate=evaluate, get_device=get_device)

The command does the same from a terminal once exercises 1 and 3 are done:

    python -m course_support.lab --preset cpu    # at most 10 minutes on 2 CPU cores
    python -m course_support.lab --preset gpu    # sized for at most 2 minutes on one H100
    python -m course_support.lab --preset tiny   # seconds, anywhere (a smoke run)

It trains with your answers, read from your notebooks: `train`, `evaluate` and `get_device`
(and the `lr_at` and `configure_optimizer` that `train` calls) from ex3_training_loop.ipynb,
and `PackedLMDataset` from ex1_lm_dataset.ipynb. Of each notebook it runs the set-up cell and
the answer cells (nbgrader's `setup` and `solution` cells), never a test cell or any other
cell. It looks for `<assignment>.ipynb` in the folder given by `--notebooks` (default: the
current folder), then in `<assignment>/` and `notebooks/<assignment>/` below that folder, then
in the sibling folder `../<assignment>/`: started in the course folder, in `notebooks/` or in
an exercise's folder, it finds both. When a notebook is missing, or one of those answers still
raises NotImplementedError, it says so in one sentence and exits with status 2.

It trains on the five training novels, validates on the held-out one (Persuasion), prints
the wall time, tokens/s, MFU, the final validation loss and perplexity against the unigram
entropy of the validation text, samples text, and writes `curves.png`, `config.json`,
`results.json`, `samples.txt` and the weights `model.pt` to `--out` (default
`runs/lab/<preset>/` under the current folder). It needs only torch, numpy, tokenizers, tqdm
and matplotlib: no Jupyter.

The library never holds an exercise's answer: the training loop, the data set and the choice
of device always come from the caller.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import linecache
import math
import statistics
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from .corpus import load_split
from .gpt import GPT, GPTConfig
from .scaling_ladder import measured_flops_per_token
from .tokenizer import load_tokenizer

DEFAULT_PROMPT = "It was a fine morning, and"

# Plain configurations: model size, data, optimisation, evaluation. `data` is "full" (the five
# training novels, validated on Persuasion) or "tiny" (a slice of each split).
PRESETS = {
    # Seconds on any CPU: a smoke run (tests, and the notebook under the grader).
    "tiny": dict(data="tiny", n_layer=2, n_head=2, n_embd=64, block_size=64, dropout=0.0,
                 batch_size=8, grad_accum_steps=1, steps=60, max_lr=3e-3, min_lr=3e-4,
                 warmup_steps=6, weight_decay=0.1, grad_clip=1.0, eval_every=30,
                 eval_batch_size=64, precision="fp32", compile=False, seed=0),
    # At most 10 minutes on 2 CPU cores, data preparation and evaluations included.
    # 2,048 tokens per step, 1000 steps: about 2 epochs of the training novels.
    "cpu": dict(data="full", n_layer=4, n_head=4, n_embd=128, block_size=128, dropout=0.0,
                batch_size=16, grad_accum_steps=1, steps=1000, max_lr=2e-3, min_lr=2e-4,
                warmup_steps=50, weight_decay=0.1, grad_clip=1.0, eval_every=200,
                eval_batch_size=64, precision="fp32", compile=False, seed=0),
    # One H100: bf16 autocast, fused attention (SDPA), fused optimizer, torch.compile by the
    # caller. 16,384 tokens per step; at the 1.15-1.26M tokens/s measured for a loop like the
    # reference at this size (vocabulary 8192; ours is 4096) the 600 steps take about 8-9 s.
    # Compiling (training, then once more for evaluation), tokenizing (about 5 s) and start-up
    # take most of the rest of the 2 minutes. The step count is set by the data, not the
    # clock: 600 steps are about 10 epochs of the 0.94M training tokens, and a model this
    # size (19M parameters without embeddings) would over-fit them long before 2 minutes of
    # steps (an estimate: no GPU was at hand to measure where the validation loss bottoms out).
    "gpu": dict(data="full", n_layer=6, n_head=8, n_embd=512, block_size=512, dropout=0.2,
                batch_size=32, grad_accum_steps=1, steps=600, max_lr=1e-3, min_lr=1e-4,
                warmup_steps=60, weight_decay=0.1, grad_clip=1.0, eval_every=100,
                eval_batch_size=64, precision="bf16", compile=True, seed=0),
}

# Dense bf16 tensor-core peaks, FLOP/s, by a substring of the CUDA device's name.
PEAK_BF16_FLOPS = (("H100 PCIe", 756e12), ("H100", 989e12), ("H200", 989e12), ("GH200", 989e12),
                   ("A100", 312e12), ("L40S", 362e12), ("L4", 121e12), ("A10", 125e12))

# -- the learner's answers, read from their notebooks ----------------------------------------

@dataclass(frozen=True)
class Need:
    """What the command takes from one assignment's notebook."""
    assignment: str
    names: tuple[str, ...]  # passed to `run`
    checked: tuple[str, ...]  # must not be the release's placeholder (`names` and their helpers)
    use: str  # what the lab does with them, for the messages


NEEDS = (
    Need("ex3_training_loop", ("train", "evaluate", "get_device"),
         ("get_device", "configure_optimizer", "lr_at", "evaluate", "train"), "trains with"),
    Need("ex1_lm_dataset", ("PackedLMDataset",), ("PackedLMDataset",), "cuts the novels into blocks with"),
)


class MissingAnswer(Exception):
    """A notebook or an answer that the command needs is missing (the message is one sentence)."""


def find_notebook(assignment: str, folder: Path) -> Path | None:
    """The first of folder/A.ipynb, folder/A/A.ipynb, folder/notebooks/A/A.ipynb and
    folder/../A/A.ipynb that exists, for A = assignment; None when there is none."""
    name, folder = f"{assignment}.ipynb", Path(folder).resolve()
    candidates = (folder / name, folder / assignment / name, folder / "notebooks" / assignment / name,
                  folder.parent / assignment / name)
    return next((path for path in candidates if path.is_file()), None)


def answer_cells(path: Path) -> list[tuple[str, str]]:
    """(grade_id, source) of a notebook's set-up cell and answer cells, in notebook order: the
    code cells whose nbgrader metadata says `grade_id: setup` or `solution: true`."""
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    found = []
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and (meta.get("solution") or meta.get("grade_id") == "setup"):
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            # IPython's `%magic` and `!shell` lines are not Python: a plain interpreter skips them.
            lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
            found.append((meta.get("grade_id"), "\n".join(lines) + "\n"))
    return found


def placeholders(cells: list[tuple[str, str]], names) -> list[str]:
    """Those of `names` whose last definition in `cells` still holds the release's placeholder:
    a `raise NotImplementedError` among the statements of its body (of a method's, for a
    class) before any `return`, so that it raises whenever it is called. A raise inside an
    `if`, or one left after the `return`, is left alone."""
    def raises(body) -> bool:
        for statement in body:
            if isinstance(statement, ast.Return):
                return False  # what follows never runs
            exc = statement.exc if isinstance(statement, ast.Raise) else None
            exc = exc.func if isinstance(exc, ast.Call) else exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                return True
        return False

    last = {}
    for _, source in cells:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue  # reported with its line when the cell runs
        last.update({node.name: node for node in tree.body
                     if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names})
    unfinished = []
    for name, node in last.items():
        bodies = [node.body] if isinstance(node, ast.FunctionDef) else \
            [m.body for m in node.body if isinstance(m, ast.FunctionDef)]
        if any(raises(body) for body in bodies):
            unfinished.append(name)
    return [name for name in names if name in unfinished]


def run_cells(cells: list[tuple[str, str]], origin: str, module: str) -> dict:
    """A fresh namespace, named `module`, in which `cells` have run in order (their printing
    hidden). Each cell is compiled as `origin [grade_id]` and its lines are given to linecache,
    so that a traceback names the notebook and the cell and shows the line."""
    namespace = {"__name__": module}
    for grade_id, source in cells:
        filename = f"{origin} [{grade_id}]"
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(source, filename, "exec"), namespace)
    return namespace


def _shown(path: Path) -> str:
    """A path as the learner typed it: relative to the current folder when it is below it."""
    path = Path(path).resolve()
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def _listed(names) -> str:
    quoted = [f"`{name}`" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def notebook_answers(folder: Path = Path(".")) -> tuple[dict, list[Path]]:
    """`run`'s keyword arguments train, evaluate, get_device and dataset, from the learner's
    notebooks found from `folder` (see `find_notebook`), and the notebooks read. Raises
    MissingAnswer, with one sentence, when a notebook or a finished answer is missing."""
    found = []
    for need in NEEDS:  # every check before any code runs
        exercise = f"exercise {need.assignment.split('_')[0].removeprefix('ex')}"
        what = f"the lab {need.use} your {_listed(need.names)} from {need.assignment}.ipynb"
        path = find_notebook(need.assignment, folder)
        if path is None:
            where = _shown(folder)
            where = "the current folder" if where == "." else where
            raise MissingAnswer(f"{what}, which is not in {where}, in {need.assignment}/ or notebooks/"
                                f"{need.assignment}/ below it, or in ../{need.assignment}/: start the command "
                                "in your course folder, or name the notebooks' folder with --notebooks")
        cells = answer_cells(path)
        unfinished = placeholders(cells, need.checked)
        if unfinished:
            verb = "raises" if len(unfinished) == 1 else "raise"
            raise MissingAnswer(f"the lab {need.use} your {_listed(unfinished)} from {_shown(path)}, "
                                f"which still {verb} NotImplementedError: finish {exercise} first")
        found.append((need, path, cells))
    spaces = {}
    for need, path, cells in found:
        spaces[need.assignment] = space = run_cells(cells, _shown(path), f"learner_{need.assignment}")
        absent = [name for name in need.names if name not in space]
        if absent:
            raise MissingAnswer(f"the lab {need.use} your {_listed(absent)}, which {_shown(path)} "
                                "does not define in its answer cells")
    ex3, ex1 = spaces["ex3_training_loop"], spaces["ex1_lm_dataset"]
    answers = dict(train=ex3["train"], evaluate=ex3["evaluate"], get_device=ex3["get_device"],
                   dataset=ex1["PackedLMDataset"])
    return answers, [path for _, path, _ in found]


# -- data and figures ------------------------------------------------------------------------

@lru_cache(maxsize=None)
def token_streams(data: str = "full") -> tuple[torch.Tensor, torch.Tensor]:
    """(train_ids, val_ids): each split tokenized as one 1-D LongTensor, documents joined by
    the end-of-text token. data: "full" (training novels / Persuasion) or "tiny" (slices)."""
    splits = {"full": ("train", "val"), "tiny": ("tiny", "tiny_val")}[data]
    tok = load_tokenizer()
    streams = []
    for split in splits:
        ids = []
        for doc in tok.encode_batch(load_split(split)):
            ids += doc + [tok.eos_token_id]
        streams.append(torch.tensor(ids, dtype=torch.long))
    return streams[0], streams[1]


def unigram_entropy(ids) -> float:
    """Entropy in nats/token of the token frequency distribution of `ids`: the loss of the best
    model that ignores the context."""
    ids = torch.as_tensor(ids).reshape(-1)
    counts = torch.bincount(ids).double()
    p = counts[counts > 0] / ids.numel()
    return float(-(p * p.log()).sum())


def peak_flops(device, precision: str) -> float | None:
    """The device's dense 16-bit peak in FLOP/s, when known (None on a CPU or for fp32)."""
    device = torch.device(device)
    if device.type != "cuda" or precision not in ("bf16", "fp16"):
        return None
    name = torch.cuda.get_device_name(device)
    return next((peak for key, peak in PEAK_BF16_FLOPS if key in name), None)


def summary(history: dict, *, model, seconds: float, device, precision: str, unigram: float) -> dict:
    """The figures of a run, as a dict of plain values (printed by the notebook and the command)."""
    rates = history["tokens_per_s"]
    rate = statistics.median(rates) if rates else float("nan")
    peak = peak_flops(device, precision)
    mfu = measured_flops_per_token(model.config) * rate / peak if peak else None
    val = history["val_loss"][-1] if history["val_loss"] else float("nan")
    return {
        "steps": len(history["step"]),
        "train wall time (s)": round(seconds, 1),
        "tokens/s (median window)": round(rate),
        "MFU": f"{mfu:.1%}" if mfu is not None else "n/a",
        "final training loss": round(history["loss"][-1], 4) if history["loss"] else None,
        "final validation loss": round(val, 4),
        "validation perplexity": round(math.exp(val), 1) if val == val else None,
        "unigram entropy (val)": round(unigram, 4),
        "nats below unigram": round(unigram - val, 4),
    }


def sample_text(model, tok, prompt: str, *, device, max_new_tokens=80, temperature=0.8, top_k=50,
                seed=0) -> str:
    """A continuation of `prompt` sampled with temperature and top-k (GPT.generate)."""
    ids = torch.tensor([tok.encode(prompt)], device=device)
    generator = torch.Generator(device=device).manual_seed(seed)
    out = model.generate(ids, max_new_tokens, temperature=temperature, top_k=top_k, generator=generator)
    return tok.decode(out[0])


# -- the run ---------------------------------------------------------------------------------

@dataclass
class LabRun:
    """What `run` returns: the figures it printed, train's history (with the final
    evaluation), the trained model (not compiled) and the sampled texts."""
    results: dict
    history: dict
    model: GPT
    samples: list[str]


def run(preset: str = "cpu", *, train, dataset, evaluate, get_device, out: Path | None = None, device=None,
        overrides: dict | None = None, prompt: str = DEFAULT_PROMPT, progress: bool = True) -> LabRun:
    """Pre-train the course GPT with the caller's answers; print the figures and samples.

    train, evaluate, get_device: exercise 3's functions, called as the exercise contract says.
    dataset: exercise 1's `PackedLMDataset`, or any `dataset(ids, block_size)` that returns the
        (x, y) blocks of a 1-D tensor of ids (the notebook's `packed`).
    out: the folder for curves.png, config.json, results.json, samples.txt and model.pt
        (None: write nothing, as in the notebook). overrides: changes to the preset's config.
    """
    started = time.perf_counter()
    config = {**PRESETS[preset], **(overrides or {})}
    device = torch.device(get_device(device))
    on_gpu = device.type == "cuda"
    if on_gpu:
        torch.set_float32_matmul_precision("high")  # TF32 for whatever still runs in float32

    tok = load_tokenizer()
    train_ids, val_ids = token_streams(config["data"])
    block = config["block_size"]  # T on the notation page (B there is the batch size)
    # The training order comes from the loader's own generator: a resumed run replays it exactly.
    train_loader = DataLoader(dataset(train_ids, block), batch_size=config["batch_size"], shuffle=True,
                              drop_last=True, generator=torch.Generator().manual_seed(config["seed"]),
                              pin_memory=on_gpu)
    val_loader = DataLoader(dataset(val_ids, block), batch_size=config["eval_batch_size"])
    model_config = GPTConfig(vocab_size=tok.vocab_size, block_size=block, n_layer=config["n_layer"],
                             n_head=config["n_head"], n_embd=config["n_embd"], dropout=config["dropout"])
    model = GPT(model_config, seed=config["seed"]).to(device)
    # Compiling is the caller's choice (train never does it): on a GPU it fuses kernels, on a CPU it mostly costs time.
    runnable = torch.compile(model) if config["compile"] and on_gpu else model
    print(f"lab preset {preset!r} on {device} ({_device_name(device)}), torch {torch.__version__}")
    print(f"model: {model.num_parameters():,} parameters without embeddings; "
          f"{len(train_ids):,} training / {len(val_ids):,} validation tokens")

    t0 = time.perf_counter()
    history = train(runnable, train_loader, steps=config["steps"], max_lr=config["max_lr"],
                    min_lr=config["min_lr"], warmup_steps=config["warmup_steps"],
                    weight_decay=config["weight_decay"], grad_accum_steps=config["grad_accum_steps"],
                    grad_clip=config["grad_clip"], precision=config["precision"], device=device,
                    val_loader=val_loader, eval_every=config["eval_every"], progress=progress,
                    seed=config["seed"])
    seconds = time.perf_counter() - t0
    if not history["val_step"] or history["val_step"][-1] != config["steps"] - 1:
        final = evaluate(model, val_loader, device=device)  # the figures need the last model
        history["val_step"].append(config["steps"] - 1)
        history["val_loss"].append(final["loss"])
        history["val_perplexity"].append(final["perplexity"])

    entropy = unigram_entropy(val_ids)
    results = summary(history, model=model, seconds=seconds, device=device,
                      precision=config["precision"], unigram=entropy)
    samples = [f"--- temperature {t}, top_k {k}\n"
               + sample_text(model, tok, prompt, device=device, temperature=t, top_k=k)
               for t, k in ((0.7, 40), (1.0, None))]
    results["total wall time (s)"] = round(time.perf_counter() - started, 1)
    for key, value in results.items():
        print(f"{key:28} {value}")
    print("\n" + "\n\n".join(samples))

    if out is not None:
        effective = {"preset": preset, **config, "vocab_size": tok.vocab_size,
                     "parameters_without_embeddings": model.num_parameters(),
                     "flops_per_token": measured_flops_per_token(model_config), "device": str(device),
                     "device_name": _device_name(device), "torch": torch.__version__}
        write_files(Path(out), title=f"course GPT on Austen, preset {preset}", config=effective,
                    results=results, history=history, samples=samples, model=model)
    return LabRun(results=results, history=history, model=model, samples=samples)


def write_files(out: Path, *, title: str, config: dict, results: dict, history: dict, samples: list[str],
                model) -> None:
    """The run's files in `out`: curves.png, config.json, results.json, samples.txt, model.pt."""
    import matplotlib.pyplot as plt

    from .plotting import plot_history

    out.mkdir(parents=True, exist_ok=True)
    fig = plot_history(history, title=title)
    fig.savefig(out / "curves.png", dpi=120)
    plt.close(fig)  # in a notebook, a figure left open would also show below the cell
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (out / "results.json").write_text(json.dumps({"results": results, "history": history}, indent=1) + "\n")
    (out / "samples.txt").write_text("\n\n".join(samples) + "\n")
    # The trained weights, loadable with torch.load(..., weights_only=True): config and state dict.
    torch.save({"config": model.config.to_dict(), "model": model.state_dict()}, out / "model.pt")
    print(f"\nwrote {out}/: curves.png, config.json, results.json, samples.txt, model.pt")


def _device_name(device) -> str:
    kind = torch.device(device).type
    if kind == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{torch.get_num_threads()} CPU threads" if kind == "cpu" else kind


def main(argv: list[str] | None = None) -> int:
    epilog = ("Your answers come from the set-up and answer cells of A.ipynb, for A = ex3_training_loop "
              "(train, evaluate, get_device) and ex1_lm_dataset (PackedLMDataset), the first found of "
              "DIR/A.ipynb, DIR/A/A.ipynb, DIR/notebooks/A/A.ipynb and DIR/../A/A.ipynb.")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=epilog)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="cpu")
    parser.add_argument("--notebooks", type=Path, default=Path("."), metavar="DIR",
                        help="where to look for your notebooks (default: the current folder)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: runs/lab/<preset> here)")
    parser.add_argument("--device", default=None, help="e.g. cpu, cuda, cuda:1 (default: your get_device's choice)")
    parser.add_argument("--steps", type=int, default=None, help="override the preset's number of steps")
    parser.add_argument("--no-compile", action="store_true", help="do not torch.compile the model")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)")
    parser.add_argument("--prompt", default=DEFAULT_PROMPT)
    args = parser.parse_args(argv)
    import matplotlib
    matplotlib.use("Agg")  # files only: this may run on a machine without a display
    try:
        answers, notebooks = notebook_answers(args.notebooks)
    except MissingAnswer as missing:
        message = str(missing)
        print(message[0].upper() + message[1:] + ".", file=sys.stderr)
        return 2
    print("your answers, from " + " and ".join(_shown(path) for path in notebooks))
    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = {}
    if args.steps is not None:
        overrides["steps"] = args.steps
    if args.no_compile:
        overrides["compile"] = False
    out = args.out if args.out is not None else Path("runs", "lab", args.preset)
    run(args.preset, out=out, device=args.device, overrides=overrides, prompt=args.prompt, **answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())

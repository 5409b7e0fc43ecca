"""Train exercise 5's scaling ladder and write it to data/scaling/ladder.json (the shipped run).

    python scripts/scaling_ladder.py                 # about 5 minutes on 2 CPU cores
    python scripts/scaling_ladder.py --out runs/ladder.json --tokens 100000
    python scripts/scaling_ladder.py --refit         # only recompute the shipped file's fit

Five course GPTs from about 50k to 2M parameters without the embeddings
(course_support/scaling_ladder.py), each trained on the same tokens of the five training novels
and validated on Persuasion. The grader and the book read the file; they never train. The file
also holds the law fitted to all rungs but the largest with exercise 5's reference
`fit_power_law` (read from solutions/ by the instructors' tooling), so that the book's chapter,
opened as a notebook anywhere, shows the fit without the reference answers.
"""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from autograder.reference import reference_namespace  # noqa: E402
from course_support import scaling_ladder  # noqa: E402
from course_support.data_files import record_checksum  # noqa: E402


def next_token_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy of logits [B, T, V] against targets [B, T] (no padding here)."""
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten())


def reference_fit(ladder: dict) -> dict:
    """E, A and alpha of L(N) = E + A N^-alpha fitted to every rung but the largest."""
    fit_power_law = reference_namespace("ex5_scaling", ["answer_fit_power_law"])["fit_power_law"]
    n = [r["non_embedding_params"] for r in ladder["runs"]][:-1]
    loss = [r["val_loss"] for r in ladder["runs"]][:-1]
    E, A, alpha = fit_power_law(n, loss)
    return {"fitted_on_rungs": len(n), "E": float(E), "A": float(A), "alpha": float(alpha)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="default: data/scaling/ladder.json")
    parser.add_argument("--tokens", type=int, default=scaling_ladder.TOKENS, help="training tokens per rung")
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: cuda when available)")
    parser.add_argument("--refit", action="store_true", help="keep the runs of --out, recompute its fit")
    args = parser.parse_args(argv)
    if args.refit:
        ladder = scaling_ladder.load_ladder(args.out)
        ladder["fit"] = reference_fit(ladder)
        path = scaling_ladder.save_ladder(ladder, args.out)
        record_checksum(path)
        print(f"fit {ladder['fit']} written to {path}")
        return 0
    ladder = scaling_ladder.run_ladder(next_token_loss, tokens=args.tokens, device=args.device)
    ladder["fit"] = reference_fit(ladder)
    given = list(argv if argv is not None else sys.argv[1:])
    if "--out" in given:  # where the file went is no part of how it was made
        del given[given.index("--out"):given.index("--out") + 2]
    command = "python scripts/scaling_ladder.py " + " ".join(shlex.quote(a) for a in given)
    path = scaling_ladder.save_ladder(ladder, args.out, command=command.strip())
    record_checksum(path)
    print(scaling_ladder.table(ladder))
    print(f"{ladder['seconds'] / 60:.1f} minutes in all on {ladder['machine']}; written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

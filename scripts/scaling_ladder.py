"""Train exercise 5's scaling ladder and write it to data/scaling/ladder.json (the shipped run).

    python scripts/scaling_ladder.py                 # about 5 minutes on 2 CPU cores
    python scripts/scaling_ladder.py --out runs/ladder.json --tokens 100000

Five course GPTs from about 50k to 2M parameters without the embeddings
(course_support/scaling_ladder.py), each trained on the same tokens of the five training novels
and validated on Persuasion. The grader and the book read the file; they never train.
"""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from course_support import scaling_ladder  # noqa: E402


def next_token_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy of logits [B, T, V] against targets [B, T] (no padding here)."""
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="default: data/scaling/ladder.json")
    parser.add_argument("--tokens", type=int, default=scaling_ladder.TOKENS, help="training tokens per rung")
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: cuda when available)")
    args = parser.parse_args(argv)
    ladder = scaling_ladder.run_ladder(next_token_loss, tokens=args.tokens, device=args.device)
    given = list(argv if argv is not None else sys.argv[1:])
    if "--out" in given:  # where the file went is no part of how it was made
        del given[given.index("--out"):given.index("--out") + 2]
    command = "python scripts/scaling_ladder.py " + " ".join(shlex.quote(a) for a in given)
    path = scaling_ladder.save_ladder(ladder, args.out, command=command.strip())
    print(scaling_ladder.table(ladder))
    print(f"{ladder['seconds'] / 60:.1f} minutes in all on {ladder['machine']}; written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The learning curve of exercise 4 with the reference answers, written to data/transfer/.

    python scripts/transfer_curve.py            # the curve on the test split (about 5 minutes on 2 cores)
    python scripts/transfer_curve.py --sweep    # pick each method's learning rates on the validation split

The book's chapter 8 and the tests read data/transfer/learning_curve.json, so that nothing
retrains at build time. The reference answers come from solutions/ex4_transfer (instructor
tooling: the library never holds an answer).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.reference import reference_namespace  # noqa: E402
from course_support.data_files import record_checksum  # noqa: E402
from course_support.transfer import METHODS, learning_curve  # noqa: E402

OUT = ROOT / "data" / "transfer" / "learning_curve.json"
ANSWERS = ("SentenceClassifier", "set_trainable", "sample_per_class", "make_optimizer", "fine_tune_step", "accuracy")
SWEEP = {  # (head_lr, encoder_lr) tried for each method at 32 labels per class
    "scratch": [(1e-4, 1e-4), (3e-4, 3e-4), (1e-3, 1e-3), (3e-3, 3e-3)],
    "probe": [(3e-3, 0.0), (1e-2, 0.0), (3e-2, 0.0)],
    "finetune": [(1e-3, 3e-5), (1e-3, 1e-4), (1e-3, 3e-4)],
}


def reference_functions() -> dict:
    ns = reference_namespace("ex4_transfer", [f"answer_{name}" for name in ANSWERS])
    functions = {name: ns[name] for name in ANSWERS}
    return {"classifier": functions.pop("SentenceClassifier"), **functions}


def sweep(functions) -> dict:
    best = {}
    for method, choices in SWEEP.items():
        scores = []
        for head_lr, encoder_lr in choices:
            rates = {method: {**METHODS[method], "head_lr": head_lr, "encoder_lr": encoder_lr}}
            row = learning_curve(**functions, sizes=(32,), methods=(method,), rates=rates, eval_split="val",
                                 eval_size=1000, progress=False)[0]
            scores.append((row["accuracy"], head_lr, encoder_lr))
            print(f"{method:9} head_lr {head_lr:g} encoder_lr {encoder_lr:g}: validation accuracy {row['accuracy']:.3f}")
        best[method] = max(scores)
    return best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true", help="compare learning rates on the validation split")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    functions = reference_functions()
    if args.sweep:
        for method, (acc, head_lr, encoder_lr) in sweep(functions).items():
            print(f"best for {method}: head_lr {head_lr:g}, encoder_lr {encoder_lr:g} ({acc:.3f})")
        return 0
    started = time.perf_counter()
    rows = learning_curve(**functions)
    seconds = round(time.perf_counter() - started, 1)
    made_by = {"command": "python scripts/transfer_curve.py", "seconds": seconds, "threads": torch.get_num_threads(),
               "machine": platform.machine(), "torch": str(torch.__version__), "eval_split": "test",
               "eval_size": 1000}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"made_by": made_by, "rates": METHODS, "rows": rows}, indent=1) + "\n")
    record_checksum(args.out)  # course_support.verify() checks the shipped file against it
    for row in rows:
        print(f"{row['method']:9} k={row['k']:4}  accuracy {row['accuracy']:.3f}  ({row['seconds']} s)")
    print(f"wrote {args.out} in {seconds} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

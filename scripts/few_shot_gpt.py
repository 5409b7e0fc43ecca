"""Does the course GPT learn in context? Few-shot prompting on the speech-or-narration task.

    python -m course_support.lab --preset cpu --notebooks solutions   # the course GPT: runs/lab/cpu/model.pt
    python scripts/few_shot_gpt.py --gpt runs/lab/cpu/model.pt --ship

GPT-3 classified by prompting alone: a task description and k solved examples in the context,
then the question, with no gradient step (Brown et al. 2020). This script asks the course GPT
(1.3M parameters without embeddings, a 128-token context, trained on five novels) the same
way: k = 0, 1, 2 demonstrations of the form

    <sentence>
    Speech or narration? speech

then the test sentence and "Speech or narration?", and compares the log-probabilities of the
two answers. It also tries the one "prompt" that the model's own training data teaches: is
the sentence more probable inside quotation marks than without them?

Writes data/transfer/few_shot.json (and with --ship copies the weights to data/checkpoints/).
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_support import GPT, GPTConfig, load_tokenizer  # noqa: E402
from course_support.data_files import record_checksum  # noqa: E402
from course_support.transfer import checkpoint_dir, speech_or_narration  # noqa: E402

OUT = ROOT / "data" / "transfer" / "few_shot.json"
GPT_FILE = "austen-gpt.pt"
QUESTION = "\nSpeech or narration?"
ANSWERS = (" narration", " speech")  # label 0, label 1
MAX_SENTENCE = 30  # tokens per sentence, so that two demonstrations and the query fit in 128


@torch.no_grad()
def log_prob(model, ids: list[int], start: int) -> float:
    """Sum of log P(ids[i] | ids[:i]) for i >= start, the last block_size tokens as context."""
    cut = max(0, len(ids) - model.config.block_size - 1)  # keep the last block_size + 1 tokens
    ids, start = ids[cut:], max(1, start - cut)
    x = torch.tensor([ids[:-1]])
    logp = torch.log_softmax(model(x)[0].double(), dim=-1)
    return float(sum(logp[i - 1, ids[i]] for i in range(start, len(ids))))


def prompt_answer(model, tok, demos, sentence) -> int:
    """The label whose answer word is more probable after the prompt."""
    context = []
    for text, label in demos:
        context += tok.encode(text)[:MAX_SENTENCE] + tok.encode(QUESTION + ANSWERS[label] + "\n\n")
    context += tok.encode(sentence)[:MAX_SENTENCE] + tok.encode(QUESTION)
    scores = [log_prob(model, context + tok.encode(answer), len(context)) for answer in ANSWERS]
    return int(scores[1] > scores[0])


def quote_answer(model, tok, sentence) -> int:
    """Speech when the sentence is more probable inside quotation marks than without them."""
    plain = tok.encode("\n\n" + sentence + "\n\n")
    quoted = tok.encode('\n\n"' + sentence + '"\n\n')
    return int(log_prob(model, quoted, 1) > log_prob(model, plain, 1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gpt", type=Path, default=None, help=f"weights (default data/checkpoints/{GPT_FILE})")
    parser.add_argument("--n", type=int, default=400, help="test sentences (balanced)")
    parser.add_argument("--ship", action="store_true", help=f"copy the weights to data/checkpoints/{GPT_FILE}")
    args = parser.parse_args(argv)
    path = args.gpt or checkpoint_dir() / GPT_FILE
    saved = torch.load(path, map_location="cpu", weights_only=True)
    model = GPT(GPTConfig(**saved["config"]))
    model.load_state_dict(saved["model"])
    model.eval()
    tok = load_tokenizer()
    started = time.perf_counter()
    rng = random.Random(0)
    test = rng.sample(speech_or_narration("test"), args.n)
    train = speech_or_narration("train")
    rows = []
    def row(method, shots, answers):
        correct = sum(a == label for a, (_, label) in zip(answers, test))
        return {"method": method, "shots": shots, "accuracy": round(correct / len(test), 4),
                "answered_speech": round(sum(answers) / len(test), 4)}  # 0 or 1: always the same answer

    for shots in (0, 1, 2):
        answers = [prompt_answer(model, tok, rng.sample(train, shots), text) for text, _ in test]
        rows.append(row(f"{shots}-shot prompt", shots, answers))
    rows.append(row("quotation marks more probable", 0, [quote_answer(model, tok, text) for text, _ in test]))
    made_by = {"command": "python scripts/few_shot_gpt.py", "gpt": saved["config"], "test_sentences": len(test),
               "seconds": round(time.perf_counter() - started, 1), "torch": str(torch.__version__)}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"made_by": made_by, "rows": rows}, indent=1) + "\n")
    record_checksum(OUT)  # course_support.verify() checks the shipped file against it
    for row in rows:
        print(f"{row['method']:32} accuracy {row['accuracy']:.3f} (chance 0.5), answered speech "
              f"{row['answered_speech']:.0%} of the time")
    if args.ship:
        target = checkpoint_dir() / GPT_FILE
        shutil.copyfile(path, target)
        record_checksum(target)
        print(f"shipped {target} ({target.stat().st_size / 1e6:.1f} MB)")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

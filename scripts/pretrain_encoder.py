"""Pre-train the course BERT that ships in data/checkpoints/ (MLM + NSP on the training novels).

    python scripts/pretrain_encoder.py --steps 3000    # about 11 minutes on 2 CPU cores (4.5 steps/s)
    python scripts/pretrain_encoder.py --steps 20 --out /tmp/bert.pt   # a smoke run

BERT's recipe at small scale: sentence pairs `[CLS] A [SEP] B [SEP]` from the chapters of the
five training novels (Persuasion is held out), half of them with B replaced by a sentence of
another chapter (NSP), 15% of the tokens selected for MLM with the 80/10/10 rule. The pairs,
inputs and masks are made by exercise 2's reference answers, read from solutions/ (this is
instructor tooling: the library never holds an answer). MLM logits are computed at the
masked positions only, which saves most of the vocabulary projection.

It writes the checkpoint (config, weights, and how it was made: command, steps, seconds,
validation losses) and its SHA-256 to data/checkpoints/SHA256SUMS, and prints the figures
that data/README.md quotes.
"""
from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.reference import reference_namespace  # noqa: E402
from course_support import BERT, BERTConfig, load_tokenizer  # noqa: E402
from course_support.corpus import TRAIN_NOVELS, VALIDATION_NOVELS, chapters, load_novel, paragraphs, sentences  # noqa: E402
from course_support import data_files  # noqa: E402
from course_support.data_files import record_checksum  # noqa: E402
from course_support.transfer import ENCODER_FILE, checkpoint_dir  # noqa: E402

CONFIG = dict(n_layer=4, n_head=4, n_embd=128, max_position=128, dropout=0.0)


def documents(novels, tok) -> list[list[list[int]]]:
    """One document per chapter: its sentences, each a list of token ids."""
    docs = []
    for novel in novels:
        for chapter in chapters(load_novel(novel)):
            texts = [s for p in paragraphs(chapter) for s in sentences(p)]
            docs.append([ids for ids in tok.encode_batch(texts) if ids])
    return docs


def make_batches(docs, ref, tok, *, batch_size, max_length, rng, generator):
    """One pass of NSP pairs over the documents, shuffled and masked, as dict batches."""
    pairs = ref["make_nsp_pairs"](docs, rng=rng)
    rng.shuffle(pairs)
    special = sorted(tok.special_token_ids)
    for start in range(0, len(pairs) - batch_size + 1, batch_size):
        rows = [ref["build_pretraining_input"](a, b, cls_token_id=tok.cls_token_id, sep_token_id=tok.sep_token_id,
                                               pad_token_id=tok.pad_token_id, max_length=max_length)
                for a, b, _ in pairs[start:start + batch_size]]
        batch = {k: torch.stack([r[k] for r in rows]) for k in rows[0]}
        batch["input_ids"], batch["mlm_labels"] = ref["mask_tokens"](
            batch["input_ids"], mask_token_id=tok.mask_token_id, vocab_size=tok.vocab_size,
            special_token_ids=special, generator=generator)
        batch["nsp_labels"] = torch.tensor([is_next for _, _, is_next in pairs[start:start + batch_size]])
        yield batch


def losses(model, batch):
    """(MLM loss at the masked positions, NSP loss, NSP accuracy)."""
    hidden = model.encode(batch["input_ids"], batch["token_type_ids"], batch["attention_mask"])
    masked = batch["mlm_labels"] != -100
    mlm = F.cross_entropy(model.mlm_head(hidden[masked]), batch["mlm_labels"][masked])
    nsp_logits = model.nsp_head(torch.tanh(model.pooler(hidden[:, 0])))
    nsp = F.cross_entropy(nsp_logits, batch["nsp_labels"])
    return mlm, nsp, (nsp_logits.argmax(-1) == batch["nsp_labels"]).float().mean()


@torch.no_grad()
def evaluate(model, batches) -> dict:
    model.eval()
    totals = [0.0, 0.0, 0.0]
    for batch in batches:
        for i, value in enumerate(losses(model, batch)):
            totals[i] += value.item()
    model.train()
    return {k: round(v / len(batches), 4) for k, v in zip(("mlm_loss", "nsp_loss", "nsp_accuracy"), totals)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help=f"default data/checkpoints/{ENCODER_FILE}")
    args = parser.parse_args(argv)
    out = args.out or checkpoint_dir() / ENCODER_FILE
    started = time.perf_counter()
    torch.manual_seed(args.seed)
    ref = reference_namespace("ex2_masking")
    tok = load_tokenizer()
    train_docs, val_docs = documents(TRAIN_NOVELS, tok), documents(VALIDATION_NOVELS, tok)
    rng, generator = random.Random(args.seed), torch.Generator().manual_seed(args.seed)
    kwargs = dict(batch_size=args.batch_size, max_length=args.max_length)
    val_batches = list(make_batches(val_docs, ref, tok, rng=random.Random(1), generator=torch.Generator().manual_seed(1),
                                    **kwargs))[:10]
    config = BERTConfig(vocab_size=tok.vocab_size, **CONFIG)
    model = BERT(config, seed=args.seed).train()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=args.lr, betas=(0.9, 0.98))
    warmup = max(1, args.steps // 15)
    print(f"course BERT: {model.num_parameters():,} parameters; {len(train_docs)} training chapters")
    print("before:", evaluate(model, val_batches))
    batches, log = iter(()), []
    bar = tqdm(range(args.steps), desc="MLM + NSP")
    for step in bar:
        batch = next(batches, None)
        if batch is None:  # a new pass: new pairs, new masks
            batches = make_batches(train_docs, ref, tok, rng=rng, generator=generator, **kwargs)
            batch = next(batches)
        lr = args.lr * min(1.0, (step + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / args.steps)))
        for group in optimizer.param_groups:
            group["lr"] = lr
        mlm, nsp, _ = losses(model, batch)
        optimizer.zero_grad(set_to_none=True)
        (mlm + nsp).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        bar.set_postfix(mlm=f"{mlm.item():.2f}", nsp=f"{nsp.item():.3f}")
        if (step + 1) % 300 == 0 or step + 1 == args.steps:
            log.append({"step": step + 1, **evaluate(model, val_batches)})
            tqdm.write(str(log[-1]))
    seconds = round(time.perf_counter() - started, 1)
    made_by = {"command": "python scripts/pretrain_encoder.py" + "".join(f" {a}" for a in (argv or sys.argv[1:])),
               "steps": args.steps, "batch_size": args.batch_size, "max_length": args.max_length, "lr": args.lr,
               "seconds": seconds, "threads": torch.get_num_threads(), "torch": str(torch.__version__),
               "validation (Persuasion)": log[-1], "log": log}
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": config.to_dict(), "model": model.state_dict(), "made_by": made_by}, out)
    record_checksum(out)
    digest = data_files.sha256(out)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, sha256 {digest[:12]}...) in {seconds} s")
    print("validation on Persuasion:", log[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The reference `train` under torch.distributed, as the exercise contract states it (not graded
in the notebook): shown on the CPU with the gloo backend and two processes.

Each process runs the reference code read from the source notebook. The test checks that the
model is wrapped in DistributedDataParallel, that `set_epoch` is called on the loader's
DistributedSampler at every pass (the skipped passes of a resume included), that only rank 0
writes checkpoints, that both ranks end with identical weights, and that those equal one
process trained on the same global batches.
"""
import os
import socket

import torch
import torch.multiprocessing as mp
from torch.utils.data import DataLoader, DistributedSampler

WORLD = 2
ROWS, LENGTH = 12, 8  # 6 rows per rank, batches of 2: 3 batches per pass
SETTINGS = dict(max_lr=1e-2, warmup_steps=1, min_lr=1e-3, grad_accum_steps=1, progress=False, seed=0)


def _data():
    """Packed blocks of one id stream, with the reference PackedLMDataset of exercise 1."""
    from autograder.reference import reference_namespace
    packed = reference_namespace("ex1_lm_dataset", ["answer_PackedLMDataset"])["PackedLMDataset"]
    stream = torch.randint(0, 32, (ROWS * LENGTH + 1,), generator=torch.Generator().manual_seed(0))
    dataset = packed(stream.tolist(), LENGTH)
    assert len(dataset) == ROWS
    return dataset


def _model():
    """No biases: the gradient of the attention's key bias is zero in exact arithmetic (softmax
    ignores a shift), so in floats it is rounding noise, which Adam scales up to full-size steps;
    one process and two then differ by about the learning rate, whatever the loop does."""
    from course_support import GPT, GPTConfig
    return GPT(GPTConfig(vocab_size=32, block_size=LENGTH, n_layer=1, n_head=2, n_embd=16, bias=False,
                         dropout=0.0), seed=0)


class RecordingSampler(DistributedSampler):
    """A DistributedSampler that remembers every set_epoch call."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.epochs = []

    def set_epoch(self, epoch):
        self.epochs.append(epoch)
        super().set_epoch(epoch)


class CrashingLoader:
    """The loader's batches (and sampler), but raises after `limit` batches: a crash."""

    def __init__(self, loader, limit):
        self.loader, self.sampler, self.limit, self.given = loader, loader.sampler, limit, 0

    def __iter__(self):
        for batch in self.loader:
            if self.given == self.limit:
                raise RuntimeError("simulated crash")
            self.given += 1
            yield batch


def _worker(rank, port, folder):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    import torch.distributed as dist

    from autograder.reference import reference_namespace

    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    try:
        ns = reference_namespace("ex3_training_loop")
        wrapped, saves = [], []
        base_ddp, base_save = ns["DistributedDataParallel"], ns["save_checkpoint"]

        class RecordingDDP(base_ddp):
            def __init__(self, module, *args, **kwargs):
                wrapped.append(type(module).__name__)
                super().__init__(module, *args, **kwargs)

        def recording_save(path, **kwargs):
            saves.append(kwargs["step"])
            base_save(path, **kwargs)

        ns["DistributedDataParallel"], ns["save_checkpoint"] = RecordingDDP, recording_save
        path = os.path.join(folder, "checkpoint.pt")
        model = _model()
        sampler = RecordingSampler(_data(), num_replicas=WORLD, rank=rank, shuffle=False)
        loader = DataLoader(_data(), batch_size=2, sampler=sampler)
        # 6 steps, checkpoints after steps 2 and 4; the loader crashes when step 5 asks for its
        # batch, after one whole pass (3 batches) and the first batch of the next.
        try:
            ns["train"](model, CrashingLoader(loader, 4), steps=6, checkpoint_path=path, checkpoint_every=2, **SETTINGS)
        except RuntimeError:
            pass
        epochs_first = list(sampler.epochs)
        # Resume: the 4 used batches are skipped (pass 0, and the start of pass 1), then 2 more steps.
        sampler.epochs.clear()
        resumed = _model()
        rest = ns["train"](resumed, loader, steps=6, checkpoint_path=path, checkpoint_every=2, resume=True, **SETTINGS)
        torch.save({"state": resumed.state_dict(), "wrapped": wrapped, "saves": saves, "epochs_first": epochs_first,
                    "epochs_resumed": list(sampler.epochs), "steps": rest["step"]},
                   os.path.join(folder, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_reference_train_under_ddp_with_gloo(tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # inherited by the spawned processes
    threads = torch.get_num_threads()
    mp.spawn(_worker, args=(_free_port(), str(tmp_path)), nprocs=WORLD, join=True)
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in range(WORLD)]
    for r, result in enumerate(ranks):
        assert result["wrapped"] == ["GPT", "GPT"], f"rank {r}: train must wrap the model in DistributedDataParallel"
        assert result["epochs_first"] == [0, 1], f"rank {r}: set_epoch at each pass; got {result['epochs_first']}"
        assert result["epochs_resumed"] == [0, 1], f"rank {r}: the skipped passes of a resume call set_epoch too"
        assert result["steps"] == [4, 5], f"rank {r}: the resumed run records steps 4 and 5 only"
    assert ranks[0]["saves"] == [2, 4, 6] and ranks[1]["saves"] == [], "only rank 0 writes checkpoints"
    first, second = (r["state"] for r in ranks)
    differ = [k for k in first if not torch.equal(first[k], second[k])]
    assert not differ, f"the two ranks end with different weights: {differ}"

    # One process on the same global batches (rank 0's rows 0, 2 and rank 1's rows 1, 3 = rows 0..3).
    from autograder.reference import reference_namespace
    ns = reference_namespace("ex3_training_loop")
    torch.set_num_threads(1)
    try:
        single = _model()
        ns["train"](single, DataLoader(_data(), batch_size=2 * WORLD), steps=6, **SETTINGS)
    finally:
        torch.set_num_threads(threads)  # later tests in this process keep their threads
    gap = max(float((single.state_dict()[k] - first[k]).abs().max()) for k in first)
    assert gap < 1e-6, f"two processes must train like one process with the same global batch; weights differ by {gap:.2g}"

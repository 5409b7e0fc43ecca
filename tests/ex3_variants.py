"""Plausible wrong solutions of `ex3_training_loop`, for the grading tests.

Each variant is what a learner might hand in: the reference answer cell with one mistake,
same names and signatures. The sources are built from the reference in the source notebook by
exact text edits (each edit must match exactly once, so a changed reference fails loudly
here instead of silently testing something else). The grading tests submit every variant
(with the reference's other answer cells) and check that exactly the listed test cells lose
their points.

Several mistakes in `evaluate`, `load_checkpoint` or `train` also break behaviour that only
shows through `train` (resume): those variants list the `test_train_...` cells they fail too.
A checkpoint that lacks something fails `test_save_checkpoint_contents` (which reads the file)
and the `test_load_checkpoint_...` cell that restores it.
"""
from functools import partial
from pathlib import Path

from autograder.nbtools import edited, solution_sources

_SOURCE = Path(__file__).resolve().parent.parent / "solutions" / "ex3_training_loop" / "ex3_training_loop.ipynb"
_REFERENCE = solution_sources(_SOURCE)


_edit = partial(edited, _REFERENCE)  # _edit(cell, (old, new), ...): the reference with one mistake


_CLIP_THEN_STEP = '''        if grad_clip:
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)  # norm before clipping
        else:
            grad_norm = torch.nn.utils.get_total_norm([p.grad for p in model.parameters() if p.grad is not None])
        if scaler is not None:
            scaler.step(optimizer)  # skipped when a gradient overflowed (inf or nan)
            scaler.update()  # and then the scale shrinks; after many good steps it grows
        else:
            optimizer.step()
'''
_SET_LR = '''        for group in optimizer.param_groups:
            group["lr"] = lr
'''
_EVALUATE_THEN_SAVE = '''        if evaluate_now:
            result = evaluate(model, val_loader, device=device)
            net.train()  # whatever mode the evaluation left: the next steps train (dropout on)
            history["val_step"].append(step)
            history["val_loss"].append(result["loss"])
            history["val_perplexity"].append(result["perplexity"])
        if save_now:
            if rank == 0:
                save_checkpoint(checkpoint_path, model=model, optimizer=optimizer, step=step + 1, scaler=scaler)
            if distributed:
                dist.barrier()  # nobody reads or overwrites a checkpoint still being written
'''

# Each variant replaces the source of some answer cells (keyed by the answer cell's grade_id)
# in the reference solution; `fails` is the exact set of test-cell grade_ids that must score 0
# with that variant (every other test cell must keep full marks).
VARIANTS = {
    # -- get_device ----------------------------------------------------------------------------
    "device_ignores_prefer": {
        "replace": _edit("answer_get_device", ("    if prefer is not None:\n        return torch.device(prefer)\n", "")),
        "fails": {"test_get_device_choice"},
    },
    # -- configure_optimizer -------------------------------------------------------------------
    "decay_on_every_parameter": {
        "replace": _edit("answer_configure_optimizer",
                         ('    groups = [{"params": decay, "weight_decay": weight_decay},\n'
                          '              {"params": no_decay, "weight_decay": 0.0}]\n',
                          '    groups = [{"params": params, "weight_decay": weight_decay}]\n')),
        "fails": {"test_configure_optimizer_groups"},
    },
    # -- lr_at ---------------------------------------------------------------------------------
    # The warmup branch forgotten: the cosine formula runs from step 0 (p < 0 before warmup_steps).
    "no_warmup": {
        "replace": _edit("answer_lr_at", ("    if step < warmup_steps:\n        return max_lr * (step + 1) / warmup_steps\n", "")),
        "fails": {"test_lr_at_warmup"},
    },
    "warmup_from_zero": {
        "replace": _edit("answer_lr_at", ("return max_lr * (step + 1) / warmup_steps", "return max_lr * step / warmup_steps")),
        "fails": {"test_lr_at_warmup"},
    },
    # total_steps tested first: with more warmup steps than steps, the end of the run comes
    # before the warmup is over, and the rate drops to min_lr instead of still warming up.
    "total_steps_before_warmup": {
        "replace": _edit("answer_lr_at", ("    if step < warmup_steps:\n        return max_lr * (step + 1) / warmup_steps\n"
                                          "    if step >= total_steps:\n        return float(min_lr)\n",
                                          "    if step >= total_steps:\n        return float(min_lr)\n"
                                          "    if step < warmup_steps:\n        return max_lr * (step + 1) / warmup_steps\n")),
        "fails": {"test_lr_at_warmup"},
    },
    "cosine_over_all_steps": {
        "replace": _edit("answer_lr_at", ("progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)",
                                          "progress = (step - warmup_steps) / max(1, total_steps)")),
        "fails": {"test_lr_at_cosine"},
    },
    # -- evaluate ------------------------------------------------------------------------------
    "evaluate_in_train_mode": {
        "replace": _edit("answer_evaluate", ("    model.eval()\n", "")),
        "fails": {"test_evaluate_mode"},
    },
    "evaluate_with_gradients": {
        "replace": _edit("answer_evaluate", ("with torch.no_grad():", "with contextlib.nullcontext():")),
        "fails": {"test_evaluate_mode"},
    },
    "evaluate_mean_of_batch_means": {
        "replace": _edit("answer_evaluate",
                         ("                total += F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), labels.reshape(-1),\n"
                          "                                         ignore_index=IGNORE_INDEX, reduction=\"sum\")\n"
                          "                count += (labels != IGNORE_INDEX).sum()\n",
                          "                total += F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), labels.reshape(-1),\n"
                          "                                         ignore_index=IGNORE_INDEX)\n"
                          "                count += 1\n")),
        "fails": {"test_evaluate_loss"},
    },
    # Leaves the model in eval mode (the reference train switches back to training mode after
    # each evaluation itself, so only evaluate's own cell notices).
    "evaluate_leaves_eval_mode": {
        "replace": _edit("answer_evaluate", ("    finally:\n        model.train(was_training)\n", "    finally:\n        pass\n")),
        "fails": {"test_evaluate_mode"},
    },
    # The batches stay where the loader made them: on a GPU the model would get CPU tensors.
    "evaluate_never_moves_batches": {
        "replace": _edit("answer_evaluate", ("                inputs, labels = inputs.to(device), labels.to(device)\n", "")),
        "fails": {"test_evaluate_mode"},
    },
    # -- save_checkpoint / load_checkpoint -----------------------------------------------------
    # The scaler's state never reaches the file: a resumed fp16 run starts again at 65536.
    "save_forgets_scaler": {
        "replace": _edit("answer_save_checkpoint", ('"scaler": None if scaler is None else scaler.state_dict(),', '"scaler": None,')),
        "fails": {"test_save_checkpoint_contents", "test_load_checkpoint_state"},
    },
    # Python's random state neither saved nor restored.
    "checkpoint_without_python_random": {
        "replace": {**_edit("answer_save_checkpoint", ('            "python": random.getstate(),\n', "")),
                    **_edit("answer_load_checkpoint", ('    random.setstate(rng["python"])\n', ""))},
        "fails": {"test_save_checkpoint_contents", "test_load_checkpoint_rng"},
    },
    # Written straight to path: a crash while writing destroys the last good checkpoint.
    "save_in_place": {
        "replace": _edit("answer_save_checkpoint", ("    torch.save(state, partial)\n    os.replace(partial, path)",
                                                    "    torch.save(state, path)")),
        "fails": {"test_save_checkpoint_complete"},
    },
    "load_forgets_optimizer": {
        "replace": _edit("answer_load_checkpoint",
                         ("    optimizer.load_state_dict(state[\"optimizer\"])  # moves the moments to the parameters' device\n", "")),
        "fails": {"test_load_checkpoint_state", "test_train_resume"},
    },
    "load_forgets_random_states": {
        "replace": _edit("answer_load_checkpoint",
                         ("    rng = state[\"rng\"]\n    torch.set_rng_state(rng[\"torch\"])\n"
                          "    if rng.get(\"cuda\") is not None and torch.cuda.is_available():\n"
                          "        torch.cuda.set_rng_state(rng[\"cuda\"])\n    random.setstate(rng[\"python\"])\n", "")),
        "fails": {"test_load_checkpoint_rng", "test_train_resume"},
    },
    # -- train ---------------------------------------------------------------------------------
    # Gradients of all earlier steps keep adding up (and a resumed run starts without them).
    "no_zero_grad": {
        "replace": _edit("answer_train", ("        optimizer.zero_grad(set_to_none=True)\n", "")),
        "fails": {"test_train_steps", "test_train_resume"},
    },
    "unscaled_accumulation": {
        "replace": _edit("answer_train", ("scaled = loss / grad_accum_steps", "scaled = loss")),
        "fails": {"test_train_accumulation"},
    },
    "loss_history_divided": {
        "replace": _edit("answer_train", ("step_loss += loss.detach()", "step_loss += scaled.detach()")),
        "fails": {"test_train_accumulation"},
    },
    "clip_after_step": {
        "replace": _edit("answer_train", (_CLIP_THEN_STEP, '''        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        if grad_clip:
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        else:
            grad_norm = torch.nn.utils.get_total_norm([p.grad for p in model.parameters() if p.grad is not None])
''')),
        "fails": {"test_train_clipping"},
    },
    "grad_norm_after_clipping": {
        "replace": _edit("answer_train", (
            "            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)  # norm before clipping\n"
            "        else:\n"
            "            grad_norm = torch.nn.utils.get_total_norm([p.grad for p in model.parameters() if p.grad is not None])\n",
            "            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)\n"
            "        grad_norm = torch.nn.utils.get_total_norm([p.grad for p in model.parameters() if p.grad is not None])\n")),
        "fails": {"test_train_clipping"},
    },
    # lr_at is computed and recorded, but never put into the optimizer: every step runs at max_lr.
    "schedule_never_applied": {
        "replace": _edit("answer_train", (_SET_LR, "")),
        "fails": {"test_train_lr"},
    },
    "lr_set_after_step": {
        "replace": _edit("answer_train", (_SET_LR, ""), ("        losses.append(step_loss / grad_accum_steps)\n",
                                                         _SET_LR + "        losses.append(step_loss / grad_accum_steps)\n")),
        "fails": {"test_train_lr"},
    },
    "precision_ignored": {
        "replace": _edit("answer_train",
                         ('    amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)\n'
                          '    scaler = torch.amp.GradScaler(device.type) if precision == "fp16" else None\n',
                          "    amp_dtype = None\n    scaler = None\n")),
        "fails": {"test_train_precision"},
    },
    "fp16_without_scaler": {
        "replace": _edit("answer_train", ('    scaler = torch.amp.GradScaler(device.type) if precision == "fp16" else None\n',
                                          "    scaler = None\n")),
        "fails": {"test_train_precision"},
    },
    # fp16: the gradients are measured and clipped while still multiplied by the loss scale.
    "fp16_clips_scaled_gradients": {
        "replace": _edit("answer_train", ("        if scaler is not None:\n"
                                          "            scaler.unscale_(optimizer)  # the true gradients, before measuring and clipping them\n", "")),
        "fails": {"test_train_precision"},
    },
    # fp16: a GradScaler is made (and checkpointed) but the loop never goes through it.
    "fp16_scaler_unused": {
        "replace": _edit("answer_train",
                         ("                (scaler.scale(scaled) if scaler is not None else scaled).backward()\n",
                          "                scaled.backward()\n"),
                         ("        if scaler is not None:\n"
                          "            scaler.unscale_(optimizer)  # the true gradients, before measuring and clipping them\n", ""),
                         ("        if scaler is not None:\n"
                          "            scaler.step(optimizer)  # skipped when a gradient overflowed (inf or nan)\n"
                          "            scaler.update()  # and then the scale shrinks; after many good steps it grows\n"
                          "        else:\n"
                          "            optimizer.step()\n", "        optimizer.step()\n")),
        "fails": {"test_train_precision"},
    },
    # Works on a CPU, where everything already is; on a GPU the model would see CPU tensors.
    "train_never_moves_to_device": {
        "replace": _edit("answer_train", ("    model.to(device)\n", ""),
                         ("            inputs = inputs.to(device, non_blocking=True)\n"
                          "            labels = labels.to(device, non_blocking=True)\n", "")),
        "fails": {"test_train_steps"},
    },
    # An evaluation after the last step too, although (steps) % eval_every != 0.
    "evaluation_after_last_step": {
        "replace": _edit("answer_train", ("evaluate_now = val_loader is not None and eval_every > 0 and (step + 1) % eval_every == 0",
                                          "evaluate_now = val_loader is not None and eval_every > 0 and ((step + 1) % eval_every == 0 or step + 1 == steps)")),
        "fails": {"test_train_history"},
    },
    # Switches to eval mode for the evaluation and never back: the later steps train without dropout.
    "training_mode_not_restored_after_evaluation": {
        "replace": _edit("answer_train", ("            result = evaluate(model, val_loader, device=device)\n"
                                          "            net.train()  # whatever mode the evaluation left: the next steps train (dropout on)\n",
                                          "            model.eval()\n"
                                          "            result = evaluate(model, val_loader, device=device)\n")),
        "fails": {"test_train_history", "test_train_resume"},
    },
    # A checkpoint only every checkpoint_every steps: the last steps of the run are not saved.
    "no_checkpoint_after_last_step": {
        "replace": _edit("answer_train", ("            (checkpoint_every > 0 and (step + 1) % checkpoint_every == 0) or step + 1 == steps)",
                                          "            checkpoint_every > 0 and (step + 1) % checkpoint_every == 0)")),
        "fails": {"test_train_resume"},
    },
    # torch seeded, Python's random not: a loader or augmentation drawing from random differs run to run.
    "python_random_not_seeded": {
        "replace": _edit("answer_train", ("        torch.manual_seed(seed)\n        random.seed(seed)\n", "        torch.manual_seed(seed)\n")),
        "fails": {"test_train_resume"},
    },
    # The checkpoint's optimizer state goes into an optimizer that is then thrown away.
    "resume_without_optimizer_state": {
        "replace": _edit("answer_train", ("start = load_checkpoint(checkpoint_path, model=model, optimizer=optimizer, scaler=scaler)",
                                          "start = load_checkpoint(checkpoint_path, model=model, scaler=scaler,\n"
                                          "                                optimizer=configure_optimizer(model, lr=max_lr, weight_decay=weight_decay))")),
        "fails": {"test_train_resume"},
    },
    # Loads the checkpoint but ignores its step: runs (and records) every step from 0 again.
    "resume_restarts_from_zero": {
        "replace": _edit("answer_train", ("        start = load_checkpoint(", "        load_checkpoint(")),
        "fails": {"test_train_resume"},
    },
    "resume_without_skip": {
        "replace": _edit("answer_train", ("        for _ in range(start * grad_accum_steps):  # replay the data order up to where we stopped\n"
                                          "            next(batches)\n", "")),
        "fails": {"test_train_resume"},
    },
    # Skipping the used batches starts DataLoader passes, which draw from the global generator.
    "random_states_before_skip": {
        "replace": _edit("answer_train", ("        set_rng_states(saved)  # starting a DataLoader pass drew from the generator: undo that\n", "")),
        "fails": {"test_train_resume"},
    },
    # The checkpoint's random state misses what the evaluation of the same step drew.
    "checkpoint_before_evaluation": {
        "replace": _edit("answer_train", (_EVALUATE_THEN_SAVE, '''        if save_now:
            if rank == 0:
                save_checkpoint(checkpoint_path, model=model, optimizer=optimizer, step=step + 1, scaler=scaler)
            if distributed:
                dist.barrier()
        if evaluate_now:
            result = evaluate(model, val_loader, device=device)
            net.train()
            history["val_step"].append(step)
            history["val_loss"].append(result["loss"])
            history["val_perplexity"].append(result["perplexity"])
''')),
        "fails": {"test_train_resume"},
    },
}

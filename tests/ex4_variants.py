"""Plausible wrong solutions of `ex4_transfer`, for the grading tests.

Each variant is the reference answer cell with one mistake a learner might make, built by exact
text edits of the reference in the source notebook (see `autograder.nbtools.edited`). The
grading tests submit every variant (with the reference's other answer cells) and check that
exactly the listed test cells lose their points.
"""
from functools import partial
from pathlib import Path

from autograder.nbtools import edited, solution_sources

_SOURCE = Path(__file__).resolve().parent.parent / "solutions" / "ex4_transfer" / "ex4_transfer.ipynb"
_edit = partial(edited, solution_sources(_SOURCE))

_CLS = "        return self.head(self.dropout(hidden[:, 0]))  # [B, n_classes]\n"
_ENCODE = "        hidden = self.encoder.encode(input_ids, attention_mask=attention_mask)  # [B, T, C]\n"
_FREEZE = "    for p in model.encoder.parameters():\n        p.requires_grad_(encoder)\n"
_HEAD = "    for p in model.head.parameters():\n        p.requires_grad_(True)\n"
_COUNT = "    return sum(p.numel() for p in model.parameters() if p.requires_grad)\n"
_DRAW = "        chosen += members if len(members) <= k else rng.sample(members, k)\n"
_ENCODER_GROUP = '        groups.append({"params": encoder_params, "lr": encoder_lr})\n'
_ENCODER_PARAMS = "    encoder_params = [p for p in model.encoder.parameters() if p.requires_grad]\n"
_CORRECT = "                correct += int((predicted == batch[\"labels\"]).sum())\n"

VARIANTS = {
    # -- SentenceClassifier ----------------------------------------------------------------------
    # GPT's habit: the last position. With padding, the last position is a pad token.
    "head_on_last_position": {
        "replace": _edit("answer_SentenceClassifier", (_CLS, "        return self.head(self.dropout(hidden[:, -1]))\n")),
        "fails": {"test_SentenceClassifier_cls", "test_SentenceClassifier_padding"},
    },
    # A mean over every position, padding included.
    "head_on_mean_of_all_positions": {
        "replace": _edit("answer_SentenceClassifier", (_CLS, "        return self.head(self.dropout(hidden.mean(dim=1)))\n")),
        "fails": {"test_SentenceClassifier_cls", "test_SentenceClassifier_padding"},
    },
    # The attention mask is accepted but never reaches the encoder: [CLS] also attends to padding.
    "attention_mask_not_passed": {
        "replace": _edit("answer_SentenceClassifier", (_ENCODE, "        hidden = self.encoder.encode(input_ids)\n")),
        "fails": {"test_SentenceClassifier_padding"},
    },
    "no_dropout": {
        "replace": _edit("answer_SentenceClassifier", (_CLS, "        return self.head(hidden[:, 0])\n")),
        "fails": {"test_SentenceClassifier_dropout"},
    },
    # The functional dropout with training=True: still on at evaluation.
    "dropout_left_on_at_evaluation": {
        "replace": _edit("answer_SentenceClassifier",
                         (_CLS, "        return self.head(F.dropout(hidden[:, 0], p=self.dropout.p, training=True))\n")),
        "fails": {"test_SentenceClassifier_dropout"},
    },
    # -- set_trainable ---------------------------------------------------------------------------
    # A probe that also trains the encoder: the freeze is forgotten.
    "probe_trains_the_encoder": {
        "replace": _edit("answer_set_trainable", (_FREEZE, "    for p in model.encoder.parameters():\n        p.requires_grad_(True)\n")),
        "fails": {"test_set_trainable_probe"},
    },
    # Freezing the whole model, head included, for a probe.
    "freeze_also_freezes_the_head": {
        "replace": _edit("answer_set_trainable", (_HEAD, "    for p in model.head.parameters():\n        p.requires_grad_(encoder)\n")),
        "fails": {"test_set_trainable_probe"},
    },
    # Counts every parameter, frozen or not.
    "counts_frozen_parameters": {
        "replace": _edit("answer_set_trainable", (_COUNT, "    return sum(p.numel() for p in model.parameters())\n")),
        "fails": {"test_set_trainable_probe"},
    },
    # Only ever freezes: encoder=True leaves a frozen encoder frozen.
    "never_unfreezes": {
        "replace": _edit("answer_set_trainable", (_FREEZE, "    if not encoder:\n        for p in model.encoder.parameters():\n"
                                                           "            p.requires_grad_(False)\n")),
        "fails": {"test_set_trainable_full"},
    },
    # -- sample_per_class ------------------------------------------------------------------------
    # Not stratified: k times the number of classes, drawn from all indices.
    "sample_not_stratified": {
        "replace": {"answer_sample_per_class": '''def sample_per_class(labels, k, *, rng):
    """A random sample of k examples per class on average."""
    n_classes = len(set(int(label) for label in labels))
    size = min(len(labels), k * n_classes)
    return sorted(rng.sample(range(len(labels)), size))
'''},
        "fails": {"test_sample_per_class_counts", "test_sample_per_class_random"},
    },
    # Draws from the global random module: not reproducible from rng.
    "sample_not_seeded": {
        "replace": _edit("answer_sample_per_class", (_DRAW, "        chosen += members if len(members) <= k else random.sample(members, k)\n")),
        "fails": {"test_sample_per_class_random"},
    },
    # The first k of each class: stratified and reproducible, but not random.
    "sample_first_k": {
        "replace": _edit("answer_sample_per_class", (_DRAW, "        chosen += members[:k]\n")),
        "fails": {"test_sample_per_class_random"},
    },
    # Indices counted from 1: every index is one too far (the first never drawn, one past the end).
    "indices_off_by_one": {
        "replace": _edit("answer_sample_per_class", ("    for index, label in enumerate(labels):\n",
                                                     "    for index, label in enumerate(labels, start=1):\n")),
        "fails": {"test_sample_per_class_counts", "test_sample_per_class_random"},
    },
    # -- make_optimizer --------------------------------------------------------------------------
    # The encoder's learning rate used for the head too.
    "encoder_lr_for_the_head": {
        "replace": _edit("answer_make_optimizer", ('        groups.append({"params": head_params, "lr": head_lr})\n',
                                                   '        groups.append({"params": head_params, "lr": encoder_lr})\n')),
        "fails": {"test_make_optimizer_groups"},
    },
    # One learning rate for everything (the head's).
    "one_learning_rate": {
        "replace": _edit("answer_make_optimizer", (_ENCODER_GROUP, '        groups.append({"params": encoder_params, "lr": head_lr})\n')),
        "fails": {"test_make_optimizer_groups"},
    },
    # Frozen parameters handed to the optimizer anyway.
    "frozen_parameters_in_the_optimizer": {
        "replace": _edit("answer_make_optimizer", (_ENCODER_PARAMS, "    encoder_params = list(model.encoder.parameters())\n")),
        "fails": {"test_make_optimizer_frozen"},
    },
    # -- fine_tune_step --------------------------------------------------------------------------
    # Gradients never zeroed: each step adds the earlier batches' gradients.
    "gradients_never_zeroed": {
        "replace": _edit("answer_fine_tune_step", ("    optimizer.zero_grad(set_to_none=True)\n", "")),
        "fails": {"test_fine_tune_step_update"},
    },
    # The model stays in whatever mode it was handed over in (eval: no dropout while training).
    "no_training_mode": {
        "replace": _edit("answer_fine_tune_step", ("    model.train()\n", "")),
        "fails": {"test_fine_tune_step_mode"},
    },
    # The summed loss instead of the mean: steps as large as the batch.
    "summed_loss": {
        "replace": _edit("answer_fine_tune_step", ('    loss = F.cross_entropy(logits, batch["labels"])\n',
                                                   '    loss = F.cross_entropy(logits, batch["labels"], reduction="sum")\n')),
        "fails": {"test_fine_tune_step_update"},
    },
    # -- accuracy --------------------------------------------------------------------------------
    # Dropout left on at evaluation: model.eval() forgotten.
    "accuracy_in_training_mode": {
        "replace": _edit("answer_accuracy", ("    model.eval()\n", "")),
        "fails": {"test_accuracy_mode"},
    },
    # A mean of per-batch accuracies: a short last batch weighs too much.
    "mean_of_batch_accuracies": {
        "replace": {"answer_accuracy": '''def accuracy(model, loader):
    """The mean of the batches' accuracies."""
    was_training = model.training
    model.eval()
    scores = []
    with torch.no_grad():
        for batch in loader:
            predicted = model(batch["input_ids"], batch["attention_mask"]).argmax(dim=-1)
            scores.append((predicted == batch["labels"]).float().mean().item())
    model.train(was_training)
    return sum(scores) / len(scores)
'''},
        "fails": {"test_accuracy_value"},
    },
    # The model is left in eval mode afterwards.
    "mode_not_restored": {
        "replace": _edit("answer_accuracy", ("        model.train(was_training)\n", "        pass\n")),
        "fails": {"test_accuracy_mode"},
    },
    # Labels compared off by one (a learner who thought classes count from 1).
    "labels_off_by_one": {
        "replace": _edit("answer_accuracy", (_CORRECT, "                correct += int((predicted + 1 == batch[\"labels\"]).sum())\n")),
        "fails": {"test_accuracy_value"},
    },
}

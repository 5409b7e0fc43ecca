"""Plausible wrong solutions of `ex5_scaling`, for the grading tests.

Each variant is the reference answer cell with one mistake, same names and signatures, built
from the reference in the source notebook by exact text edits (each edit must match exactly
once, so a changed reference fails loudly here instead of silently testing something else).
The grading tests submit every variant (with the reference's other answer cells) and check
that exactly the listed test cells lose their points.
"""
from functools import partial
from pathlib import Path

from autograder.nbtools import edited, solution_sources

_SOURCE = Path(__file__).resolve().parent.parent / "solutions" / "ex5_scaling" / "ex5_scaling.ipynb"
_REFERENCE = solution_sources(_SOURCE)


_edit = partial(edited, _REFERENCE)  # _edit(cell, (old, new), ...): the reference with one mistake


_PARAMS = {"test_count_parameters_total", "test_count_parameters_non_embedding"}
_MEMORY = {"test_training_memory_bytes_replicated", "test_training_memory_bytes_zero"}
_OPTIMAL = {"test_compute_optimal_budget", "test_compute_optimal_chapter"}

VARIANTS = {
    # --- count_parameters ---------------------------------------------------------------
    # The output layer counted as a matrix of its own: the tied matrix twice.
    "tied_output_layer_counted_twice": {
        "replace": _edit("answer_count_parameters",
                         ("non_embedding = L * (2 * layer_norm + attention + mlp) + layer_norm",
                          "non_embedding = L * (2 * layer_norm + attention + mlp) + layer_norm + V * d  # lm_head")),
        "fails": _PARAMS,
    },
    # The Linear layers' biases forgotten (the LayerNorms' kept).
    "biases_forgotten": {
        "replace": _edit("answer_count_parameters",
                         ("attention = (3 * d * d + b * 3 * d) + (d * d + b * d)", "attention = 3 * d * d + d * d"),
                         ("mlp = (4 * d * d + b * 4 * d) + (4 * d * d + b * d)", "mlp = 4 * d * d + 4 * d * d")),
        "fails": _PARAMS,
    },
    # No LayerNorm at all: only the matrices and their biases.
    "layer_norms_forgotten": {
        "replace": _edit("answer_count_parameters", ("layer_norm = d + b * d", "layer_norm = 0")),
        "fails": _PARAMS,
    },
    # The final LayerNorm ln_f forgotten.
    "final_layer_norm_forgotten": {
        "replace": _edit("answer_count_parameters", (") + layer_norm  # the blocks and ln_f", ")  # the blocks")),
        "fails": _PARAMS,
    },
    # bias=False ignored: biases counted in every configuration.
    "bias_flag_ignored": {
        "replace": _edit("answer_count_parameters", ("b = 1 if config.bias else 0", "b = 1")),
        "fails": _PARAMS,
    },
    # nanoGPT's non-embedding count: only the position embedding left out.
    "non_embedding_keeps_token_embedding": {
        "replace": _edit("answer_count_parameters", ("        return non_embedding\n",
                                                     "        return non_embedding + V * d\n")),
        "fails": {"test_count_parameters_non_embedding"},
    },
    # --- flops_per_token ---------------------------------------------------------------
    # 2N: the forward pass only.
    "forward_flops_only": {
        "replace": _edit("answer_flops_per_token", ("return 6 * matrix_weights + 12 * L * seq_len * d",
                                                    "return 2 * matrix_weights + 4 * L * seq_len * d")),
        "fails": {"test_flops_per_token_measured"},
    },
    # 6N and nothing for attention.
    "attention_term_left_out": {
        "replace": _edit("answer_flops_per_token", ("return 6 * matrix_weights + 12 * L * seq_len * d",
                                                    "return 6 * matrix_weights")),
        "fails": {"test_flops_per_token_measured"},
    },
    # Kaplan et al.'s N: the output layer is "embedding", so its matmul is left out.
    "output_layer_left_out": {
        "replace": _edit("answer_flops_per_token", ("matrix_weights = 12 * L * d * d + V * d",
                                                    "matrix_weights = 12 * L * d * d")),
        "fails": {"test_flops_per_token_measured"},
    },
    # Attention counted at the longest context instead of the sequence's length.
    "attention_at_block_size": {
        "replace": _edit("answer_flops_per_token", ("return 6 * matrix_weights + 12 * L * seq_len * d",
                                                    "return 6 * matrix_weights + 12 * L * config.block_size * d")),
        "fails": {"test_flops_per_token_measured"},
    },
    # 6N over every parameter, the embedding lookups included as if they were matmuls.
    "embedding_lookups_counted": {
        "replace": _edit("answer_flops_per_token", ("matrix_weights = 12 * L * d * d + V * d",
                                                    "matrix_weights = 12 * L * d * d + 2 * V * d + config.block_size * d")),
        "fails": {"test_flops_per_token_measured"},
    },
    # --- training_memory_bytes ---------------------------------------------------------
    # Adam's two moments counted as one state.
    "adam_one_state": {
        "replace": _edit("answer_training_memory_bytes", ('per_parameter = {"mixed": (2, 2, 12), "fp32": (4, 4, 8)}',
                                                          'per_parameter = {"mixed": (2, 2, 8), "fp32": (4, 4, 4)}')),
        "fails": _MEMORY,
    },
    # Mixed precision without the fp32 master copy of the weights.
    "no_master_weights": {
        "replace": _edit("answer_training_memory_bytes", ('per_parameter = {"mixed": (2, 2, 12), "fp32": (4, 4, 8)}',
                                                          'per_parameter = {"mixed": (2, 2, 8), "fp32": (4, 4, 8)}')),
        "fails": _MEMORY,
    },
    # ZeRO stage 1 shards the weights instead of the optimizer state.
    "zero1_divides_weights": {
        "replace": _edit("answer_training_memory_bytes",
                         ("    if zero_stage >= 1:\n        optimizer /= n_gpus\n",
                          "    if zero_stage >= 1:\n        weights /= n_gpus\n"),
                         ("    if zero_stage >= 3:\n        weights /= n_gpus\n",
                          "    if zero_stage >= 3:\n        optimizer /= n_gpus\n")),
        "fails": {"test_training_memory_bytes_zero"},
    },
    # ZeRO stage 2 forgets the gradients (stage 3 shards only state and weights).
    "zero2_keeps_gradients": {
        "replace": _edit("answer_training_memory_bytes", ("    if zero_stage >= 2:\n        gradients /= n_gpus\n", "")),
        "fails": {"test_training_memory_bytes_zero"},
    },
    # fp32 training with a master copy as well: 4 + 4 + 12 = 20 bytes.
    "fp32_with_master_copy": {
        "replace": _edit("answer_training_memory_bytes", ('per_parameter = {"mixed": (2, 2, 12), "fp32": (4, 4, 8)}',
                                                          'per_parameter = {"mixed": (2, 2, 12), "fp32": (4, 4, 12)}')),
        "fails": _MEMORY,
    },
    # --- fit_power_law -----------------------------------------------------------------
    # log L against log N: the law with E = 0.
    "fit_on_loss_not_loss_minus_E": {
        "replace": {"answer_fit_power_law": '''def fit_power_law(n, loss):
    """Fit L(N) = E + A * N**(-alpha) to measured losses, by least squares, with numpy only."""
    slope, intercept = np.polyfit(np.log(np.asarray(n, dtype=float)), np.log(np.asarray(loss, dtype=float)), 1)
    return 0.0, float(np.exp(intercept)), float(-slope)'''},
        # On the shipped ladder a pure power law (E = 0) misses the largest rung by more than 0.1.
        "fails": {"test_fit_power_law_synthetic", "test_fit_power_law_ladder"},
    },
    # alpha is the slope itself, not minus the slope.
    "alpha_wrong_sign": {
        "replace": _edit("answer_fit_power_law", ("A, alpha = np.exp(intercept), -slope", "A, alpha = np.exp(intercept), slope"),
                         ("E + A * n ** -alpha - loss", "E + A * n ** alpha - loss")),
        "fails": {"test_fit_power_law_synthetic", "test_fit_power_law_ladder"},
    },
    # The intercept returned as A, not exp(intercept).
    "log_A_returned": {
        "replace": _edit("answer_fit_power_law", ("    return float(best), float(A), float(alpha)",
                                                  "    return float(best), float(np.log(A)), float(alpha)")),
        "fails": {"test_fit_power_law_synthetic", "test_fit_power_law_ladder"},
    },
    # --- compute_optimal ---------------------------------------------------------------
    # The two answers swapped: the tokens' formula gives N.
    "n_and_d_swapped": {
        "replace": _edit("answer_compute_optimal", ("return float(n_opt), float(half / n_opt)",
                                                    "return float(half / n_opt), float(n_opt)")),
        "fails": _OPTIMAL,
    },
    # The exponents a and b swapped: N grows as C**(alpha / (alpha + beta)).
    "exponents_swapped": {
        "replace": _edit("answer_compute_optimal", ("n_opt = g * half ** (beta / (alpha + beta))",
                                                    "n_opt = g * half ** (alpha / (alpha + beta))")),
        "fails": _OPTIMAL,
    },
    # C = N D: the 6 forgotten when D is solved from the budget.
    "six_forgotten": {
        "replace": _edit("answer_compute_optimal", ("return float(n_opt), float(half / n_opt)",
                                                    "return float(n_opt), float(flops / n_opt)")),
        "fails": _OPTIMAL,
    },
    # G inverted: alpha A / (beta B) upside down.
    "g_inverted": {
        "replace": _edit("answer_compute_optimal", ("g = (alpha * A / (beta * B))", "g = (beta * B / (alpha * A))")),
        "fails": _OPTIMAL,
    },
    # N computed from the whole budget C instead of C / 6 (D then takes up the difference).
    "budget_not_divided_by_six_for_n": {
        "replace": _edit("answer_compute_optimal", ("n_opt = g * half ** (beta / (alpha + beta))",
                                                    "n_opt = g * flops ** (beta / (alpha + beta))")),
        "fails": _OPTIMAL,
    },
}

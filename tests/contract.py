"""The graded names of the exercise contract, as tests need them."""

ASSIGNMENTS = {
    "ex1_lm_dataset": ["make_ar_examples", "LanguageModelingDataset", "PackedLMDataset",
                       "ar_loss", "sequence_log_prob"],
    "ex2_masking": ["mask_tokens", "mlm_loss", "make_nsp_pairs", "build_pretraining_input"],
    "ex3_training_loop": ["get_device", "lr_at", "configure_optimizer", "evaluate",
                          "save_checkpoint", "load_checkpoint", "train"],
    "ex4_transfer": ["SentenceClassifier", "set_trainable", "sample_per_class", "make_optimizer",
                     "fine_tune_step", "accuracy"],
    "ex5_scaling": ["count_parameters", "flops_per_token", "training_memory_bytes", "fit_power_law", "compute_optimal"],
    "quiz": [],
}
GRADED_NAMES = [name for names in ASSIGNMENTS.values() for name in names]
IGNORE_INDEX = -100

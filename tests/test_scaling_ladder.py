"""Exercise 5's shipped scaling ladder (data/scaling/ladder.json), which the grader and the book
read instead of training: five rungs from about 50k to 2M parameters without embeddings, all on
the same token budget, and a law fitted with the reference `fit_power_law` on all rungs but the
largest predicts the largest within 0.1 nats. The ladder code itself runs in a smoke test."""
import math

import pytest
import torch
import torch.nn.functional as F

from autograder.reference import reference_namespace
from course_support import GPT, scaling_ladder
from course_support.lab import token_streams


@pytest.fixture(scope="module")
def ladder():
    return scaling_ladder.load_ladder()


def test_the_shipped_ladder_spans_50k_to_2M_parameters_on_one_token_budget(ladder):
    runs = ladder["runs"]
    n = [r["non_embedding_params"] for r in runs]
    assert 4 <= len(runs) <= 5 and n == sorted(n) and len(set(n)) == len(n)
    assert 40_000 <= n[0] <= 60_000 and 1_500_000 <= n[-1] <= 2_200_000, n
    assert {r["tokens"] for r in runs} == {ladder["tokens"]}, "every rung sees the same tokens"
    for r in runs:  # the recorded counts are the models' own
        model = GPT(scaling_ladder.rung_config((r["name"], r["n_layer"], r["n_head"], r["n_embd"]),
                                               r["vocab_size"], r["block_size"]))
        assert model.num_parameters() == r["non_embedding_params"]
        assert model.num_parameters(non_embedding=False) == r["params"]
    assert all(math.isfinite(r["val_loss"]) and r["seconds"] > 0 for r in runs)
    assert ladder["torch"] and ladder["machine"] and ladder["command"].startswith("python scripts/scaling_ladder.py")


def test_the_law_fitted_on_the_smaller_rungs_predicts_the_largest_within_a_tenth_of_a_nat(ladder):
    fit_power_law = reference_namespace("ex5_scaling", ["answer_fit_power_law"])["fit_power_law"]
    n = [r["non_embedding_params"] for r in ladder["runs"]]
    loss = [r["val_loss"] for r in ladder["runs"]]
    E, A, alpha = fit_power_law(n[:-1], loss[:-1])
    predicted = E + A * n[-1] ** -alpha
    assert alpha > 0 and 0 <= E < min(loss)
    assert abs(predicted - loss[-1]) < 0.1, f"predicted {predicted:.3f}, measured {loss[-1]:.3f}"


def test_the_rungs_match_the_library(ladder):
    """The shipped file was made by the library's rungs and budget (rerun the script after a change)."""
    shipped = [(r["name"], r["n_layer"], r["n_head"], r["n_embd"]) for r in ladder["runs"]]
    assert shipped == [tuple(r) for r in scaling_ladder.RUNGS]
    assert ladder["tokens"] == scaling_ladder.TOKENS // (scaling_ladder.BATCH_SIZE * scaling_ladder.BLOCK_SIZE) \
        * scaling_ladder.BATCH_SIZE * scaling_ladder.BLOCK_SIZE


@pytest.mark.slow
def test_a_smoke_ladder_trains_and_lowers_the_loss():
    def loss_fn(logits, targets):
        return F.cross_entropy(logits.flatten(0, 1), targets.flatten())

    rungs = (("a", 1, 1, 8), ("b", 1, 2, 16))
    result = scaling_ladder.run_ladder(loss_fn, rungs=rungs, tokens=4096, block_size=32, batch_size=8,
                                       eval_tokens=2048, progress=False, streams=token_streams("tiny"))
    runs = result["runs"]
    assert [r["name"] for r in runs] == ["a", "b"] and {r["tokens"] for r in runs} == {4096}
    assert all(r["val_loss"] < math.log(4096) for r in runs), "training must beat a uniform guess"
    assert runs[0]["non_embedding_params"] < runs[1]["non_embedding_params"]
    assert result["torch"] == torch.__version__ and result["seconds"] > 0


def test_the_shipped_fit_is_the_reference_fit_of_the_shipped_runs(ladder):
    """The book shows the fit stored in the file (it must run without the reference answers)."""
    fit_power_law = reference_namespace("ex5_scaling", ["answer_fit_power_law"])["fit_power_law"]
    n = [r["non_embedding_params"] for r in ladder["runs"]]
    loss = [r["val_loss"] for r in ladder["runs"]]
    shipped = ladder["fit"]
    assert shipped["fitted_on_rungs"] == len(n) - 1
    fitted = dict(zip(("E", "A", "alpha"), fit_power_law(n[:-1], loss[:-1])))
    stale = {k: (shipped[k], v) for k, v in fitted.items() if not math.isclose(shipped[k], v, rel_tol=1e-6)}
    assert not stale, f"data/scaling/ladder.json's fit is stale (shipped, now): {stale}; run `python scripts/scaling_ladder.py --refit`"

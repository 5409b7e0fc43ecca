"""The course GPT and BERT: shapes, the causal mask, both attention paths, padding, seeding."""
import pytest
import torch

from course_support import BERT, GPT, BERTConfig, GPTConfig

SMALL = dict(vocab_size=97, n_layer=2, n_head=4, n_embd=32)


def gpt(attention="sdpa", seed=0):
    return GPT(GPTConfig(block_size=24, attention=attention, **SMALL), seed=seed).eval()


def bert(attention="sdpa", seed=0):
    return BERT(BERTConfig(max_position=24, attention=attention, **SMALL), seed=seed).eval()


def ids(B=3, T=16, seed=1):
    return torch.randint(0, SMALL["vocab_size"], (B, T), generator=torch.Generator().manual_seed(seed))


def test_gpt_shapes():
    assert gpt()(ids()).shape == (3, 16, 97)
    with pytest.raises(ValueError, match="block_size"):
        gpt()(ids(T=25))


@pytest.mark.parametrize("attention", ["sdpa", "manual"])
def test_gpt_is_causal(attention):
    """Changing token j never changes the logits at positions before j."""
    model, x = gpt(attention), ids()
    with torch.no_grad():
        base = model(x)
        for j in range(x.shape[1]):
            changed = x.clone()
            changed[:, j] = (changed[:, j] + 1) % SMALL["vocab_size"]
            out = model(changed)
            assert torch.equal(out[:, :j], base[:, :j]), f"position < {j} saw the token at {j}"
            assert not torch.allclose(out[:, j], base[:, j]), "the changed position itself must change"


def test_gpt_attention_paths_agree():
    x = ids()
    with torch.no_grad():
        torch.testing.assert_close(gpt("manual")(x), gpt("sdpa")(x), rtol=1e-4, atol=1e-5)


def test_gpt_is_seeded_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    state = torch.get_rng_state()
    a, b, c = gpt(seed=0), gpt(seed=0), gpt(seed=1)
    assert torch.equal(torch.get_rng_state(), state), "building a model must not draw from the global generator"
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.wte.weight, c.wte.weight)


def test_gpt_ties_input_and_output_embeddings():
    model = gpt()
    assert model.lm_head.weight is model.wte.weight


def test_gpt_generate_extends_the_prompt_reproducibly():
    model, prompt = gpt(), ids(B=2, T=4)
    out1 = model.generate(prompt, 10, generator=torch.Generator().manual_seed(0))
    out2 = model.generate(prompt, 10, generator=torch.Generator().manual_seed(0))
    assert out1.shape == (2, 14) and torch.equal(out1[:, :4], prompt) and torch.equal(out1, out2)


def test_bert_shapes():
    mlm, nsp = bert()(ids(), torch.zeros(3, 16, dtype=torch.long), torch.ones(3, 16, dtype=torch.long))
    assert mlm.shape == (3, 16, 97) and nsp.shape == (3, 2)
    mlm2, nsp2 = bert()(ids())  # token types and mask are optional
    assert torch.equal(mlm, mlm2) and torch.equal(nsp, nsp2)


def test_bert_is_bidirectional():
    model, x = bert(), ids()
    changed = x.clone()
    changed[:, -1] = (changed[:, -1] + 1) % SMALL["vocab_size"]
    with torch.no_grad():
        assert not torch.allclose(model(x)[0][:, 0], model(changed)[0][:, 0]), \
            "the first position must see the last token"


@pytest.mark.parametrize("attention", ["sdpa", "manual"])
def test_bert_padding_masked_out_does_not_change_real_positions(attention):
    model, x = bert(attention), ids(B=2, T=16)
    mask = torch.ones(2, 16, dtype=torch.long)
    mask[:, 10:] = 0  # the last 6 positions are padding
    types = torch.zeros(2, 16, dtype=torch.long)
    other = x.clone()
    other[:, 10:] = torch.randint(0, 97, (2, 6), generator=torch.Generator().manual_seed(9))
    with torch.no_grad():
        mlm_a, nsp_a = model(x, types, mask)
        mlm_b, nsp_b = model(other, types, mask)
        mlm_unmasked, _ = model(other, types, None)
    torch.testing.assert_close(mlm_a[:, :10], mlm_b[:, :10], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(nsp_a, nsp_b, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(mlm_unmasked[:, :10], mlm_a[:, :10]), "without the mask, padding must matter"


def test_bert_attention_paths_agree():
    x, mask = ids(), torch.ones(3, 16, dtype=torch.long)
    mask[0, 12:] = 0
    types = torch.cat([torch.zeros(3, 8), torch.ones(3, 8)], 1).long()
    with torch.no_grad():
        for a, b in zip(bert("manual")(x, types, mask), bert("sdpa")(x, types, mask)):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_bert_segments_matter():
    x = ids()
    with torch.no_grad():
        a = bert()(x, torch.zeros(3, 16, dtype=torch.long))[1]
        b = bert()(x, torch.ones(3, 16, dtype=torch.long))[1]
    assert not torch.allclose(a, b)


def test_unknown_attention_kind_is_refused():
    with pytest.raises(ValueError, match="attention"):
        GPT(GPTConfig(attention="flash", **SMALL))


def test_gpt_learns_a_batch():
    """The model can be trained at all: a few steps on one batch lower its loss."""
    model = gpt().train()
    x = ids(B=4, T=16)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    losses = []
    for _ in range(20):
        logits = model(x[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 97), x[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] - 0.5, f"loss went {losses[0]:.2f} -> {losses[-1]:.2f}"

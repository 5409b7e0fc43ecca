"""The chapter on transfer: parameter counts that match the course encoder, the task's label
balance, the results files and the prose that quotes them, the link to exercise 4, citations and glossary."""
import json
import re

import pytest
from test_book import page, section, text_of
from test_book_reference_pages import article, term_ids

pytestmark = pytest.mark.slow

R, M = 8, 16  # the chapter's LoRA rank and adapter bottleneck


def expected_counts() -> dict[str, int]:
    """Trainable parameters per method, counted here from the shipped encoder's modules."""
    import torch.nn as nn

    from course_support.transfer import LABELS, load_pretrained_encoder

    encoder = load_pretrained_encoder()
    C, L = encoder.config.n_embd, encoder.config.n_layer
    head = C * len(LABELS) + len(LABELS)
    attn = encoder.blocks[0].attn
    d_in, d_out = attn.qkv.in_features, attn.qkv.out_features // 3  # W_q, W_k, W_v inside qkv
    assert (attn.proj.in_features, attn.proj.out_features) == (C, C)
    norms = sum(p.numel() for m in encoder.modules() if isinstance(m, nn.LayerNorm) for p in m.parameters())
    return {
        "full fine-tuning": sum(p.numel() for p in encoder.parameters()) + head,
        "linear probe": head,
        f"LoRA, r = {R}, query and value": L * 2 * R * (d_in + d_out) + head,
        f"LoRA, r = {R}, query, key, value, output": L * 4 * R * (d_in + d_out) + head,
        f"adapters, m = {M}": L * 2 * (2 * M * C + C + M) + norms + head,
    }


def test_transfer_chapter_is_built_with_objectives_and_summary(site):
    markup = page(site, "transfer")
    assert "Transfer: what pre-training is for" in text_of(markup)
    assert len(re.findall(r"<li>", section(markup, "learning-objectives"))) >= 3
    assert section(markup, "summary"), "no 'Summary' section"
    assert "equation-eq-transfer-lora" in markup, "LoRA's equation is missing"


def test_parameter_counts_match_the_course_encoder(site):
    words = text_of(page(site, "transfer"))
    expected = expected_counts()
    assert expected["linear probe"] == 258
    for method, count in expected.items():
        m = re.search(rf"{re.escape(method)}\s+([\d,]+)\s+([\d.]+)%", words)
        assert m, f"the parameter table has no row for {method!r}"
        assert int(m.group(1).replace(",", "")) == count, f"{method}: page {m.group(1)}, expected {count:,}"
        assert float(m.group(2)) == pytest.approx(100 * count / expected["full fine-tuning"], abs=0.006)
    figure = re.search(r'<figure[^>]*id="fig-transfer-parameters"(.*?)</figure>', page(site, "transfer"), re.S)
    assert figure and re.search(r'<img[^>]+src="[^"]+\.png"', figure.group(1)), "the parameter figure is missing"


def test_task_examples_and_label_balance_are_shown(site):
    from course_support.transfer import TASK_SPLITS, label_balance, speech_or_narration

    words = text_of(page(site, "transfer"))
    for split in TASK_SPLITS:
        balance = label_balance(speech_or_narration(split))
        row = f"{split}\\s+{sum(balance.values()):,}\\s+{balance['narration']:,}\\s+{balance['speech']:,}"
        assert re.search(row, words), f"the label balance of the {split} split is missing or wrong"
    shown = re.findall(r"\b(speech|narration)  \S", words)
    assert len(shown) == 4, f"expected 4 labelled examples, found {len(shown)}"


def test_results_files_are_shown_and_the_prose_quotes_them(site, root):
    words = " ".join(text_of(page(site, "transfer")).split())  # the prose wraps lines
    curve = json.loads((root / "data" / "transfer" / "learning_curve.json").read_text())
    for row in curve["rows"]:
        assert f"{row['accuracy']:.1%}" in words, f"the learning curve's {row} is not on the page"
    assert re.search(r'<img[^>]+src="[^"]+\.png"', section(page(site, "transfer"), "what-pre-training-buys-the-course-s-learning-curve")), \
        "the learning-curve figure is missing"
    accuracy = {(row["method"], row["k"]): row["accuracy"] for row in curve["rows"]}
    gap = round(100 * (accuracy["finetune", 32] - accuracy["scratch", 32]))
    assert f"at 32 per class full fine-tuning is still {gap} points ahead" in words
    assert f"reaches {round(100 * accuracy['probe', 8])}%, the same network from random weights {round(100 * accuracy['scratch', 8])}%" in words
    shots = json.loads((root / "data" / "transfer" / "few_shot.json").read_text())
    for row in shots["rows"]:
        assert f"{row['accuracy']:.1%}" in words, f"the few-shot result {row} is not on the page"
    assert f"it is right {round(100 * shots['rows'][-1]['accuracy'])}% of the time" in words


def test_chapter_links_exercise_4_and_objectives(site):
    body = article(page(site, "transfer"))
    assert 'href="../notebooks/ex4_transfer/ex4_transfer.html"' in body, "exercise 4 is not linked"
    assert "ex4_transfer" in text_of(body)
    assert 'href="objectives.html#objectives-choosing"' in body, "the chapter does not link the objectives' comparison"
    assert 'href="transfer.html"' in article(page(site, "intro")), "the introduction does not list chapter 8"


def test_citations_render(site):
    words = text_of(page(site, "transfer"))
    for author in ("Howard", "Devlin", "Houlsby", "Hu", "McCloskey", "Kirkpatrick", "Gururangan", "Brown", "Wei",
                   "Ouyang", "Raffel", "Alain"):
        assert author in words, f"{author} is not cited"
    assert "64.3%" in words and "71.2%" in words, "GPT-3's TriviaQA figures are missing"
    refs = text_of(page(site, "references")).lower()
    for title in ("parameter-efficient transfer learning for nlp", "lora: low-rank adaptation of large language models",
                  "catastrophic interference in connectionist networks", "overcoming catastrophic forgetting",
                  "understanding intermediate layers using linear classifier probes",
                  "universal language model fine-tuning", "don't stop pretraining",
                  "finetuned language models are zero-shot learners", "language models are few-shot learners"):
        assert title in refs, f"{title!r} is not on the references page"


def test_glossary_terms_resolve(site):
    body = article(page(site, "transfer"))
    linked = set(re.findall(r'href="glossary\.html#(term-[^"]+)"', body))
    ids = term_ids(site)
    assert not linked - ids, f"links to missing glossary entries: {sorted(linked - ids)}"
    linked = {target.lower() for target in linked}
    for term in ("term-linear-probe", "term-lora", "term-adapter", "term-parameter-efficient-fine-tuning",
                 "term-catastrophic-forgetting", "term-domain-adaptive-pre-training", "term-in-context-learning",
                 "term-instruction-tuning", "term-few-shot", "term-fine-tuning"):
        assert term in linked, f"the chapter does not link the glossary entry {term}"

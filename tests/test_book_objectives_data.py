"""Chapters 4 (other objectives) and 5 (data): the executed examples and the corrected figures."""
import math
import re

import pytest
from test_book import page, section, text_of

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", ["objectives", "data"])
def test_chapter_has_objectives_first_a_summary_and_collapsed_solutions(site, name):
    markup = page(site, name)
    objectives = section(markup, "learning-objectives")
    assert len(re.findall(r"<li>", objectives)) >= 3, f"{name}: fewer than three learning objectives"
    body = markup[markup.index('<article class="bd-article"'):]
    first_h2 = re.search(r"<h2>(.*?)</h2>", body, re.S)
    assert first_h2 and "Learning objectives" in text_of(first_h2.group(1))
    assert section(markup, "summary"), f"{name}: no 'Summary' section"
    exercises = re.findall(r'<div class="exercise admonition" id="([^"]+)"', markup)
    solutions = re.findall(r'<div class="solution dropdown admonition" id="([^"]+)"', markup)
    assert len(exercises) >= 3 and len(solutions) >= len(exercises)
    for href in ("glossary.html", "notation.html"):
        assert href in markup, f"{name}: no link to {href}"


def test_figures_are_generated_at_build_time(site):
    for name, figures in {"objectives": ["fig-span-lengths", "fig-prefix-lm-mask"],
                          "data": ["fig-data-mix", "fig-lsh-curve"]}.items():
        markup = page(site, name)
        for figure in figures:
            assert f'id="{figure}"' in markup, f"{name}: figure {figure} is missing"
        for src in re.findall(r'<img[^>]+src="([^"]+\.png)"', markup):
            assert (site / "book" / src).resolve().stat().st_size > 5000


# ---- chapter 4 -------------------------------------------------------------------------------

def test_span_corruption_example_shows_input_and_target_with_sentinels(site):
    words = text_of(page(site, "objectives"))
    shown = re.search(r"input:\s+(It is a truth universally[^\n]*)\s+target:\s+(<extra_id_0>[^\n]*)", words)
    assert shown, "the corrupted input and the target are not shown"
    inputs, target = shown.groups()
    spans = re.findall(r"<extra_id_(\d+)>", inputs)
    assert spans and spans == [str(i) for i in range(len(spans))], f"input sentinels {spans}"
    assert re.findall(r"<extra_id_(\d+)>", target) == [str(i) for i in range(len(spans) + 1)], \
        "the target must repeat each sentinel and end with one more"

    counts = re.search(r"(\d+) tokens, (\d+) dropped \((\d+)%\) in (\d+) spans", words)
    assert counts, "the corruption's counts are missing"
    n, dropped, percent, n_spans = map(int, counts.groups())
    assert n_spans == len(spans) and dropped == round(0.15 * n) and percent == 15
    assert re.search(rf"T5 span corruption\s+{n - dropped + n_spans} tokens\s+{dropped + n_spans + 1} target tokens",
                     words), "the input and target lengths do not follow n - d + s and d + s + 1"


def test_electra_example_labels_every_position(site):
    words = text_of(page(site, "objectives"))
    m = re.search(r"(\d+) positions, \d+ sampled, (\d+) replaced; the loss covers all (\d+)", words)
    assert m and m.group(1) == m.group(3) and int(m.group(2)) >= 1
    assert "replaced" in words and "original" in words


def test_objectives_chapter_covers_the_four_objectives_and_the_comparison(site):
    markup = page(site, "objectives")
    words = text_of(markup)
    for term in ("sentinel", "prefix language model", "generator", "discriminator", "R (regular)",
                 "S (sequential)", "X (extreme)", "mode token", "mean span length", "\\lambda = 50"):
        assert term in words, f"{term!r} is missing"
    choosing = text_of(section(markup, "when-to-choose-which"))
    for row in ("next-token (GPT)", "masked LM (BERT)", "span corruption (T5)", "prefix LM",
                "replaced-token detection (ELECTRA)", "mixture of denoisers (UL2)"):
        assert row in choosing, f"the comparison table lacks {row!r}"
    for equation in ("eq-span-corruption-loss", "eq-prefix-lm-loss", "eq-electra-loss"):
        assert f'id="equation-{equation}"' in markup


# ---- chapter 5 -------------------------------------------------------------------------------

def test_data_chapter_states_the_corrected_token_counts(site):
    words = text_of(page(site, "data"))
    assert "300 billion tokens" in words and "about 300B tokens" in words
    assert "1.0 trillion tokens" in words and "1.4 trillion tokens" in words
    assert "1.0T tokens" in words and "1.4T" in words
    note = re.search(r"The outline this course grew from says.*?1\.0T tokens", words, re.S)
    assert note and "500B" in note.group(0), "the note correcting the outline is missing"


def table_rows(markup: str) -> list[list[str]]:
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", markup, re.S):
        rows.append([text_of(c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)])
    return rows


def test_data_mix_tables_match_the_papers(site):
    rows = table_rows(page(site, "data"))
    gpt3 = [["Common Crawl (filtered)", "410 billion", "60%", "0.44"], ["WebText2", "19 billion", "22%", "2.9"],
            ["Books1", "12 billion", "8%", "1.9"], ["Books2", "55 billion", "8%", "0.43"],
            ["Wikipedia", "3 billion", "3%", "3.4"]]
    llama = [["CommonCrawl", "67.0%", "1.10", "3.3 TB"], ["C4", "15.0%", "1.06", "783 GB"],
             ["Github", "4.5%", "0.64", "328 GB"], ["Wikipedia", "4.5%", "2.45", "83 GB"],
             ["Books", "4.5%", "2.23", "85 GB"], ["ArXiv", "2.5%", "1.06", "92 GB"],
             ["StackExchange", "2.0%", "1.03", "78 GB"]]
    for expected in gpt3 + llama:
        assert expected in rows, f"the mix tables lack the row {expected}"
    recomputed = [r for r in rows if r and r[0] == "WebText2" and len(r) == 4 and r[1] == "66B"]
    assert recomputed and recomputed[0][2] == "3.47", "the recomputed GPT-3 epochs are missing"


def test_near_duplicate_example_numbers_are_consistent(site):
    rows = {r[0]: r for r in table_rows(page(site, "data")) if r and r[0].startswith("original, ")}
    near, unrelated = rows.get("original, edited copy"), rows.get("original, unrelated")
    assert near and unrelated, "the near-duplicate table is missing"
    a, b = map(int, near[1].split(" and "))
    shared, jaccard, estimate = int(near[2]), float(near[3]), float(near[4])
    assert 0 < shared < min(a, b)
    assert jaccard == pytest.approx(shared / (a + b - shared), abs=5e-4)
    assert 0.5 < jaccard < 0.9, "a lightly edited copy should be clearly similar"
    assert abs(estimate - jaccard) < 3 * math.sqrt(jaccard * (1 - jaccard) / 128)
    assert float(unrelated[3]) < 0.05 and float(unrelated[4]) < 0.1


def test_bpe_is_trained_live_and_its_merges_are_shown(site):
    words = text_of(page(site, "data"))
    assert re.search(r"trained in \d+\.\d+ s: 300 entries, 44 merges", words)
    merges = re.findall(r"^\s*\d+\. '[^']+' \+ '[^']+' -> '[^']+'$", words, re.M)
    assert len(merges) == 12, f"{len(merges)} merges shown"
    assert "'h' + 'e' -> 'he'" in words
    assert re.search(r"vocabulary 300:\s+\d+ tokens \['I'", words)
    assert "vocabulary 4096: 9 tokens ['It', ' is', ' a', ' truth'" in words


def test_tokens_per_character_fall_with_the_vocabulary(site):
    markup = page(site, "data")
    rows = [r for r in table_rows(markup) if len(r) == 3 and r[0] in {"512", "1024", "2048", "4096", "8192"}]
    assert [r[0] for r in rows] == ["512", "1024", "2048", "4096", "8192"]
    per_char = [float(r[2]) for r in rows]
    assert per_char == sorted(per_char, reverse=True) and len(set(per_char)) == 5
    assert per_char[3] == pytest.approx(0.281, abs=0.002), "the course tokenizer on Persuasion"
    words = text_of(markup)
    assert "The first 4096 entries are the course tokenizer: identical." in words
    assert re.search(r"course tokenizer gives 0\.26\d tokens per character", words)


def test_citations_resolve_to_the_references_page(site):
    refs = text_of(page(site, "references")).lower()
    for title in ["exploring the limits of transfer learning", "pre-training text encoders as discriminators",
                  "unifying language learning paradigms", "deduplicating training data makes language models better",
                  "on the resemblance and containment of documents", "extracting high quality monolingual datasets",
                  "documenting large webtext corpora", "open and efficient foundation language models"]:
        assert title in refs, f"{title!r} is not on the references page"
    cited = {"objectives": ["Exploring the limits of transfer learning", "ELECTRA", "UL2",
                            "Unified language model pre-training", "What language model architecture"],
             "data": ["Language models are few-shot learners", "LLaMA", "Deduplicating training data",
                      "On the resemblance and containment", "CCNet", "Documenting large webtext corpora"]}
    for name, titles in cited.items():
        links = re.findall(r'<a class="reference internal" href="references\.html#[^"]+" title="([^"]+)"',
                           page(site, name))
        for title in titles:
            assert any(title.lower() in link.lower() for link in links), \
                f"{name}: no citation links {title!r} to the references page"


def cited_titles(markup: str, phrase: str) -> list[str]:
    """Titles of the references cited in the paragraph or list item that contains `phrase`."""
    for block in re.findall(r"<(?:p|li)>(.*?)</(?:p|li)>", markup, re.S):
        if phrase in " ".join(text_of(block).split()):
            return re.findall(r'<a class="reference internal" href="references\.html#[^"]+" title="([^"]+)"', block)
    raise AssertionError(f"no paragraph contains {phrase!r}")


@pytest.mark.parametrize("name, phrase, titles", [
    ("data", "publishes snapshots of the web", ["Common Crawl", "Exploring the limits of transfer learning"]),
    ("data", "give long stretches of contiguous text", ["Improving Language Understanding by Generative Pre-Training",
                                                        "BERT"]),
    ("objectives", "a special token unique within the example", ["Exploring the limits of transfer learning",
                                                                  "T5: model documentation"]),
    ("autoregressive", "with plain teacher forcing", ["Language models are few-shot learners", "LLaMA"]),
    ("unlabeled", "fine-tuning is usually the strongest", ["Language models are few-shot learners"]),
])
def test_claims_are_sourced_where_they_are_made(site, name, phrase, titles):
    links = cited_titles(page(site, name), phrase)
    for title in titles:
        assert any(title.lower() in link.lower() for link in links), f"{name}: {phrase!r} does not cite {title!r}: {links}"


def test_opinions_are_not_stated_as_facts(site):
    words = " ".join(text_of(page(site, "unlabeled")).split())
    assert "Fine-tuning gives the best results" not in words
    assert "most cost-effective step" not in words

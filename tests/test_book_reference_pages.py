"""The reference pages: a glossary that the chapters link to, the notation, and a page for
instructors whose every command exists."""
import html
import re

import pytest

pytestmark = pytest.mark.slow

# The pages that link their key terms to the glossary with {term}.
LINKED_PAGES = ["intro", "unlabeled", "autoregressive", "masked"]
# Terms the glossary must define (lower case, as Sphinx matches them).
REQUIRED_TERMS = [
    "autoregressive", "causal mask", "teacher forcing", "perplexity", "cross-entropy", "nats",
    "masked language modelling", "80/10/10 rule", "next sentence prediction", "segment embedding",
    "[cls]", "packing", "padding", "bpe", "token", "vocabulary", "span corruption", "prefix lm",
    "replaced-token detection", "denoiser", "deduplication", "minhash", "quality filtering", "flops",
    "mfu", "mixed precision", "bf16", "loss scaling", "gradient accumulation", "gradient clipping",
    "warmup", "cosine schedule", "weight decay", "data parallelism", "zero", "fsdp",
    "tensor parallelism", "pipeline parallelism", "pipeline bubble", "scaling law", "compute-optimal",
    "chinchilla", "fine-tuning", "few-shot", "zero-shot", "domain adaptation", "instruction tuning",
    "checkpoint",
]
# Symbols the notation page must list in the first column of its tables (as MathJax source).
REQUIRED_SYMBOLS = ["x_i", "x_{<i}", "\\theta", "n", "V", "M", "x_{\\setminus M}", "N", "D", "C",
                    "\\mathcal{L}", "B", "T", "d", "h", "\\eta", "\\tau", "k"]


def page(site, name) -> str:
    return (site / "book" / f"{name}.html").read_text()


def article(markup: str) -> str:
    """The page's own content, without the navigation and the sidebars."""
    start = markup.index('<article class="bd-article"')
    return markup[start:markup.index("</article>", start)]


def text_of(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def glossary_entries(site) -> dict[str, str]:
    """term (lower case) -> the HTML of its definition. Terms that share a definition share it."""
    entries, pending = {}, []
    for kind, anchor, body in re.findall(r'<(dt|dd)(?: id="([^"]*)")?>(.*?)</\1>', page(site, "glossary"), re.S):
        if kind == "dt":
            pending.append(text_of(body).rstrip("#").strip().lower())
        else:
            entries.update({term: body for term in pending})
            pending = []
    return entries


def term_ids(site) -> set[str]:
    return set(re.findall(r'<dt id="(term-[^"]+)"', page(site, "glossary")))


def test_glossary_defines_the_course_terms(site):
    entries = glossary_entries(site)
    assert len(term_ids(site)) >= 40, f"the glossary defines {len(term_ids(site))} terms"
    missing = [t for t in REQUIRED_TERMS if t not in entries]
    assert not missing, f"the glossary lacks {missing}"


def test_every_definition_points_to_a_chapter(site):
    for term, definition in glossary_entries(site).items():
        targets = set(re.findall(r'<a class="reference internal" href="([^"#]+)\.html', definition))
        assert targets - {"glossary", "notation", "references"}, f"the definition of {term!r} links to no chapter"


def test_chapters_point_to_the_glossary_and_the_notation(site):
    for name in LINKED_PAGES:
        body = article(page(site, name))
        assert 'href="glossary.html"' in body, f"{name} does not link to the glossary page"
        assert 'href="notation.html"' in body, f"{name} does not link to the notation page"
        terms = set(re.findall(r'href="glossary\.html#(term-[^"]+)"', body))
        assert len(terms) >= 3, f"{name} links only {sorted(terms)} to glossary entries"


def test_every_term_link_resolves(site):
    ids = term_ids(site)
    for path in site.rglob("*.html"):
        for target in re.findall(r'href="(?:[\w./-]*/)?glossary\.html#(term-[^"]+)"', path.read_text()):
            assert target in ids, f"{path.relative_to(site)} links to a missing glossary entry {target}"


def test_notation_lists_the_symbols(site):
    cells = re.findall(r"<tr[^>]*>\s*<td[^>]*>(.*?)</td>", article(page(site, "notation")), re.S)
    listed = {symbol.strip() for cell in cells for symbol in re.findall(r"\\\((.*?)\\\)", text_of(cell))}
    listed |= {part.strip() for symbol in listed for part in symbol.split(",")}
    missing = [s for s in REQUIRED_SYMBOLS if s not in listed]
    assert not missing, f"the notation page does not list {missing}"
    for label in ("equation-eq-chain-rule", "equation-eq-mlm-loss"):
        assert f"#{label}" in page(site, "notation"), f"the notation page does not refer to {label}"


# ---- the page for instructors -------------------------------------------------------------

def code_snippets(site) -> list[str]:
    """The text of every inline code span and code block of the instructors' page."""
    body = article(page(site, "instructors"))
    spans = re.findall(r"<code[^>]*>(.*?)</code>", body, re.S) + re.findall(r"<pre[^>]*>(.*?)</pre>", body, re.S)
    return [text_of(s) for s in spans]


def test_instructors_page_names_the_real_commands(site):
    code = "\n".join(code_snippets(site))
    for command in ("make release", "make grade ASSIGNMENT=", "python -m autograder.grade",
                    "python -m autograder.release", "nbgrader collect", "nbgrader zip_collect",
                    "nbgrader release_assignment", "grades.csv", "learners.csv", "feedback/"):
        assert command in code, f"the instructors' page does not show {command!r}"
    words = text_of(article(page(site, "instructors")))
    for topic in ("solutions/", "notebooks/", "autograder/", "course_support/", "data/", "book/",
                  "private copy", "tests/ex1_variants.py", "autograder/quiz_release.py"):
        assert topic in words, f"the instructors' page does not mention {topic!r}"


def test_every_command_on_the_instructors_page_exists(site, root):
    from nbgrader.apps.nbgraderapp import NbGraderApp

    code = "\n".join(code_snippets(site))
    targets = set(re.findall(r"^([A-Za-z][\w-]*):", (root / "Makefile").read_text(), re.M))
    for target in re.findall(r"\bmake ([a-z][\w-]*)", code):
        assert target in targets, f"`make {target}` is not a target of the Makefile"
    for module, options in re.findall(r"python -m autograder\.(\w+)([^\n#]*)", code):
        source = root / "autograder" / f"{module}.py"
        assert source.exists(), f"`python -m autograder.{module}`: there is no autograder/{module}.py"
        for option in re.findall(r"(--[a-z][\w-]*)", options):
            assert f'"{option}"' in source.read_text(), f"autograder/{module}.py has no option {option}"
    for sub in re.findall(r"\bnbgrader ([a-z_]+)", code):
        assert sub in NbGraderApp.subcommands, f"`nbgrader {sub}` is not an nbgrader command"
    sources = "".join(p.read_text() for p in (root / "autograder").glob("*.py"))
    for option in (s for s in code_snippets(site) if re.fullmatch(r"--[a-z][\w-]*", s)):
        assert f'"{option}"' in sources or option == "--force", f"no command of autograder/ has {option}"


def test_instructors_page_documents_the_grading_outputs_as_written(site, root):
    from autograder.flags import GRADE_COLUMNS, LEARNER_COLUMNS

    code = set(code_snippets(site))
    for column in GRADE_COLUMNS + LEARNER_COLUMNS:
        assert column in code, f"the column {column} of the grading output is not documented"
    flags_table = re.search(r"<th[^>]*>\s*(?:<p>)?flag(?:</p>)?\s*</th>.*?</table>", page(site, "instructors"), re.S)
    assert flags_table, "the table of learners.csv flags is missing"
    documented = re.findall(r"<td[^>]*>\s*(?:<p>)?<code[^>]*><span[^>]*>(\w+)</span></code>", flags_table.group(0))
    assert len(documented) >= 6, f"the flags table lists only {documented}"
    sources = "".join(p.read_text() for p in (root / "autograder").glob("*.py"))
    unknown = [flag for flag in documented if f'"{flag}"' not in sources]
    assert not unknown, f"the page documents flags that the grading code never writes: {unknown}"

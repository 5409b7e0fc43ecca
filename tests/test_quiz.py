"""The graded quiz, driven through the real grading command: the key scores full marks, the
blank release zero, a learner who always picks the same letter at most 35%, a deleted answer
cell costs only its question, forgiving spellings count and invalid answers score 0 with a
message. Feedback teaches (why a right answer is right; what a wrong choice misses and what to
reread) and never names the key of a question answered wrong.

The key is read from the hidden test cells of the source notebook (each calls
`_grading_quiz("q01", key="C", ...)`), never written here. Every learner below is graded in
ONE call of the grading command."""
import ast
import csv
import re
import textwrap
from collections import Counter

import nbformat
import pytest
from autograder.nbtools import MARKER, filled, grade_id, marked_lines, solution_sources
from hostile_submissions import QUIZ_ATTACKS
from leaks import run_grading

pytestmark = pytest.mark.slow
ASSIGNMENT = "quiz"
LETTERS = ("A", "B", "C", "D")
CHAPTERS = {  # the book's chapters, and the sections that exist already
    "Learning from unlabeled data": set(),
    "Autoregressive language modelling": {"The chain rule", "Worked example", "The causal mask", "Perplexity",
                                          "From texts to batches: padding or packing"},
    "Masked language modelling and next sentence prediction": set(),
    "Beyond the two objectives": set(),
    "Data": set(),
    "Compute, memory and distributed training": set(),
    "Scaling laws": set(),
    "Transfer: what pre-training is for": {"What pre-training buys: the course's learning curve",
                                           "Fine-tuning, probing and parameter-efficient methods",
                                           "Zero-shot and few-shot: transfer without training"},
}
DELETED = "q07"  # the answer cell the learner "deleted" removes
# Spellings that must count as the letter (applied to the key), and answers that must score 0.
FORGIVEN = [str.lower, lambda k: f" {k} ", lambda k: f"{k})", lambda k: f"{k.lower()}.", lambda k: f"  {k.lower()}) "]
INVALID = ['"E"', '"AB"', '"the first one"', "42", "None"]
STANDALONE_LETTER = re.compile(r"(?<![A-Za-z])[A-D](?![A-Za-z])")


@pytest.fixture(scope="module")
def paths(root):
    return {"source": root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
            "release": root / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"}


def hidden_region(source: str) -> str:
    lines, inside = [], False
    for line in source.splitlines():
        m = MARKER.match(line)
        if m and m.group(2) == "HIDDEN TESTS":
            inside = m.group(1) == "BEGIN"
        elif inside:
            lines.append(line)
    return "\n".join(lines)


@pytest.fixture(scope="module")
def questions(paths):
    """question name ("q01") -> the literal arguments of its hidden grading call
    (key, why, misses, chapter, section), in notebook order."""
    found = {}
    for cell in nbformat.read(paths["source"], as_version=4).cells:
        gid = grade_id(cell) or ""
        if not gid.startswith("test_q"):
            continue
        calls = [node for node in ast.walk(ast.parse(textwrap.dedent(hidden_region(cell.source))))
                 if isinstance(node, ast.Call) and any(k.arg == "key" for k in node.keywords)]
        assert len(calls) == 1, f"{gid}: expected one hidden grading call with key=..., found {len(calls)}"
        call = calls[0]
        args = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        assert ast.literal_eval(call.args[0]) == gid[len("test_"):], f"{gid} grades another question"
        found[gid[len("test_"):]] = args
    return found


@pytest.fixture(scope="module")
def key(questions):
    return {name: q["key"] for name, q in questions.items()}


def answers(letters: dict) -> dict:
    """answer cell grade_id -> what the learner typed, from question -> Python expression."""
    return {f"answer_{name}": f"{name} = {value}" for name, value in letters.items()}


@pytest.fixture(scope="module")
def learners(key):
    """learner -> (question -> the Python expression typed into its answer cell)."""
    names = sorted(key)
    table = {"key": {q: f'"{key[q]}"' for q in names}, "blank": {}}
    for letter in LETTERS:
        table[f"all_{letter}"] = {q: f'"{letter}"' for q in names}
    table["deleted"] = dict(table["key"])
    messy = {}
    for i, q in enumerate(names):
        if i < len(INVALID):
            messy[q] = INVALID[i]
        else:
            messy[q] = repr(FORGIVEN[i % len(FORGIVEN)](key[q]))
    table["messy"] = messy
    return table


@pytest.fixture(scope="module")
def graded(root, paths, learners, tmp_path_factory):
    submitted, out = tmp_path_factory.mktemp("submitted"), tmp_path_factory.mktemp("reports") / "quiz"
    for student, typed in learners.items():
        nb = filled(paths["release"], answers(typed))
        if student == "deleted":
            nb.cells = [c for c in nb.cells if grade_id(c) != f"answer_{DELETED}"]
        target = submitted / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)
    for name, attack in QUIZ_ATTACKS.items():  # every answer "A", and a hook that would read the key
        nb = filled(paths["release"], answers(learners["all_A"]))
        first = next(i for i, c in enumerate(nb.cells) if (grade_id(c) or "").startswith("answer_"))
        nb.cells.insert(first + 1, nbformat.v4.new_code_cell(attack["code"]))
        target = submitted / f"attack_{name}" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)
    result = run_grading([ASSIGNMENT, "--submitted", str(submitted), "--out", str(out)])
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def scores(out) -> dict:
    """student -> {question: score}"""
    table = {}
    with (out / "grades.csv").open() as f:
        for r in csv.DictReader(f):
            assert r["grade_id"].startswith("test_q") and float(r["max_score"]) == 1
            table.setdefault(r["student_id"], {})[r["grade_id"][len("test_"):]] = float(r["score"])
    return table


def feedback_lines(out, student) -> dict:
    """question -> (the line of its test cell, the '  > ' lines printed under it)"""
    lines = (out / "feedback" / student / f"{ASSIGNMENT}.md").read_text().splitlines()
    found = {}
    for i, line in enumerate(lines):
        m = re.match(r"- (passed|FAILED) `test_(q\d+)`", line)
        if m:
            said = []
            for nxt in lines[i + 1:]:
                if not nxt.startswith("  > "):
                    break
                said.append(nxt[4:])
            found[m.group(2)] = (line, said)
    return found


# --- the notebook itself -----------------------------------------------------------------

def test_quiz_has_20_to_30_questions_of_four_options(paths, questions):
    assert 20 <= len(questions) <= 30, f"{len(questions)} questions"
    assert sorted(questions) == [f"q{i:02d}" for i in range(1, len(questions) + 1)]
    cells = nbformat.read(paths["release"], as_version=4).cells
    stems = [c.source for c in cells if c.cell_type == "markdown" and c.source.startswith("### Question")]
    assert len(stems) == len(questions)
    for stem in stems:
        options = re.findall(r"^- \*\*([A-D])\)\*\* \S", stem, re.M)
        assert options == list(LETTERS), f"{stem.splitlines()[0]}: options {options}"


def test_key_is_balanced(key):
    counts = Counter(key.values())
    assert set(counts) <= set(LETTERS)
    too_many = {letter: n for letter, n in counts.items() if n > 0.35 * len(key)}
    assert not too_many, f"letters that answer more than 35% of the questions: {too_many} of {len(key)}"


def test_source_solution_agrees_with_the_hidden_key(paths, key):
    solutions = solution_sources(paths["source"])
    for name, letter in key.items():
        assert solutions[f"answer_{name}"].splitlines()[-1] == f'{name} = "{letter}"'


def test_every_wrong_option_has_feedback_and_a_book_section(questions):
    for name, q in questions.items():
        assert set(q["misses"]) == set(LETTERS) - {q["key"]}, f"{name}: feedback for {sorted(q['misses'])}"
        assert len(q["why"]) >= 60, f"{name}: the explanation of the right answer is too short"
        assert q["chapter"] in CHAPTERS, f"{name}: unknown chapter {q['chapter']!r}"
        if q.get("section"):
            assert q["section"] in CHAPTERS[q["chapter"]], f"{name}: unknown section {q['section']!r}"
        for letter, text in q["misses"].items():
            assert len(text) >= 40, f"{name} {letter}: say what the option misses"
            assert not STANDALONE_LETTER.search(text), (
                f"{name} {letter}: the feedback of a wrong answer must name no option letter: {text!r}")


def test_release_answer_cells_hold_only_the_empty_answer(paths, key):
    cells = {grade_id(c): c.source for c in nbformat.read(paths["release"], as_version=4).cells if grade_id(c)}
    for name in key:
        assert cells[f"answer_{name}"] == f'{name} = ""  # your answer: "A", "B", "C" or "D"', (
            f"answer_{name} in the release reads {cells[f'answer_{name}']!r} (is nbgrader's code stub back?)")
        assert cells[f"test_{name}"].strip() == (
            f'def _grading_test():\n    _comparisons.check()\n    check_answer("{name}")\n\n\n_grading_test()')


def test_key_is_absent_from_the_release(paths, key):
    text = paths["release"].read_text()
    assert "key=" not in text and "_grading_quiz" not in text and "HIDDEN TESTS" not in text
    leaks = [line for line in marked_lines(paths["source"], "HIDDEN TESTS", min_len=20) if line in text]
    assert not leaks, f"the release shows hidden test lines: {leaks[:3]}"
    for name, letter in key.items():
        assert f'{name} = "{letter}"' not in text and f"{name} = '{letter}'" not in text


def test_check_helper_forgives_what_the_grader_forgives(paths):
    setup = next(c.source for c in nbformat.read(paths["release"], as_version=4).cells if grade_id(c) == "setup")
    namespace = {}
    exec(setup, namespace)
    read_answer = namespace["read_answer"]
    for typed in ["a", " A ", "A)", "a.", " a) ", "A"]:
        assert read_answer(typed) == ("A", None), typed
    for typed in ["E", "AB", "the first one", 42, None, "", "  ", "(A)", "A))"]:
        letter, problem = read_answer(typed)
        assert letter is None and problem, typed


def test_released_notebook_runs_unanswered_without_error(paths, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    nb = nbformat.read(paths["release"], as_version=4)
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [grade_id(c) for c in nb.cells if any(o.output_type == "error" for o in c.get("outputs", []))]
    assert not errors, f"cells that raised: {errors}"
    # A cell's printed text may arrive in several stream messages; read each cell's stdout whole.
    hints = {grade_id(c): "".join(o.get("text", "") for o in c.outputs if o.get("name") == "stdout")
             for c in nb.cells if (grade_id(c) or "").startswith("test_q")}
    silent = [g for g, text in hints.items() if "not answered yet" not in text]
    assert hints and not silent, f"no 'not answered yet' hint from {silent}: {[hints[g] for g in silent]}"


# --- graded through the grading command ----------------------------------------------------

def test_every_learner_is_graded_on_every_question(graded, learners, key):
    table = {student: cells for student, cells in scores(graded).items() if not student.startswith("attack_")}
    assert set(table) == set(learners)
    assert all(set(cells) == set(key) for cells in table.values())
    with (graded / "learners.csv").open() as f:
        flags = {r["student_id"]: r["flags"] for r in csv.DictReader(f) if not r["student_id"].startswith("attack_")}
    assert not any(flags.values()), f"unexpected flags: {flags}"


def test_key_scores_full_marks(graded):
    lost = [q for q, s in scores(graded)["key"].items() if s != 1]
    assert not lost, f"the key loses {lost}"


def test_blank_scores_zero_with_a_clear_message(graded):
    assert sum(scores(graded)["blank"].values()) == 0
    for name, (line, _) in feedback_lines(graded, "blank").items():
        assert "AssertionError" in line and "is not answered" in line, line


@pytest.mark.parametrize("letter", LETTERS)
def test_one_letter_everywhere_scores_at_most_35_percent(graded, key, letter):
    table = scores(graded)[f"all_{letter}"]
    assert sum(table.values()) <= 0.35 * len(key)
    assert {q for q, s in table.items() if s == 1} == {q for q, k in key.items() if k == letter}


def test_deleted_answer_cell_costs_only_its_question(graded, key):
    table = scores(graded)["deleted"]
    assert {q for q, s in table.items() if s == 0} == {DELETED}
    line, _ = feedback_lines(graded, "deleted")[DELETED]
    assert f"{DELETED} is not defined" in line and "AssertionError" in line, line


def test_forgiving_spellings_count_and_invalid_answers_score_zero_with_a_message(graded, learners):
    table, feedback = scores(graded)["messy"], feedback_lines(graded, "messy")
    invalid = sorted(table)[:len(INVALID)]
    assert {q for q, s in table.items() if s == 0} == set(invalid), learners["messy"]
    messages = {q: feedback[q][0] for q in invalid}
    for q, line in messages.items():
        assert "AssertionError: question" in line, f"{q} ({learners['messy'][q]}): {line}"
    for q in invalid[:4]:  # "E", "AB", a sentence, a number: say what a valid answer is
        assert '"A", "B", "C" or "D"' in messages[q], messages[q]
    assert "is not answered" in messages[invalid[4]]  # None counts as unanswered
    text = (graded / "feedback" / "messy" / f"{ASSIGNMENT}.md").read_text()
    assert "answer cell" not in text, "an answer cell raised"


def test_right_answers_say_why(graded, questions):
    feedback = feedback_lines(graded, "key")
    for name, q in questions.items():
        line, said = feedback[name]
        assert line.startswith("- passed") and said == [f"right: {q['why']}"], (line, said)


def test_wrong_answers_say_what_they_miss_and_what_to_reread_without_the_key(graded, questions):
    checked = 0
    for letter in LETTERS:
        for name, (line, said) in feedback_lines(graded, f"all_{letter}").items():
            q = questions[name]
            if q["key"] == letter:
                continue
            checked += 1
            assert line.startswith("- FAILED") and not said, line
            assert q["misses"][letter] in line, f"{name} answered {letter}: {line}"
            assert re.search(r'Reread (the section "[^"]+" of )?the chapter "[^"]+"\.', line), line
            assert f'"{q["chapter"]}"' in line
            named = set(STANDALONE_LETTER.findall(line.split("AssertionError:", 1)[1]))
            assert named <= {letter}, f"{name}: the feedback of a wrong answer names {named - {letter}}: {line}"
    assert checked == 3 * len(questions)


def test_feedback_never_shows_a_hidden_test_line(graded, paths):
    hidden = marked_lines(paths["source"], "HIDDEN TESTS", min_len=20)
    for feedback in (graded / "feedback").rglob("*.md"):
        text = feedback.read_text()
        leaks = [line for line in hidden if line in text]
        assert not leaks, f"{feedback.parent.name}'s feedback shows hidden test lines: {leaks[:3]}"


@pytest.mark.parametrize("name", sorted(QUIZ_ATTACKS))
def test_a_hook_that_reads_the_key_scores_nothing_and_is_flagged(graded, name, key):
    with (graded / "learners.csv").open() as f:
        row = next(r for r in csv.DictReader(f) if r["student_id"] == f"attack_{name}")
    flags = set(row["flags"].split(";"))
    assert QUIZ_ATTACKS[name]["flags"] <= flags, f"{name}: flags {sorted(flags)}"
    honest_all_a = sum(1 for q in key if key[q] == "A")
    assert float(row["score"]) <= honest_all_a, f"{name} scored {row['score']}, more than answering A everywhere"

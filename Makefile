# Two commands on a fresh machine (only Python 3.11 and make needed):
#   make book   set up .venv/, regenerate notebooks/ from solutions/ (and book/notebooks/, the
#               chapters with widgets as notebooks), build the book into _build/html/
#   make test   set up .venv/ and run the whole test suite (what CI runs)
# Also: make test-fast (the inner loop, under 5 minutes), make release, make clean,
#   make grade ASSIGNMENT=... (grade every submission in autograder/submitted/),
#   make regrade (every assignment with submissions, e.g. after fixing a test),
#   make learner-bundle (dist/: the notebooks, library and data for learners, no solutions),
#   make wheel (dist/: the course library with its data, installable with pip).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
# nbgrader runs `alembic` and jupyter-book runs kernels: both must come from the venv.
export PATH := $(BIN):$(PATH)

.PHONY: venv system-packages release book test test-fast wheel grade regrade learner-bundle clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@# The instructors' tooling (autograder/) is no part of the learners' library: the course
	@# environment finds it, from any folder, through the checkout put on its path.
	echo "$(CURDIR)" > "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/course-checkout.pth"
	@touch $@

release: $(STAMP)
	$(BIN)/python -m autograder.release
	$(BIN)/python -m autograder.chapter_notebooks

book: release
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going
	@echo "book: $(CURDIR)/_build/html/index.html"

# bubblewrap and chromium: installed when run as root, otherwise named in one sentence.
system-packages:
	@bash scripts/system_packages.sh

# The release is not regenerated here: a test checks that the committed notebooks/ is fresh.
test: system-packages $(STAMP)
	$(BIN)/python -m pytest --durations=15

test-fast: system-packages $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

# The learners' library with its data as a wheel in dist/ (what `pip install` of the repository builds).
wheel: $(STAMP)
	rm -rf build
	$(BIN)/python -m pip wheel --quiet --no-deps --no-build-isolation -w dist .
	rm -rf build
	@ls -l dist/course_support-*.whl

# make grade ASSIGNMENT=ex1_lm_dataset [SUBMITTED=dir] [OUT=dir]
grade: $(STAMP)
	@test -n "$(ASSIGNMENT)" || (echo "usage: make grade ASSIGNMENT=<name> [SUBMITTED=dir] [OUT=dir]"; exit 2)
	$(BIN)/python -m autograder.grade $(ASSIGNMENT) $(if $(SUBMITTED),--submitted $(SUBMITTED)) $(if $(OUT),--out $(OUT))

# Every assignment that has submissions, into autograder/reports/<assignment>/ (after a test fix).
regrade: $(STAMP)
	$(BIN)/python -m autograder.grade --all

# The learners' zip (released notebooks, library, data; no solutions/, no autograder/) in dist/.
learner-bundle: $(STAMP)
	$(BIN)/python scripts/learner_bundle.py

clean:
	rm -rf _build .pytest_cache

# make book: create .venv, install, build the HTML book into _build/html
# make test: create .venv, install, build the book, run every test (package, checks, release gate,
#            notebooks with nbval, autograde round trip, book in a headless browser)
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: venv book book-instructor test release clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-build-isolation --no-deps -e .
	touch $(STAMP)

# DLCOURSE_BOOK=1: experiments that fall back to the reference print no note (a reader has no exercises to
# revisit); the log keeps each notebook's execution time, which tests/test_notebooks.py checks.
book: venv
	mkdir -p _build
	DLCOURSE_BOOK=1 $(BIN)/jupyter-book build . --all --builder html -W -n --keep-going 2>&1 | tee _build/book.log

# The instructor edition: solutions/ notebooks, solutions folded into toggles (not the default book).
book-instructor: venv
	$(BIN)/python -m dlcourse instructor-source
	$(BIN)/jupyter-book build _build/instructor_src --path-output _build/instructor --all --builder html -W -n --keep-going

# Both cores (pytest-xdist); nbval executes the source notebooks (claim cells included), each on one worker.
test: book
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=25 tests --nbval-lax --nbval-current-env solutions

release: venv
	$(BIN)/python -m dlcourse release

clean:
	rm -rf _build

# The grading benchmark (about 40 min on 2 cores, not part of make test): grading speed per chapter
# with 1 and 2 jobs, the hostile submissions and the mistake libraries through nbgrader. Writes the
# tables the instructor guide includes (_static/grading/).
.PHONY: grading-benchmark
grading-benchmark: venv
	$(BIN)/python benchmarks/grading.py


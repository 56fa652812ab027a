# make venv: create .venv and install what the notebooks need (all a student needs)
# make book: create .venv, install, build the HTML book into _build/html, with the course download
# make test: create .venv, install, build the book, run every test (package, checks, release gate,
#            notebooks with nbval, autograde round trip, book in a headless browser)
# make test-download: build the course download, install it into a fresh venv outside the repository and
#            run every chapter there (a few minutes: it installs torch; .ci/run runs it beside make test)
# make hub-test: the course on JupyterHub (deploy/), end to end (installs the proxy with npm first)
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: venv book book-instructor test test-download release clean

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
	DLCOURSE_BOOK=1 $(BIN)/jupyter-book build _build/instructor_src --path-output _build/instructor --all --builder html -W -n --keep-going

# Both cores (pytest-xdist); nbval executes the source notebooks (claim cells included), each on one worker.
test: book
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=25 tests -m "not download" --nbval-lax --nbval-current-env solutions

test-download: venv
	$(BIN)/python -m pytest -m download tests/test_course_download.py

release: venv
	$(BIN)/python -m dlcourse release

clean:
	rm -rf _build

# The grading benchmark (well over an hour on 2 cores, not part of make test): grading speed per chapter
# with 1 and 2 jobs, the hostile submissions and the mistake libraries through nbgrader. Writes the
# tables the instructor guide includes (_static/grading/).
.PHONY: grading-benchmark
grading-benchmark: venv
	$(BIN)/python benchmarks/grading.py

# JupyterHub's proxy (npm's configurable-http-proxy, pinned in deploy/package.json) in deploy/node_modules.
HUB_PROXY := deploy/node_modules/.bin/configurable-http-proxy
.PHONY: hub-deps hub-test
hub-deps: $(HUB_PROXY)

$(HUB_PROXY): deploy/package.json
	cd deploy && npm install --no-package-lock --no-audit --no-fund --loglevel=error
	touch $(HUB_PROXY)

# The course on JupyterHub with an instructor and two students, driven through the REST APIs
# (tests/test_hub.py; about 1-2 min). `make test` skips it unless the proxy is installed.
hub-test: venv hub-deps
	DLCOURSE_REQUIRE_HUB=1 $(BIN)/python -m pytest tests/test_hub.py --durations=5


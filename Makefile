# The two set-up commands are `make book` and `make test`; each creates .venv when missing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
CH     ?= 01
P      ?=
B      ?= foundation
PARAMS ?=

.PHONY: book test test-fast lint chapter bench browser setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

# jupyter-cache re-executes a chapter only when its own cells change; the stamp also
# discards executed chapters (and Sphinx's read pages) when the helpers or dependencies change.
CODE_STAMP := _build/.code-$(shell cat helpers/*.py pyproject.toml | cksum | cut -d' ' -f1)

# Strict build: a failing cell, a warning or a broken reference fails it. Each chapter records
# its timings in _build/timings/ for the instructor page.
# With a parameter file, make book PARAMS=params/paper.yaml checks every name and value first,
# then builds a copy of the book with them under _build/params-paper/ (its own stamp).
book: $(STAMP)
ifeq ($(PARAMS),)
	@test -f $(CODE_STAMP) || rm -rf _build/.jupyter_cache _build/.doctrees _build/timings _build/.code-*
	LOSS_LANDSCAPE_TIMINGS=$(CURDIR)/_build/timings $(VENV)/bin/jupyter-book build -W -n --keep-going .
	@touch $(CODE_STAMP)
	@echo "site: _build/html/index.html"
else
	$(PY) -m helpers build-book $(PARAMS)
endif

test: $(STAMP) browser lint
	$(PY) -m pytest

# The edit loop: unit tests and doctests, no chapter executions, no browser (CI runs `make test`).
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow and not browser"

lint: $(STAMP)
	$(VENV)/bin/ruff check helpers tests benchmarks conftest.py book/solutions

# Re-run one chapter with new parameters: make chapter CH=01 P="-p epochs 60 -p train_size 600"
chapter: $(STAMP)
	$(PY) -m helpers run-chapter $(CH) $(P)

# Timings: make bench B=foundation (or evaluate, sampling, embedding, topology, sweep, lr)
bench: $(STAMP)
	$(PY) benchmarks/bench_$(B).py

# Headless Chromium for the test that opens the built site (Debian packages).
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; \
	elif sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "warning: chromium and chromium-driver are missing and cannot be installed without root; the browser test will be skipped"; fi

clean:
	rm -rf _build

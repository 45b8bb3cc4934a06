# attn-course tasks.
#   make lab    set everything up (first time) and open the course in JupyterLab
#   make test   set everything up (first time) and run every test, notebooks included
# Both create .venv if it is missing. Windows users: see README ("Without make").
# CPU=1 (Linux or WSL without an NVIDIA GPU): the set-up takes torch from PyTorch's CPU
# wheel index, about 1.4 GB in all instead of about 5.5 GB with the CUDA build that PyPI
# gives on Linux. Everything else is the same. The venv remembers it (.venv/.cpu-route),
# so later runs keep the CPU build; to change route, delete .venv.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# jupyter refuses to run as root without this flag; never add it for other users.
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
# make lab opens the student's own copy once `make workcopy` has made it.
LAB_DIR ?= $(if $(wildcard my-notebooks),my-notebooks,notebooks)
# The torch line of requirements.txt (one pin for every route) and PyTorch's CPU index.
TORCH := $(shell grep -oE '^torch==[0-9][0-9A-Za-z.+]*' requirements.txt)
TORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu
CPU ?= $(if $(wildcard $(VENV)/.cpu-route),1)

.PHONY: setup setup-dev lab test lint execute times resolve-check site slides workcopy sync bench zh

setup: $(VENV)/.setup-done
setup-dev: $(VENV)/.dev-done

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.setup-done: $(BIN)/python requirements.txt pyproject.toml jupyter/overrides.json
ifeq ($(CPU),1)
	$(BIN)/python -m pip install $(TORCH) --index-url $(TORCH_CPU_INDEX)
	touch $(VENV)/.cpu-route
endif
	$(BIN)/python -m pip install -r requirements.txt -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name attn-course --display-name "Python (attn-course)"
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp jupyter/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $@

$(VENV)/.dev-done: $(VENV)/.setup-done requirements-dev.txt
	$(BIN)/python -m pip install -r requirements-dev.txt
	$(BIN)/python -m pip install --no-deps d2l==1.0.3
	touch $@

lab: setup
	$(BIN)/jupyter lab --ServerApp.root_dir=$(LAB_DIR) --ServerApp.ip=127.0.0.1 $(ROOT_FLAG)

test: setup-dev lint
	$(BIN)/python -m pytest

# ruff's lint rules and its formatter (pyproject.toml; `ruff format .` fixes the format).
lint: setup-dev
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .

# Re-execute every notebook in place (after changing a lesson) and print their times.
execute: setup
	$(BIN)/python tools/execute_notebooks.py notebooks/*.ipynb notebooks/solutions/*.ipynb

# The Chinese edition (locale/zh_CN, notebooks/zh): bring the translation catalogues up
# to the English text (a changed cell's translation turns fuzzy), compile the checks'
# messages, and write and run the Chinese notebooks. On a clean clone it changes no file.
zh: setup-dev
	$(BIN)/python tools/i18n.py update
	$(BIN)/python tools/i18n.py build --execute

# Time every notebook without saving it.
times: setup
	$(BIN)/python tools/execute_notebooks.py --no-write notebooks/*.ipynb

# Check that the requirements resolve on the other supported Pythons (a dry run:
# nothing is installed). Needs python3.10, python3.12 and python3.13 on PATH.
resolve-check:
	for v in 3.10 3.12 3.13; do \
		python$$v -m pip install --dry-run --ignore-installed --quiet -r requirements-dev.txt . || exit 1; \
		echo "Python $$v: resolves"; \
	done

# The course as a static HTML site in build/site/ (stored outputs, no network), and its
# Chinese edition in build/site/zh/ (once make zh has written notebooks/zh).
site: setup-dev
	$(BIN)/python -m sphinx -W --keep-going -b html -c docs . build/site
	if [ -d notebooks/zh ]; then $(BIN)/python -m sphinx -W --keep-going -b html -c docs/zh . build/site/zh; fi

# reveal.js slides of every lesson and solution in build/slides/ (work offline), and the
# Chinese decks in build/slides/zh/ (once make zh has written notebooks/zh).
slides: setup-dev
	$(BIN)/python tools/export_slides.py
	if [ -d notebooks/zh ]; then $(BIN)/python tools/export_slides.py --language zh_CN; fi

# Your own copy of the lessons in my-notebooks/ (never overwrites anything).
# RESET=03 puts a fresh copy of lesson 03 there and keeps yours beside it.
workcopy: setup
	$(BIN)/python tools/workcopy.py $(if $(RESET),--reset $(RESET))

# Export the lessons' `#@save MODULE` cells into attn_course/MODULE.py (the lessons are
# the one source of the taught code; tests/test_sync.py fails when the two differ).
sync: setup-dev
	$(BIN)/python tools/sync.py

# Forward-pass speed of the taught multi-head attention against PyTorch's and the bare
# maths (prints a table; asserts nothing). glibc would otherwise hand each freed 16 MB
# score matrix back to the system and fault it in again on the next call, a cost that
# swings from run to run; these two settings keep freed memory for reuse (glibc only).
bench: setup
	MALLOC_MMAP_THRESHOLD_=67108864 MALLOC_TRIM_THRESHOLD_=134217728 \
		$(BIN)/python benchmarks/bench_attention.py

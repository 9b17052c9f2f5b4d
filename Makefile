# The Makefile is the contract: `make help` lists what a newcomer and CI run.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install run demo demo-tokens test test-sqlite lint format bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with its dev tools

demo: install ## load the shipped data and compute the 2025 (adopted) and 2026 allocations
	$(BIN)/populatie load
	$(BIN)/populatie allocate --year 2025 --adopt
	$(BIN)/populatie allocate --year 2026

demo-tokens: demo ## print fresh API tokens, one per role and partnership (embedded demo database only)
	-$(BIN)/populatie tokens demo

run: demo-tokens ## the main job on the embedded default (SQLite + geodata/), demo tokens, then serve
	$(BIN)/populatie serve --host $(HOST) --port $(PORT)

test: install ## the whole test suite, on SQLite and on PostgreSQL where one answers
	$(BIN)/python -m pytest

lint: install ## ruff lint + format check, mypy strict on src/
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

format: install ## apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: install ## benchmarks, each beside the engine's own limit measured in the same run
	$(BIN)/python -m bench

clean: ## remove the virtual environment and the working database
	rm -rf $(VENV) var

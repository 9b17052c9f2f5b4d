# The Makefile is the contract: `make help` lists what a newcomer and CI run.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install browser run demo demo-tokens test test-sqlite fuzz lint format bench mutation clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with its dev tools

# The page tests drive Debian's chromium through Playwright (never Playwright's own downloads).
CHROMIUM := /usr/bin/chromium
browser: ## Debian's chromium for the page tests: installed with apt-get when missing, as root
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's chromium for the page tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation >/dev/null; \
	else \
		echo "$(CHROMIUM) is missing and this is not root: the page tests will be skipped"; \
	fi

demo: install ## load the shipped data, allocate 2025 (adopted) and 2026, import and reconcile demo spending, import illustrative KPI figures
	$(BIN)/populatie load
	$(BIN)/populatie allocate --year 2025 --adopt
	$(BIN)/populatie allocate --year 2026
	$(BIN)/populatie demo-spending --year 2025 --rows 20000 --seed 2025 --with-contracts --out var/demo-spending-2025.csv
	$(BIN)/populatie import-spending var/demo-spending-2025.csv
	$(BIN)/populatie demo-kpis --year 2025 --seed 2025 --out var/demo-kpis-2025.csv
	$(BIN)/populatie reconcile --year 2025

demo-tokens: demo ## print fresh API tokens, one per role and partnership (embedded demo database only)
	-$(BIN)/populatie tokens demo --url http://$(HOST):$(PORT)

run: demo-tokens ## the main job on the embedded default (SQLite + geodata/), demo tokens, then serve
	$(BIN)/populatie serve --host $(HOST) --port $(PORT)

test: install browser ## the whole test suite, on SQLite and on PostgreSQL where one answers; pages in chromium
	$(BIN)/python -m pytest

FUZZ_EXAMPLES ?= 200
fuzz: install ## schemathesis, every check, FUZZ_EXAMPLES (200) fresh requests per operation, on SQLite and PostgreSQL
	POPULATIE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/integration/test_api_schema.py

lint: install ## ruff lint + format check, mypy strict on src/
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

format: install ## apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: install ## benchmarks, each beside the engine's own limit measured in the same run
	$(BIN)/python -m bench

# One worker: the machines are small and shared. Verdicts are kept in mutants/ (git-ignored), so
# a second run only tests what changed; `rm -rf mutants` starts afresh.
mutation: install ## mutation testing of money, damping, the spending parser and access; prints the score
	@$(BIN)/python -c "import mutmut" 2>/dev/null || $(BIN)/python -m pip install --quiet 'mutmut>=3.8,<4'
	@mkdir -p var
	$(BIN)/mutmut run --max-children 1 >var/mutation.log 2>&1 || { tail -40 var/mutation.log; exit 1; }
	$(BIN)/python tests/mutation_score.py --min 90

clean: ## remove the virtual environment and the working database
	rm -rf $(VENV) var

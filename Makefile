# gameservices — `make help` lists the targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { \
	  echo "python venv is missing; installing python3-venv with apt"; \
	  apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed ## Install the service into the virtualenv
install-dev: $(VENV)/.installed-dev ## Install the service and the development tools

serve: $(VENV)/.installed ## Start the API on http://127.0.0.1:8000 (SQLite ./gameservices.db)
	$(BIN)/gameservices serve --host 127.0.0.1 --port 8000

lint: $(VENV)/.installed-dev ## ruff check, ruff format --check, mypy --strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint ## Run the linters and the whole test suite (PostgreSQL too when GAMESERVICES_TEST_POSTGRES_URL is set)
	$(BIN)/pytest -n auto $(PYTEST_ARGS)

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev,bench]'
	@touch $@ $(VENV)/.installed $(VENV)/.installed-dev

bench: $(VENV)/.installed-bench ## Run the benchmark suite (prints a table, writes bench/results/latest.md; never part of test)
	$(BIN)/python bench/run.py $(WORKLOADS)

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

.PHONY: help install install-dev serve lint test bench clean

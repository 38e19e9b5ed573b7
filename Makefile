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

# Front-end assets, vendored from npm into the package (the service, CI and users never need npm or a CDN).
HTMX_VERSION ?= 4.0.1
SWAGGER_UI_VERSION ?= 5.35.0
AXE_CORE_VERSION ?= 4.14.1
VENDOR_DIR := src/gameservices/console/static/vendor
AXE_DIR := tests/browser/vendor

vendor: ## Refresh the vendored front-end assets (htmx, Swagger UI, axe-core) from npm and their checksums
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && cd "$$tmp" && \
	  npm pack --silent htmx.org@$(HTMX_VERSION) swagger-ui-dist@$(SWAGGER_UI_VERSION) axe-core@$(AXE_CORE_VERSION) >/dev/null && \
	  for tarball in *.tgz; do mkdir "$${tarball%.tgz}" && tar xzf "$$tarball" -C "$${tarball%.tgz}"; done && \
	  cd "$(CURDIR)" && mkdir -p $(VENDOR_DIR) $(AXE_DIR) && \
	  cp "$$tmp/htmx.org-$(HTMX_VERSION)/package/dist/htmx.min.js" $(VENDOR_DIR)/htmx.min.js && \
	  cp "$$tmp/htmx.org-$(HTMX_VERSION)/package/dist/ext/hx-sse.min.js" $(VENDOR_DIR)/hx-sse.min.js && \
	  cp "$$tmp/htmx.org-$(HTMX_VERSION)/package/LICENSE" $(VENDOR_DIR)/htmx.LICENSE && \
	  cp "$$tmp/swagger-ui-dist-$(SWAGGER_UI_VERSION)/package/swagger-ui-bundle.js" $(VENDOR_DIR)/swagger-ui-bundle.js && \
	  cp "$$tmp/swagger-ui-dist-$(SWAGGER_UI_VERSION)/package/swagger-ui.css" $(VENDOR_DIR)/swagger-ui.css && \
	  cp "$$tmp/swagger-ui-dist-$(SWAGGER_UI_VERSION)/package/LICENSE" $(VENDOR_DIR)/swagger-ui.LICENSE && \
	  cp "$$tmp/axe-core-$(AXE_CORE_VERSION)/package/axe.min.js" $(AXE_DIR)/axe.min.js && \
	  cp "$$tmp/axe-core-$(AXE_CORE_VERSION)/package/LICENSE" $(AXE_DIR)/axe-core.LICENSE && \
	  printf 'htmx.org %s\nswagger-ui-dist %s\n' $(HTMX_VERSION) $(SWAGGER_UI_VERSION) > $(VENDOR_DIR)/VERSIONS && \
	  printf 'axe-core %s\n' $(AXE_CORE_VERSION) > $(AXE_DIR)/VERSIONS && \
	  (cd $(VENDOR_DIR) && sha256sum $$(ls | grep -v checksums.sha256) > checksums.sha256) && \
	  (cd $(AXE_DIR) && sha256sum $$(ls | grep -v checksums.sha256) > checksums.sha256)
	@echo "vendored htmx $(HTMX_VERSION), swagger-ui-dist $(SWAGGER_UI_VERSION), axe-core $(AXE_CORE_VERSION)"

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

.PHONY: help install install-dev serve lint test bench vendor clean

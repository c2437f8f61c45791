# ARGO — every command creates the virtual environment and installs first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help install stack-env demo test test-fast lint wheel-smoke stack-up stack-down dev bench clean

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) stack-env ## Create .venv, install ARGO with its dev tools and the stack's env

# The local BigQuery emulator runs from its own venv (.venv/argo-stack-env): its grpcio
# pin would cap langgraph-api here. `argo stack install` is quick when it is up to date.
stack-env: $(STAMP)
	$(BIN)/argo stack install

demo: $(STAMP) stack-env ## Run ARGO's main job: a sample goal, end to end, on the local stack
	$(BIN)/argo demo

test: $(STAMP) stack-env ## Run the whole test suite (starts its own servers on free ports)
	$(BIN)/python -m pytest

test-fast: $(STAMP) ## Unit tests only (no servers)
	$(BIN)/python -m pytest tests/unit

lint: $(STAMP) ## ruff (lint, format, complexity), function length, mypy on the package
	$(BIN)/ruff check argo_agents graphs tests bench scripts examples
	$(BIN)/ruff format --check argo_agents graphs tests bench scripts examples
	$(BIN)/python scripts/function_length.py argo_agents graphs bench
	$(BIN)/mypy argo_agents

wheel-smoke: $(STAMP) ## Build the wheel, install it outside the checkout, run the LLM smoke test and the stack
	scripts/wheel_smoke.sh

stack-up: $(STAMP) stack-env ## Start the embedded local stack
	$(BIN)/argo stack up

stack-down: $(STAMP) ## Stop the embedded local stack
	$(BIN)/argo stack down

dev: $(STAMP) stack-env ## Serve langgraph.json with `langgraph dev` (Studio)
	$(BIN)/langgraph dev --no-browser

bench: $(STAMP) stack-env ## Store and sync throughput benchmarks
	$(BIN)/python bench/store_throughput.py -n 20000
	$(BIN)/python bench/sync_throughput.py 20000

clean: ## Stop the stack and remove .argo/ (keeps .venv)
	-$(BIN)/argo stack down
	rm -rf .argo

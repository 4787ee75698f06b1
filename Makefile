# One command each: `make run` sets everything up and starts the ledger on SQLite;
# `make test` sets everything up and runs the tests. Both work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
EXAMPLE := examples/dandong-2025.jsonl

.PHONY: install generate test lint run story clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(INSTALLED)

# Code generated from protos/ arrives with the gRPC service; nothing is generated yet.
generate: install

test: generate
	$(BIN)/pytest

lint: generate
	$(BIN)/ruff check ledger clients tests
	$(BIN)/ruff format --check ledger clients tests
	$(BIN)/mypy

# Until the gRPC service exists, `run` loads the example ledger into the SQLite default
# (re-importing stores nothing new) and answers the seed story's questions.
run: generate
	$(BIN)/ledger import $(EXAMPLE)
	@$(MAKE) --no-print-directory story

story:
	@echo "A worker's rice cooker at Dandong, before, during and after the early-March ban:"
	$(BIN)/ledger check --office CN-DANDONG --at 2025-02-20 --direction outbound --channel personal-baggage --traveller worker --item 8516.60:1 --item 8516.60:3
	$(BIN)/ledger check --office CN-DANDONG --at 2025-03-05 --direction outbound --channel personal-baggage --traveller worker --item 8516.60:1
	$(BIN)/ledger check --office CN-DANDONG --at 2025-03-20 --direction outbound --channel personal-baggage --traveller worker --item 8516.60:1
	@echo "The same 2025-03-20 question, as the sources had reported it by 2025-03-15:"
	$(BIN)/ledger check --office CN-DANDONG --at 2025-03-20 --known-at 2025-03-15 --basis reported --direction outbound --channel personal-baggage --traveller worker --item 8516.60:1
	@echo "Which route for a trader's electronics by road on 2025-04-28:"
	$(BIN)/ledger compare --office CN-DANDONG --office CN-HUNCHUN --office CN-CHANGBAI --at 2025-04-28 --direction outbound --channel cargo-road --traveller trader --item electronics

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis

# One command each: `make run` sets everything up and starts the ledger server on SQLite;
# `make test` sets everything up and runs every test. Both work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# Node tools (buf for proto lint, @grpc/grpc-js for the interoperability test), from npm.
TOOLS := .tools
PROTO := protos/ledger/v1/ledger.proto
# The generated stubs are shipped in the client distribution, at the proto's own path under the
# ledger_api package (clients/python/ledger_api/ledger/v1), so that installing needs no code
# generator; `make generate` remakes them after a change to the proto, and `make lint` checks
# that they match it.
STUBS := clients/python/ledger_api
PROTOL := $(TOOLS)/protol/bin/protol
NODE_INSTALLED := $(TOOLS)/node_modules/.installed
EXAMPLE := examples/dandong-2025.jsonl
# Where `make run` serves: LISTEN=HOST:PORT, else LEDGER_LISTEN, else the default; and its HTTP
# port (the web console and the API over Connect): WEB=HOST:PORT, else LEDGER_WEB_LISTEN.
LISTEN ?= $(or $(LEDGER_LISTEN),127.0.0.1:50051)
WEB ?= $(or $(LEDGER_WEB_LISTEN),127.0.0.1:8080)

.PHONY: install generate node console test test-long lint run story picture bench bench-quick clean

$(INSTALLED): pyproject.toml clients/python/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(INSTALLED)

# protoletariat rewrites the generated `from ledger.v1 import ...` into a relative import (the
# stubs live in ledger_api.ledger.v1, and `ledger` is the server's package). It needs
# protobuf<6, so it lives in a virtualenv of its own.
$(PROTOL):
	$(PYTHON) -m venv $(TOOLS)/protol
	$(TOOLS)/protol/bin/pip install --quiet protoletariat==3.3.10

# Generates the stubs under OUT (default: where they are shipped), as OUT/ledger/v1/*, and the
# Connect stubs (the HTTP face, ledger serve --web) as CONNECT/ledger_connect.py: only the server
# uses those, so they live in it, importing the messages from ledger_api.
OUT ?= $(STUBS)
CONNECT ?= ledger/server/web
generate: $(INSTALLED) $(PROTOL)
	mkdir -p $(OUT)/ledger/v1
	$(BIN)/python -m grpc_tools.protoc -Iprotos --python_out=$(OUT) --grpc_python_out=$(OUT) \
		--pyi_out=$(OUT) --include_imports --descriptor_set_out=$(OUT)/ledger.fds $(PROTO)
	$(PROTOL) --in-place --python-out $(OUT) --exclude-google-imports raw $(OUT)/ledger.fds
	rm $(OUT)/ledger.fds
	rm -rf $(TOOLS)/connect-gen && mkdir -p $(TOOLS)/connect-gen $(CONNECT)
	$(BIN)/python -m grpc_tools.protoc -Iprotos \
		--plugin=protoc-gen-connectrpc=$(BIN)/protoc-gen-connectrpc \
		--connectrpc_out=protobuf=google:$(TOOLS)/connect-gen $(PROTO)
	sed 's/^from \.ledger_pb2 import/from ledger_api.ledger.v1.ledger_pb2 import/' \
		$(TOOLS)/connect-gen/ledger/v1/ledger_connect.py > $(CONNECT)/ledger_connect.py

$(NODE_INSTALLED): tests/interop/package.json
	mkdir -p $(TOOLS)
	cp tests/interop/package.json $(TOOLS)/package.json
	cd $(TOOLS) && npm install --no-audit --no-fund --silent
	touch $@

node: $(NODE_INSTALLED)

# The web console (console/): TypeScript types generated from the proto (protoc-gen-es, driven by
# buf) and the page bundled by esbuild into static files the server serves at / (--web).
CONSOLE := ledger/server/web/console
CONSOLE_BUILT := $(CONSOLE)/index.html
$(CONSOLE_BUILT): $(NODE_INSTALLED) $(PROTO) console/build.sh console/package.json \
		console/package-lock.json console/tsconfig.json console/buf.gen.yaml \
		console/index.html console/style.css $(wildcard console/src/*.ts)
	BUF=$(CURDIR)/$(TOOLS)/node_modules/.bin/buf console/build.sh $(CONSOLE)

console: $(CONSOLE_BUILT)

# Two runs: most tests on two workers (pytest-xdist: each test waits on servers and processes
# of its own, so two at once fill the two cores), the hardening tier's fuzzing among them; then,
# one at a time, the tests marked `alone` (they measure latencies, race writers, kill servers
# or restart PostgreSQL: another test beside them would change what they measure) and the
# packaging tier (it builds virtualenvs).
test: $(INSTALLED) node console
	LEDGER_NODE_MODULES=$(CURDIR)/$(TOOLS)/node_modules $(BIN)/pytest -n 2 \
		-m "not alone and not packaging"
	LEDGER_NODE_MODULES=$(CURDIR)/$(TOOLS)/node_modules $(BIN)/pytest -m "alone or packaging"

# The hardening tier at full length (about 10 minutes): 10,000 fuzz cases, 20 kill rounds per
# backend, longer races and a 60 s load per backend; figures are printed and kept in
# var/hardening/. `make test` runs the same tests at CI length.
test-long: $(INSTALLED) node
	LEDGER_NODE_MODULES=$(CURDIR)/$(TOOLS)/node_modules LEDGER_LONG=1 $(BIN)/pytest tests/hardening -s

# Style, types, the import contracts between layers (pyproject.toml, [tool.importlinter]), the
# proto's lint, its compatibility with every version of it ever committed (so with the last
# landed one: a change that breaks existing clients is refused), and shipped stubs that match it.
lint: $(INSTALLED) node $(PROTOL)
	$(BIN)/ruff check ledger clients tests benchmarks
	$(BIN)/ruff format --check ledger clients tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	cd protos && ../$(TOOLS)/node_modules/.bin/buf lint
	@if [ "$$(git rev-parse --is-shallow-repository)" = true ]; then \
		git fetch --quiet --unshallow || { echo "buf breaking needs the history of protos/: \
		this clone is shallow and could not be deepened (git fetch --unshallow)" >&2; exit 1; }; fi
	@depth=$$(git rev-list --count HEAD); for commit in $$(git log --format=%H -- protos/); do \
		echo "buf breaking against protos/ at $$commit"; \
		$(TOOLS)/node_modules/.bin/buf breaking protos \
			--against ".git#ref=$$commit,depth=$$depth,subdir=protos" || exit 1; \
	done
	rm -rf $(TOOLS)/stubs-check && $(MAKE) --no-print-directory generate OUT=$(TOOLS)/stubs-check \
		CONNECT=$(TOOLS)/stubs-check
	diff -r -x __init__.py -x __pycache__ -x py.typed -x '*.py[co]' -x ledger_connect.py \
		$(TOOLS)/stubs-check/ledger $(STUBS)/ledger \
		|| { echo "the shipped stubs differ from the proto: run make generate" >&2; exit 1; }
	diff $(TOOLS)/stubs-check/ledger_connect.py ledger/server/web/ledger_connect.py \
		|| { echo "the Connect stubs differ from the proto: run make generate" >&2; exit 1; }

# The benchmark suite (benchmarks/): every figure against a baseline measured in the same run.
# `bench` writes BENCHMARKS.md (synthetic ledgers up to 1M events, cached under var/bench/);
# `bench-quick` uses small ledgers and writes var/bench/BENCHMARKS-quick.md (CI runs it).
# PostgreSQL figures need LEDGER_BENCH_POSTGRES_URL (or LEDGER_TEST_POSTGRES_URL).
bench: $(INSTALLED)
	$(BIN)/python -m benchmarks --out BENCHMARKS.md

bench-quick: $(INSTALLED)
	$(BIN)/python -m benchmarks --quick --out var/bench/BENCHMARKS-quick.md

# Starts the server on the SQLite default (var/ledger.sqlite); the example ledger is loaded on
# the first start only, when the ledger is empty. Ctrl-C stops it.
run: $(INSTALLED) console
	@echo "Starting the ledger on $(LISTEN), and its web console on http://$(WEB)/ (open it in a browser)."
	@echo "In another terminal, try:"
	$(if $(filter-out 127.0.0.1:50051,$(LISTEN)),@echo "  export LEDGER_SERVER=$(LISTEN)")
	@echo "  $(BIN)/ledger offices"
	@echo "  $(BIN)/ledger check --office CN-DANDONG --at 2025-03-20 --direction outbound --channel personal-baggage --traveller worker --item 8516.60:1"
	@echo "  $(BIN)/ledger compare --office CN-DANDONG --office CN-HUNCHUN --office CN-CHANGBAI --at 2025-04-28 --direction outbound --channel cargo-road --traveller trader --item electronics"
	@echo "  make story   (the whole seed story)"
	$(BIN)/ledger serve --listen $(LISTEN) --web $(WEB) --example $(EXAMPLE)

# The seed story's questions, asked of a running server (`make run` in another terminal).
story:
	@echo "A worker's rice cooker at Dandong, before, during and after the early-March ban:"
	$(BIN)/ledger check --office CN-DANDONG --at 2025-02-20 --direction outbound --channel personal-baggage --traveller worker --item 8516.60:1 --item 8516.60:3
	$(BIN)/ledger check --office CN-DANDONG --at 2025-03-05 --direction outbound --channel personal-baggage --traveller worker --item 8516.60:1
	$(BIN)/ledger check --office CN-DANDONG --at 2025-03-20 --direction outbound --channel personal-baggage --traveller worker --item 8516.60:1
	@echo "The same 2025-03-20 question, as the sources had reported it by 2025-03-15:"
	$(BIN)/ledger check --office CN-DANDONG --at 2025-03-20 --known-at 2025-03-15 --basis reported --direction outbound --channel personal-baggage --traveller worker --item 8516.60:1
	@echo "Which route for a trader's electronics by road on 2025-04-28:"
	$(BIN)/ledger compare --office CN-DANDONG --office CN-HUNCHUN --office CN-CHANGBAI --at 2025-04-28 --direction outbound --channel cargo-road --traveller trader --item electronics

# The README's picture of the example ledger (checked in: a new user sees it without running
# anything); remade here after a change to the example or to the drawing.
picture: $(INSTALLED)
	$(BIN)/python examples/draw_timeline.py docs/example-timeline.svg

clean:
	rm -rf $(VENV) $(TOOLS) var .pytest_cache .mypy_cache .ruff_cache .hypothesis .import_linter_cache

# The front door. `make demo` and `make test` do all of their own set-up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
SEED   ?= 7
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: demo test lint format bench serve clean chromium migration

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEVSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP) $@

demo: $(STAMP)  ## set up, load the demo organization and serve the dashboard
	$(BIN)/missionos demo --seed $(SEED) --no-serve
	$(BIN)/missionos serve --host $(HOST) --port $(PORT)

serve: $(STAMP)
	$(BIN)/missionos serve --host $(HOST) --port $(PORT)

chromium:  ## Debian's chromium for the browser tests (never a downloaded browser)
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: $(DEVSTAMP)  ## ruff (lint and format check) and mypy on src/
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src

format: $(DEVSTAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

test: $(DEVSTAMP) chromium lint  ## everything CI runs
	$(BIN)/pytest -n 2 --dist loadgroup

bench: $(DEVSTAMP)  ## the benchmarks in benchmarks/, with their figures
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m benchmarks $(BENCH)

migration: $(DEVSTAMP)  ## make migration CONTEXT=delivery MSG="add deployments"
	$(BIN)/python -m missionos.store.revision $(CONTEXT) "$(MSG)"

clean:
	rm -rf $(VENV) .missionos .pytest_cache .mypy_cache .ruff_cache

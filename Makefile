# The README's two commands: `make demo` (the main job) and `make test` (lint + tests).
# Both create .venv when missing and install what they need; a second run installs nothing.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
# The stamp names the inputs, so editing pyproject.toml or constraints.txt re-installs.
STAMP_KEY := $(shell cat pyproject.toml constraints.txt | sha256sum | cut -c1-12)

.PHONY: demo test lint install-train install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.train-$(STAMP_KEY): | $(BIN)/python
	$(PIP) install --quiet -c constraints.txt -e ".[train,edge]"
	touch $@

$(VENV)/.dev-$(STAMP_KEY): $(VENV)/.train-$(STAMP_KEY)
	$(PIP) install --quiet -c constraints.txt -e ".[train,edge,dev]"
	touch $@

install-train: $(VENV)/.train-$(STAMP_KEY)
install-dev: $(VENV)/.dev-$(STAMP_KEY)

demo: install-train
	$(BIN)/edgenn demo --out runs/demo

lint: install-dev
	$(BIN)/ruff check .

test: install-dev
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	sh tests/edge_runtime/deploy/install-openssh-server.sh
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache

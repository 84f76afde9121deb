# The README's two commands: `make demo` (the main job) and `make test` (lint + tests).
# Both create .venv when missing and install what they need; a second run installs nothing.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
# The stamp names the inputs, so editing pyproject.toml or constraints.txt re-installs.
STAMP_KEY := $(shell cat pyproject.toml constraints.txt | sha256sum | cut -c1-12)

.PHONY: demo test lint install-train install-dev clean test-arm64 test-py310

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

# An emulated Raspberry Pi userland (Debian bookworm arm64, qemu-user; rootfs cached in /var/cache/edgenn):
# the edge commands and the edge-only suite agree with x86. Needs root; skips with a reason otherwise.
# Then one `edgenn deploy` to an x86 sshd and the rootfs's own sshd under qemu (pytest -m arm64).
test-arm64: install-dev test-py310
	$(BIN)/python -m tests.arm64.run
	sh tests/edge_runtime/deploy/install-openssh-server.sh
	$(BIN)/python -m pytest -m arm64 tests/edge_runtime/deploy

# The edge-only suite natively on Python 3.10 (JetPack 6), in a venv with only the edge extra and pytest.
PY310 ?= $(lastword $(wildcard $(HOME)/.pyenv/versions/3.10.*/bin/python))
VENV310 ?= .venv-py310
$(VENV310)/.edge-$(STAMP_KEY):
	$(PY310) -m venv $(VENV310)
	$(VENV310)/bin/python -m pip install --quiet ".[edge]" "$(shell grep "^pytest==" constraints.txt)"
	touch $@

ifeq ($(PY310),)
test-py310:
	@echo "test-py310: SKIPPED: no Python 3.10 found (pyenv's ~/.pyenv/versions/3.10.*; set PY310=...)"
else
test-py310: $(VENV310)/.edge-$(STAMP_KEY)
	@echo "test-py310: tests/edge_runtime/deploy left out: the workstation side of edgenn deploy (sshd fleet, package index)"
	PYTHONPATH=$(CURDIR) $(VENV310)/bin/python -m pytest -q -p no:cacheprovider --ignore=tests/edge_runtime/deploy tests/edge_runtime
endif

clean:
	rm -rf $(VENV) $(VENV310) runs .pytest_cache .ruff_cache

# Everything sets itself up: `make demo` and `make test` create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hfwarden sandbox

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict hfwarden
	$(BIN)/hadolint Dockerfile
	$(BIN)/kubernetes-validate --strict --quiet $$(find deploy/kubernetes -name '*.yaml' ! -name kustomization.yaml ! -path '*servicemonitor*')

bench: $(STAMP)
	$(BIN)/python bench/emulator_throughput.py
	$(BIN)/python bench/daemon_schedules.py
	$(BIN)/python bench/guard_and_ledger.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/backtest.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

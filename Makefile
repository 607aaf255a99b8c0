# Everything sets itself up: `make demo` and `make test` create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-fast lint bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hfwarden sandbox

test: $(STAMP)
	$(BIN)/pytest

# The unit tests only (markers given by tests/conftest.py; docs/architecture.md "Tests by kind"): under 15 s.
# Bytecode is cached (even where the environment says not to), so that a second run does not compile
# hfwarden and rewrite the tests' asserts again: that was 3 s of every run.
test-fast: $(STAMP)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -m unit -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict hfwarden
	$(BIN)/lint-imports
	$(BIN)/hadolint Dockerfile
	$(BIN)/kubernetes-validate --strict --quiet deploy/kubernetes/base/secret.example.yaml
	set -e; out=$$(mktemp); trap 'rm -f "$$out"' EXIT; for k in deploy/kubernetes/base deploy/kubernetes/overlays/*/; do \
		$(BIN)/kubectl kustomize "$$k" > "$$out"; $(BIN)/kubernetes-validate --strict --quiet "$$out"; done

bench: $(STAMP)
	$(BIN)/python bench/emulator_throughput.py
	$(BIN)/python bench/daemon_schedules.py
	$(BIN)/python bench/guard_and_ledger.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/backtest.py
	$(BIN)/python bench/page.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

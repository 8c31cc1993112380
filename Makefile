# The one task runner. Every target works on a fresh clone with nothing but Python 3.11+ and pip.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint fix clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## synthesise a bank, ingest, train, evaluate, build today's call list, write the report
	$(BIN)/callwise demo --out demo-output

test: $(STAMP)  ## the whole test suite (unit, CLI, real UCI data)
	$(BIN)/pytest -q

bench: $(STAMP)  ## measure the figures quoted in the README; writes benchmarks/results/*.json
	$(BIN)/python benchmarks/uci_models.py
	$(BIN)/python benchmarks/pipeline_1m.py
	$(BIN)/python benchmarks/timing.py
	$(BIN)/python benchmarks/scheduler_1m.py
	$(BIN)/python benchmarks/plan_quality.py
	$(BIN)/python benchmarks/customer_sync.py
	$(BIN)/python benchmarks/service_load.py

lint: $(STAMP)  ## ruff, then mypy (strict for policy, lists, schedule, security, ops; see pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fix: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache

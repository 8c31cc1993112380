# The one task runner. Every target works on a fresh clone with nothing but Python 3.11+ and pip.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
LOCK_TOOL := .venv-lock
# uv's lines of the lock (version and hashes): pip installs the pinned uv, and uv installs the rest, fast.
UV_PIN = awk '/^uv==/{p=1} p{print} p&&!/\\$$/{exit}' $(LOCK)

.PHONY: demo test bench lint fix clean lock

# Exactly the lock: every file's hash checked, nothing resolved, anything else removed; then callwise over it.
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(UV_PIN) > $(VENV)/uv.txt
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(VENV)/uv.txt
	$(BIN)/uv pip sync --quiet --require-hashes --compile-bytecode --python $(BIN)/python $(LOCK)
	$(BIN)/uv pip install --quiet --no-deps --no-build-isolation --python $(BIN)/python -e .
	$(BIN)/uv pip check --quiet --python $(BIN)/python
	touch $(STAMP)

# Re-resolve the lock from pyproject.toml's ranges, for every platform: the dependencies, the dev and spark extras, the
# build backend, and the installers (pip, uv). Keeps the pins that still fit; `make lock UPGRADE=1` takes the
# newest releases the ranges allow.
lock:  ## re-resolve requirements.lock from pyproject.toml (UPGRADE=1: the newest releases allowed)
	$(PYTHON) -m venv $(LOCK_TOOL)
	$(UV_PIN) > $(LOCK_TOOL)/uv.txt
	$(LOCK_TOOL)/bin/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK_TOOL)/uv.txt
	$(PYTHON) -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], "pip", "uv", sep="\n")' \
	  | $(LOCK_TOOL)/bin/uv pip compile pyproject.toml - --extra dev --extra spark --universal --python-version 3.11 \
	    --generate-hashes --custom-compile-command 'make lock' $(if $(UPGRADE),--upgrade) --quiet -o $(LOCK)

demo: $(STAMP)  ## synthesise a bank, ingest, train, evaluate, build today's call list, write the report, seed the board; ends with the command that serves it
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
	$(BIN)/python benchmarks/scoring.py
	$(BIN)/python benchmarks/engines_1m.py
	$(BIN)/python benchmarks/scale_10m.py
	$(BIN)/python benchmarks/results_agents.py
	$(BIN)/python benchmarks/results_daily_looks.py
	$(BIN)/python benchmarks/results_1m.py
	$(BIN)/python benchmarks/results_coverage.py
	$(BIN)/python benchmarks/model_health.py
	$(BIN)/python benchmarks/board_speed.py
	$(BIN)/python benchmarks/uplift_speed.py
	$(BIN)/python benchmarks/uplift_starbucks.py
	$(BIN)/python benchmarks/uplift_plan.py
	$(BIN)/python benchmarks/tags_build.py
	$(BIN)/python benchmarks/segments_truth.py
	$(BIN)/python benchmarks/moments_build.py
	$(BIN)/python benchmarks/synth_channels.py
	$(BIN)/python benchmarks/attribution_truth.py
	$(BIN)/python benchmarks/channel_choice.py
	$(BIN)/python benchmarks/journeys_worker.py

lint: $(STAMP)  ## ruff, then mypy (strict for policy, lists, schedule, security, ops; see pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fix: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) $(LOCK_TOOL) demo-output .pytest_cache .mypy_cache

# cost-assets: `make run` materializes the sample and prints the summary; `make test` tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: run test dev lint format sample bench clean

$(BIN)/cost-assets: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 or set PYTHON=..."; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

run: $(BIN)/cost-assets $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/cost-assets run

test: $(BIN)/cost-assets
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q -n 2 --dist loadfile

PORT ?= 3000

dev: $(BIN)/cost-assets $(DAGSTER_HOME)/dagster.yaml
	@echo "Dagster UI on http://127.0.0.1:$(PORT)"
	$(BIN)/dg dev -p $(PORT)

lint: $(BIN)/cost-assets
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

sample: $(BIN)/cost-assets
	$(BIN)/cost-assets-sample --out sample_exports --start 2026-10-25 --days 14 --scale 1

# One day against the floor (see benchmarks/run.py): SCALE=small|medium|large, RUNS of it.
# Sources roots are generated once into BENCH_DIR and reused. Not run in CI.
SCALE ?= small
RUNS ?= 3
BENCH_DIR ?= .bench
bench: $(BIN)/cost-assets
	$(BIN)/python benchmarks/run.py --scale $(SCALE) --runs $(RUNS) --workdir $(BENCH_DIR)

clean:
	rm -rf warehouse .dagster_home

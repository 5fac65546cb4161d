# Two commands for a newcomer (see README): `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CUSTOMERS ?= 2000
SEED ?= 42

export EMPATHY_RAW_DIR ?= $(CURDIR)/data/raw
export EMPATHY_DUCKDB_PATH ?= $(CURDIR)/target/empathy.duckdb
export DBT_PROFILES_DIR ?= $(CURDIR)/profiles
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false

.PHONY: setup data build validate demo lint pytest test docs benchmark clean

## setup: virtual environment with the pinned requirements (re-run when requirements.txt changes)
setup: $(VENV)/.installed
$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

## data: deterministic demo raw data (CUSTOMERS=2000 SEED=42) into EMPATHY_RAW_DIR
data: setup
	$(BIN)/python -m empathy.generate --customers $(CUSTOMERS) --seed $(SEED) --out "$(EMPATHY_RAW_DIR)"

## build: seeds, models, data tests and unit tests into EMPATHY_DUCKDB_PATH (extra dbt arguments: DBT_ARGS=...)
build: setup
	$(BIN)/dbt build $(DBT_ARGS)

## validate: Great Expectations on the marts and the privacy scan, after the build (read-only)
validate: setup
	$(BIN)/python -m empathy.validate
	$(BIN)/python -m empathy.privacy

## demo: set up, generate the demo data, build and validate the warehouse
demo: data build validate

## lint: SQL style (sqlfluff, dbt templater, duckdb dialect)
lint: setup
	$(BIN)/sqlfluff lint models tests/dbt analyses --processes 2

## pytest: Python tests (generator, statistics, validation, privacy, builds on hand-written raw data)
pytest: setup
	$(BIN)/python -m pytest

## test: everything CI runs
test: demo lint pytest

## docs: dbt docs (catalog and lineage) into target/
docs: setup
	$(BIN)/dbt docs generate

## benchmark: generate CUSTOMERS (default 100000) customers, build, report time, memory and slowest models
benchmark: setup
	$(BIN)/python scripts/benchmark.py --customers $(if $(filter command line,$(origin CUSTOMERS)),$(CUSTOMERS),100000) --seed $(SEED)

clean:
	rm -rf target logs data

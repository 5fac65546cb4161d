# Two commands for a newcomer (see README): `make demo` and `make test`.
#
# Folders: the demo and test targets write only into folders this project owns (DEMO_RAW_DIR, TARGET_DIR),
# whatever EMPATHY_RAW_DIR and EMPATHY_DUCKDB_PATH say; those two variables are read by `make build` and
# `make validate` only, which build and check *your* data.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CUSTOMERS ?= 2000
SEED ?= 42
CHUNK_CUSTOMERS ?=

# Owned by the project (override on the command line only, e.g. in tests)
TARGET_DIR := $(CURDIR)/target
LOG_DIR := $(CURDIR)/logs
DEMO_RAW_DIR := $(CURDIR)/data/demo
DEMO_DUCKDB_PATH := $(TARGET_DIR)/demo.duckdb
DEMO_ENV := EMPATHY_RAW_DIR="$(DEMO_RAW_DIR)" EMPATHY_DUCKDB_PATH="$(DEMO_DUCKDB_PATH)"

# Yours: the raw data and the served warehouse of `make build` / `make validate`
EMPATHY_RAW_DIR ?= $(DEMO_RAW_DIR)
EMPATHY_DUCKDB_PATH ?= $(TARGET_DIR)/empathy.duckdb
USER_ENV := EMPATHY_RAW_DIR="$(EMPATHY_RAW_DIR)" EMPATHY_DUCKDB_PATH="$(EMPATHY_DUCKDB_PATH)"

export DBT_PROFILES_DIR := $(CURDIR)/profiles
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false

.PHONY: setup data data-append build validate demo demo-build freshness lint pytest test test-spark java docs semantic report browser benchmark calibrate clean

## setup: virtual environment with the pinned runtime and development requirements
setup: $(VENV)/.installed
$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

## data: deterministic demo raw data (CUSTOMERS=2000 SEED=42) into data/demo (never into EMPATHY_RAW_DIR);
##   CHUNK_CUSTOMERS=N streams it in chunks of N customers (bounded memory, other draws)
data: setup
	$(BIN)/python -m empathy.demo.generate --customers $(CUSTOMERS) --seed $(SEED) \
	  $(if $(CHUNK_CUSTOMERS),--chunk-customers $(CHUNK_CUSTOMERS)) --out "$(DEMO_RAW_DIR)"

## data-append: append the next day of new and re-delivered rows to data/demo (after `make data`)
data-append: setup
	$(BIN)/python -m empathy.demo.generate --append-day --out "$(DEMO_RAW_DIR)"

## build: build EMPATHY_RAW_DIR into a new file, validate it, publish it atomically at EMPATHY_DUCKDB_PATH
build: setup
	$(USER_ENV) $(BIN)/python -m empathy.ops.publish $(DBT_ARGS)

## validate: Great Expectations and the privacy scan on the published warehouse (read-only)
validate: setup
	$(USER_ENV) $(BIN)/python -m empathy.checks.validate
	$(USER_ENV) $(BIN)/python -m empathy.checks.privacy

## freshness: dbt source freshness of EMPATHY_RAW_DIR (latest _loaded_at per raw table against now)
freshness: setup
	$(USER_ENV) $(BIN)/dbt source freshness $(DBT_ARGS)

## demo: set up, generate the demo data, build, validate and publish the demo warehouse (target/demo.duckdb)
demo: data demo-build

demo-build: setup
	$(DEMO_ENV) $(BIN)/python -m empathy.ops.publish

## lint: SQL style (sqlfluff, dbt templater, duckdb dialect)
lint: setup
	$(DEMO_ENV) $(BIN)/sqlfluff lint models tests/dbt analyses --processes 2

## pytest: Python tests (generator, statistics, validation, privacy, publishing, builds on hand-written raw data,
## the report and the docs site in headless Chromium)
pytest: setup browser
	$(DEMO_ENV) $(BIN)/python -m pytest

## test: everything CI runs
test: demo lint pytest test-spark

## test-spark: the SQL layers on Apache Spark (docs/decisions.md D36): a fresh local Spark warehouse in target/spark,
## `dbt build --target spark --selector spark_sql_layers` on the demo data (seeds, the SQL models whose ancestors are
## all SQL, their data tests), then tests/spark: every model against the DuckDB demo build (target/demo.duckdb,
## built first if missing) and the Python seam on Spark. Needs Java 17; installs nothing beyond `make setup`.
SPARK_DIR := $(TARGET_DIR)/spark
SPARK_ENV := $(DEMO_ENV) EMPATHY_SPARK_DIR="$(SPARK_DIR)" DBT_TARGET_PATH="$(SPARK_DIR)/dbt" DBT_LOG_PATH="$(SPARK_DIR)/logs"
test-spark: setup java
	@if [ ! -f "$(DEMO_DUCKDB_PATH)" ]; then $(MAKE) demo-build; fi
	rm -rf "$(SPARK_DIR)"
	$(SPARK_ENV) $(BIN)/dbt build --target spark --selector spark_sql_layers
	$(SPARK_ENV) $(BIN)/python -m pytest tests/spark -p no:cacheprovider

## docs: dbt docs (catalog and lineage) of the demo warehouse into target/ (index.html to serve, static_index.html
## to open from the file system)
docs: setup
	$(DEMO_ENV) $(BIN)/dbt docs generate --static

## semantic: the semantic layer on the demo warehouse: parse, MetricFlow's validations, the weekly dashboard's last weeks
semantic: setup
	$(DEMO_ENV) $(BIN)/dbt parse --quiet
	$(DEMO_ENV) $(BIN)/mf validate-configs
	$(DEMO_ENV) $(BIN)/mf query --saved-query weekly_csat_and_acknowledgment_by_channel --order=-metric_time__week \
		--limit 8 --decimals 3

## report: the static HTML report of the demo warehouse's marts -> target/report/index.html (opens offline)
report: setup
	$(DEMO_ENV) $(BIN)/python -m empathy.report --out "$(TARGET_DIR)/report"

## java: Java 17 for the Spark session of test-spark (Debian's headless runtime, installed once; needs root or sudo)
java:
	@if command -v java >/dev/null; then echo "java: $$(command -v java) is installed"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless; \
	elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless; \
	else echo "java: install Java 17 (apt-get install openjdk-17-jre-headless) and rerun" >&2; exit 1; fi

## browser: Debian's Chromium for the browser tests (installed once; needs root or sudo)
browser:
	@if [ -x /usr/bin/chromium ]; then echo "browser: /usr/bin/chromium is installed"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "browser: install Debian's chromium package (apt-get install chromium) and rerun" >&2; exit 1; fi

## calibrate: survey-weight calibration study (K=20 data sets, CALIBRATION_CUSTOMERS=2000 each) -> docs/calibration.md
K ?= 20
CALIBRATION_CUSTOMERS ?= 2000
calibrate: setup
	$(BIN)/python -m empathy.calibration --datasets $(K) --customers $(CALIBRATION_CUSTOMERS) --out docs/calibration.md

## benchmark: generate CUSTOMERS (default 100000) customers, build, report time, memory and slowest models
benchmark: setup
	$(BIN)/python scripts/benchmark.py --customers $(if $(filter command line,$(origin CUSTOMERS)),$(CUSTOMERS),100000) --seed $(SEED)

## clean: remove what the project created: target/, logs/ and the generator's demo folder (only if it made it)
clean:
	rm -rf "$(TARGET_DIR)" "$(LOG_DIR)"
	if [ -f "$(DEMO_RAW_DIR)/.empathy-demo-data" ]; then rm -rf "$(DEMO_RAW_DIR)"; \
	elif [ -e "$(DEMO_RAW_DIR)" ]; then echo "clean: kept $(DEMO_RAW_DIR): the demo generator did not create it"; fi

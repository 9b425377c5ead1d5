# Two commands on a fresh machine with Python 3.11+ and make:
#   make demo   - create .venv, install, run the main job on a bundled scenario
#   make test   - the same install, then the test suite and the benchmark guards
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SCENARIO ?= scenarios/retail_bank.yaml
# Workers and the test run stay single-threaded in Numba (see docs/design.md).
export NUMBA_NUM_THREADS ?= 1
export PYTHONHASHSEED ?= 0

.PHONY: demo test test-seeds test-slow bench lint format install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,dask]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/channelopt run $(SCENARIO) -o demo-out

test: $(STAMP)
	$(BIN)/python -m pytest tests -q -p no:cacheprovider
	$(BIN)/python -m pytest benchmarks -q -p no:cacheprovider -m guard --benchmark-disable

# The simulation's seed contract: every statistical check holds for every seed 0-99.
test-seeds: $(STAMP)
	$(BIN)/python -m pytest tests -q -p no:cacheprovider -m slow -k seed_contract

# Every test marked slow: the seed sweeps, the million-record memory check (data).
test-slow: $(STAMP)
	$(BIN)/python -m pytest tests -q -p no:cacheprovider -m slow

bench: $(STAMP)
	$(BIN)/python -m pytest benchmarks -m "not guard" --benchmark-only --benchmark-sort=name \
		--benchmark-columns=min,median,mean,rounds

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache .hypothesis .benchmarks demo-out

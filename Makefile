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

.PHONY: demo test test-seeds test-slow bench lint format install clean chromium

# The report's browser test (tests/test_report_browser.py) renders the report
# in headless Chromium from the Debian package; installed here when absent
# (needs root, as in CI). Without it the test skips locally and fails in CI.
CHROMIUM_PACKAGE ?= chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,dask]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/channelopt run $(SCENARIO) -o demo-out

chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { echo "installing $(CHROMIUM_PACKAGE) (Debian package) for the report's browser test"; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	        --no-install-recommends $(CHROMIUM_PACKAGE) >/dev/null; } || \
	    echo "WARNING: could not install $(CHROMIUM_PACKAGE); tests/test_report_browser.py" \
	         "skips here and fails in CI"; }

test: $(STAMP) chromium
	$(BIN)/python -m pytest tests -q -p no:cacheprovider
	$(BIN)/python -m pytest benchmarks -q -p no:cacheprovider -m guard --benchmark-disable

# The seed contract: every statistical check holds for every seed 0-99. Selects
# every slow test named for its seeds (seed_contract, seed_sweep, for_any_seed, ...):
# all of test-slow but the memory and large-system checks.
test-seeds: $(STAMP)
	$(BIN)/python -m pytest tests -q -p no:cacheprovider -m slow -k seed

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

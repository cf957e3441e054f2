# Every target creates .venv and installs what it needs, so a fresh clone needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUNTIME := $(VENV)/.runtime

.PHONY: run test lint typecheck imports unit browser screenshot contract contract-live bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# `make run` needs the runtime only (a few seconds); the test and dev tools come with `make test`.
$(RUNTIME): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test,dev]"
	touch $(STAMP) $(RUNTIME)

run: $(RUNTIME)
	$(BIN)/fakeserver serve $(ARGS)

LINTED := fakeserver tests contract_tests bench docs

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

typecheck: $(STAMP)
	$(BIN)/mypy

# The import contracts in pyproject.toml: one direction of dependency, no cycles.
imports: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/python -m pytest tests -q

# In-process schemathesis for both profiles, then the CLI against a live `fakeserver serve`.
contract: $(STAMP)
	$(BIN)/python -m pytest contract_tests -q
	$(MAKE) contract-live

# The shipped schemathesis config against a fresh `fakeserver serve`, five fixed seeds per profile,
# each run bounded (contract_tests/live.py; contract_tests/seed_sweep.py sweeps seeds 1..20 by hand).
contract-live: $(STAMP)
	$(BIN)/python contract_tests/live.py

# The dashboard's browser tests use Debian's chromium: `playwright install` cannot download
# browsers here. Installed when missing and we are root; otherwise a clear failure.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else \
			echo "chromium is missing: run 'sudo apt-get install -y chromium' (browser tests)" >&2; \
			exit 1; \
		fi; }

# docs/dashboard.png, from a real browser on the default fixture (shown in the README).
screenshot: browser $(STAMP)
	$(BIN)/python docs/screenshot.py

# The live contract runs come first so that the run ends on pytest's pass/fail summary line.
test: lint typecheck imports browser $(STAMP)
	$(MAKE) --no-print-directory contract-live
	$(BIN)/python -m pytest -q

# Speed targets: writes bench/results.json and bench/RESULTS.md, then runs any other
# bench/*.py script but ab.py (it compares two revisions: run it by hand). Installs wrk with
# apt when it can, else uses a Python load generator.
bench: $(STAMP)
	$(BIN)/python bench/speed_targets.py $(ARGS)
	@status=0; for script in bench/*.py; do \
		case "$$script" in bench/speed_targets.py|bench/ab.py) continue;; esac; \
		echo "== $$script"; $(BIN)/python "$$script" || status=1; \
	done; exit $$status

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache .ruff_cache schemathesis-report

# consent-auditor: `make demo` and `make test` set everything up themselves on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup browser libs demo test bench unit clean

setup: $(STAMP) browser libs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

browser: $(STAMP)
	$(PY) -m auditor.browser.install

# real consent libraries (vanilla-cookieconsent, klaro) from npm, for the fixture pages that use them
libs:
	$(PY) tests/libs.py

demo: setup
	$(PY) tests/demo.py

test: setup
	$(PY) -m pytest -q --durations=25

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit tests/test_registry.py

bench: setup
	$(PY) tests/bench/bench.py

clean:
	rm -rf $(VENV) out auditor-out test-results .pytest_cache

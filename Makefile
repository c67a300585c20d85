# consent-auditor: `make demo` and `make test` set everything up themselves on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup browser demo test bench unit clean

setup: $(STAMP) browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

browser: $(STAMP)
	$(PY) -m auditor.browser.install

demo: setup
	$(PY) tests/demo.py

test: setup
	$(PY) -m pytest -q

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit tests/test_registry.py

bench: setup
	$(PY) tests/bench/bench.py

clean:
	rm -rf $(VENV) out auditor-out test-results .pytest_cache

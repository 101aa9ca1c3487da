# `make demo` fine-tunes the shipped encoder on MSRA and prints entity F1; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint clean

$(STAMP): requirements.txt requirements-test.txt requirements-onnx.txt requirements-nodeps.txt setup.py
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt -r requirements-test.txt -r requirements-onnx.txt
	$(PIP) install -q --no-deps -r requirements-nodeps.txt
	$(PIP) install -q --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m tf_ner.demo

# Two test processes share the machine (files stay whole: a module's fixtures are built
# once); the `serial` tests, whose processes coordinate in time, run alone afterwards.
WORKERS ?= 2
test: $(STAMP)
	$(PY) -m pytest -q -n $(WORKERS) --dist loadfile -m "not serial" tests
	$(PY) -m pytest -q -m serial tests

test-fast: $(STAMP)
	$(PY) -m pytest -q -n $(WORKERS) --dist loadfile -m "not slow and not serial" tests

lint: $(STAMP)
	$(VENV)/bin/ruff check tf_ner tests examples benchmarks

clean:
	rm -rf $(VENV) build *.egg-info

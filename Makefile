# citeqa: `make run` (set up, index the sample documents, start the UI) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INDEX ?= .citeqa

.PHONY: setup run test lint eval clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# the CPU build of torch first, so no multi-GB CUDA build is pulled in
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed

run: setup
	$(PY) -m assistant ingest examples/docs --index $(INDEX)
	$(PY) app.py --index $(INDEX)

lint: setup
	$(PY) -m ruff check .

test: setup lint
	$(PY) -m pytest -q

eval: setup
	$(PY) -m assistant eval evals/suites/sample.jsonl --index $(INDEX)-sample --docs examples/docs

clean:
	rm -rf $(VENV) $(INDEX) .pytest_cache

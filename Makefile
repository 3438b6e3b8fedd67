# `make test` and `make demo` set everything up on a fresh machine.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# The CPU build of torch when this machine has it locally; otherwise pip picks one for the platform.
TORCH_CPU ?= torch==2.13.0

.PHONY: setup test demo lint bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip >/dev/null 2>&1 || true
	$(PIP) install -q "$(TORCH_CPU)" || echo "note: $(TORCH_CPU) not available here; pip will choose torch"
	$(PIP) install -q -e ".[dev]"
	touch $@

setup: $(VENV)/.installed

test: setup
	HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 $(VENV)/bin/pytest -q

demo: setup
	HF_HUB_OFFLINE=1 $(VENV)/bin/statetrack sweep eval_configs/quickstart.yaml

lint: setup
	$(VENV)/bin/ruff check hf_statetrack tests benchmarks dataset_scripts

bench: setup
	$(PIP) install -q -e ".[dev,bench]"
	$(PY) benchmarks/generation.py
	$(PY) benchmarks/training.py
	$(PY) benchmarks/text_format.py
	$(PY) benchmarks/incontext_choice.py
	$(PY) benchmarks/text_tasks.py

clean:
	rm -rf $(VENV) build *.egg-info

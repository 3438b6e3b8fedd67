# `make test` and `make demo` set everything up on a fresh machine, with the versions in constraints.txt
# (the ones the suite last passed with; `make lock` rewrites it). `make test-latest` tries today's releases.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
CONSTRAINTS := constraints.txt
# The CPU build of torch when this machine has it locally; otherwise pip picks one for the platform.
TORCH_CPU ?= torch==2.13.0
# test-latest: every package at its newest release except torch, whose newest PyPI build is CUDA (several GB);
# set TORCH_LATEST=torch to take that too. The pin sits in the same pip command: an eager upgrade of the
# package's dependencies would otherwise replace it (seen: torch 2.13.0 -> 2.14.1).
LATEST ?= .venv-latest
TORCH_LATEST ?= $(TORCH_CPU)

.PHONY: setup test test-ray test-latest lock demo docs lint bench claims clean

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip >/dev/null 2>&1 || true
	$(PIP) install -q -c $(CONSTRAINTS) "$(TORCH_CPU)" || echo "note: $(TORCH_CPU) not available here; pip will choose torch"
	$(PIP) install -q -c $(CONSTRAINTS) -e ".[dev,docs]"
	touch $@

setup: $(VENV)/.installed

# The tests, the package's doctests (pyproject: --doctest-modules) and the docs site, built strictly so that a
# broken link or an API page whose object moved fails here.
test: setup
	HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 $(VENV)/bin/pytest -q
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

# The documentation site (mkdocs.yml, docs/) into site/; `$(VENV)/bin/mkdocs serve` previews it while editing.
docs: setup
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

# The Ray launcher's tests (they are skipped by `make test` when Ray is not installed): Ray is an optional extra,
# too heavy for [dev] (their Ray part took 70 s on the loaded 2-core development machine).
test-ray: setup
	$(PIP) install -q -c $(CONSTRAINTS) -e ".[dev,ray]"
	HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 $(VENV)/bin/pytest -q tests/experiments/test_launchers.py

# Today's releases, no constraints, in a venv of their own: drift shows here before users meet it (with every
# transformers model type in the architecture matrix, not the fixed quarter `make test` runs).
test-latest:
	test -x $(LATEST)/bin/python || python3 -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
	$(LATEST)/bin/python -m pip install -q --upgrade --upgrade-strategy eager -e ".[dev]" "$(TORCH_LATEST)"
	$(LATEST)/bin/python -m pip list 2>/dev/null | grep -iE "^(torch|transformers|datasets|accelerate|evaluate|huggingface.hub|peft|numpy|pyarrow) "
	HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 HF_STATETRACK_FULL_MATRIX=1 $(LATEST)/bin/pytest -q -p no:cacheprovider

# Rewrite constraints.txt from the passing .venv (run after `make test` passes; commit the result).
lock: setup
	{ echo "# Tested versions: written by 'make lock' from an environment where 'make test' passed."; \
	  $(PIP) freeze --exclude-editable | grep -v '^-e ' | sed -E 's/\+[A-Za-z0-9.]+$$//'; } > $(CONSTRAINTS).tmp
	mv $(CONSTRAINTS).tmp $(CONSTRAINTS)

# The quickstart's runs in parallel worker processes, as many as there are free cores (GPUs on a GPU node).
demo: setup
	HF_HUB_OFFLINE=1 $(VENV)/bin/statetrack sweep eval_configs/quickstart.yaml --max-parallel auto

# Every number an eval config quotes in its `# Measured:` block, re-run on its seeds (one thread per run;
# about half an hour on 2 cores): fails where a seed mean left the stated range. Not part of `make test`.
# benchmarks/claims.py measure <config> writes a block (and its table in docs/) from fresh runs.
claims: setup
	HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) benchmarks/claims.py check

lint: setup
	$(VENV)/bin/ruff check hf_statetrack tests benchmarks dataset_scripts

bench: setup
	$(PIP) install -q -c $(CONSTRAINTS) -e ".[dev,bench]"
	$(PY) benchmarks/generation.py
	$(PY) benchmarks/training.py
	OMP_NUM_THREADS=1 $(PY) benchmarks/architectures.py
	OMP_NUM_THREADS=1 $(PY) benchmarks/mamba_speed.py
	$(PY) benchmarks/text_format.py
	$(PY) benchmarks/incontext_choice.py
	$(PY) benchmarks/text_tasks.py

clean:
	rm -rf $(VENV) $(LATEST) build site *.egg-info

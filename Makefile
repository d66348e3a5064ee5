# keras_gen — set-up, tests and demo.  Every target installs what it needs
# from nothing (a fresh clone on a CPU-only machine is enough).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
BACKENDS ?= jax tensorflow torch
# Pytest arguments, e.g. `make test PYTEST_ARGS="-k vae"`.
PYTEST_ARGS ?=
BENCH_VENV ?= .venv-bench
# Arguments of benchmarks/run_all.py, e.g. `make bench BENCH_ARGS="--quick"`.
BENCH_ARGS ?=

# Fashion-MNIST's four IDX files, as Debian's dataset-fashion-mnist installs them.
FASHION_MNIST_DIR := /usr/share/datasets/fashion-mnist
FASHION_MNIST_FILES := $(addprefix $(FASHION_MNIST_DIR)/,train-images-idx3-ubyte.gz \
	train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)

.PHONY: install fashion-mnist lint format test test-jax test-tensorflow test-torch demo bench bench-gpu bench-gpu-dry-run clean

install: $(STAMP) fashion-mnist

# The real-scale benchmark data (about 30 MB), installed with apt-get where
# it exists and we are root; elsewhere the install carries on without it
# (keras_gen.datasets.load_fashion_mnist also reads $$KERAS_GEN_FASHION_MNIST_DIR
# and Keras' download cache, and the tests that need the files skip).
fashion-mnist:
	@for f in $(FASHION_MNIST_FILES); do test -f $$f || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends dataset-fashion-mnist; } >/dev/null 2>&1 \
	    || echo "note: apt-get could not install dataset-fashion-mnist; the Fashion-MNIST tests will skip"; \
	  else \
	    echo "note: Fashion-MNIST not installed (needs apt-get as root: apt-get install dataset-fashion-mnist); its tests will skip"; \
	  fi; \
	fi

# CPU builds: torch==2.13.0 is the local CPU wheel; tensorflow-cpu is the
# light TF install.  Re-run when pyproject.toml changes.
$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel
	$(PIP) install -q "torch==2.13.0"
	$(PIP) install -q -e ".[jax,tensorflow-cpu,dev]"
	touch $(STAMP)

# ruff: lint (pycodestyle, pyflakes, import order, bugbear, pyupgrade) and
# the formatter's check; `make format` rewrites the files.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The backends run one after the other, each with TEST_WORKERS pytest-xdist
# workers (default 2, one per core of the CI machine; a test file stays in
# one worker, so its module fixtures are built once; 0 runs in-process).
# TEST_PARALLEL=1 runs the backends side by side (on a 2-core machine that
# was no faster: 2026-12-06, see the README's Tests section).  Each pass
# writes test-logs/<backend>.log, printed when it ends, with its duration.
TEST_PARALLEL ?= 0
TEST_WORKERS ?= 2
test: install
	@mkdir -p test-logs; start=$$(date +%s); \
	run() { s=$$(date +%s); \
	  KERAS_BACKEND=$$1 $(PY) -m pytest -q -p no:cacheprovider --durations=15 \
	    -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS) \
	    > test-logs/$$1.log 2>&1; rc=$$?; \
	  echo "=== KERAS_BACKEND=$$1 ===" ; cat test-logs/$$1.log; \
	  echo "=== KERAS_BACKEND=$$1 took $$(( $$(date +%s) - s )) s, exit $$rc ==="; \
	  echo $$rc > test-logs/$$1.status; }; \
	for b in $(BACKENDS); do \
	  if [ "$(TEST_PARALLEL)" = 1 ]; then run $$b & else run $$b; fi; \
	done; wait; \
	status=0; for b in $(BACKENDS); do \
	  [ "$$(cat test-logs/$$b.status)" = 0 ] || status=1; done; \
	echo "=== all backends took $$(( $$(date +%s) - start )) s ==="; exit $$status

test-%: install
	KERAS_BACKEND=$* $(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# A class-conditional DCGAN on Fashion-MNIST: 7 minutes of training, then
# a PNG with one row per class and its figures (benchmarks/demo_results.md).
demo: install
	KERAS_BACKEND=$${KERAS_BACKEND:-jax} $(PY) examples/conditional_gan.py \
	  --data fashion_mnist --max-minutes 7 --out demo_out

# Side-by-side benchmarks: a separate environment with the peers (diffusers,
# normflows; never torchvision), then every benchmark; writes
# benchmarks/RESULTS.md, benchmarks/results.json and benchmarks/plots/*.png.
bench:
	sh benchmarks/setup_env.sh $(PYTHON) $(BENCH_VENV)
	$(BENCH_VENV)/bin/python benchmarks/run_all.py $(BENCH_ARGS)

# Training throughput on one NVIDIA GPU (benchmarks/gpu.py): its own
# environment with the CUDA builds of the three backends and diffusers
# (never torchvision); about 8 minutes; writes benchmarks/gpu_results.md.
# Not yet run on a GPU: no GPU has been lent to this project.
GPU_VENV ?= .venv-gpu
bench-gpu:
	test -x $(GPU_VENV)/bin/python || $(PYTHON) -m venv $(GPU_VENV)
	$(GPU_VENV)/bin/python -m pip install -q --upgrade pip
	$(GPU_VENV)/bin/python -m pip install -q torch "jax[cuda12]" "tensorflow[and-cuda]" diffusers
	$(GPU_VENV)/bin/python -m pip install -q -e .
	$(GPU_VENV)/bin/python benchmarks/gpu.py --out benchmarks/gpu_results.md

# The same script on the CPU with tiny sizes: checks the command
# (benchmarks/gpu_test.py runs it in the suite).
bench-gpu-dry-run: install
	$(PY) benchmarks/gpu.py --dry-run --out /tmp/keras_gen_gpu_dry_run.md

clean:
	rm -rf $(VENV) $(BENCH_VENV) $(GPU_VENV) demo_out test-logs .pytest_cache .jax_cache

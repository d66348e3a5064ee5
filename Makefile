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

.PHONY: install test test-jax test-tensorflow test-torch demo bench clean

install: $(STAMP)

# CPU builds: torch==2.13.0 is the local CPU wheel; tensorflow-cpu is the
# light TF install.  Re-run when pyproject.toml changes.
$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel
	$(PIP) install -q "torch==2.13.0"
	$(PIP) install -q -e ".[jax,tensorflow-cpu,dev]"
	touch $(STAMP)

test: install
	@status=0; for b in $(BACKENDS); do \
	  echo "=== KERAS_BACKEND=$$b ==="; \
	  KERAS_BACKEND=$$b $(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS) || status=1; \
	done; exit $$status

test-%: install
	KERAS_BACKEND=$* $(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

demo: install
	KERAS_BACKEND=$${KERAS_BACKEND:-jax} $(PY) examples/ddpm.py --out demo_out

# Side-by-side benchmarks: a separate environment with the peers (diffusers,
# normflows; never torchvision), then every benchmark; writes
# benchmarks/RESULTS.md, benchmarks/results.json and benchmarks/plots/*.png.
bench:
	sh benchmarks/setup_env.sh $(PYTHON) $(BENCH_VENV)
	$(BENCH_VENV)/bin/python benchmarks/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(BENCH_VENV) demo_out .pytest_cache

# Two entry points: `make demo` (main job on the bundled default) and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export TF_CPP_MIN_LOG_LEVEL ?= 2
export MPLBACKEND ?= Agg

.PHONY: install demo test test-wheel lint bench clean

install: $(STAMP)

# Reinstalled whenever pyproject.toml or setup.py changes.
$(STAMP): pyproject.toml setup.py
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "the development environment needs Python 3.11 (TensorFlow 2.12 / nengo-dl 3.6 for armjac[learned]); found " + sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# setuptools warns about a folder named like the package beside an editable install:
	@# here that folder is the package itself
	PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet -e ".[all]"
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/armjac demo --out out/demo

# The suite, then the wheel installed without extras on the newest Python (.ci/wheel_smoke.sh).
test: $(STAMP)
	$(PY) -m pytest -q
	@$(MAKE) --no-print-directory test-wheel

test-wheel: $(STAMP)
	.ci/wheel_smoke.sh $(PY)

lint: $(STAMP)
	$(VENV)/bin/ruff check armjac sims tests benchmarks .ci setup.py

bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/bench_core.py
	$(PY) benchmarks/bench_control.py
	$(PY) benchmarks/bench_ik.py

clean:
	rm -rf $(VENV) out build *.egg-info

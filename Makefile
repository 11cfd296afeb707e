# mmdigit: every target sets itself up first, so a fresh clone needs only
# `make demo` or `make test`.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
# Override on a GPU machine, e.g.
#   make setup TORCH_SPEC="torch==2.5.1 --index-url https://download.pytorch.org/whl/cu121"
TORCH_SPEC ?= $(shell grep '^torch==' requirements.txt)
MAX_JOBS ?= $(shell nproc)
STAMP := $(VENV)/.setup-done

DEMO_CONFIG ?= configs/faster_rcnn_r18_fpn_demo_digits.py
DEMO_DATA ?= data/synthetic
DEMO_DIR ?= work_dirs/demo

.PHONY: setup demo test clean-venv

setup: $(STAMP)

# Order matters: torch first, then mmcv compiled with ops against it
# (--no-build-isolation, or pip builds mmcv without ops in a torch-less
# sandbox), then the rest. pip's wheel cache keeps the ~23 min mmcv build for
# the next set-up, which then takes ~1-2 min.
$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	grep -v '^torch==' requirements.txt > $(VENV)/requirements-no-torch.txt
	$(PY) -m pip install -c $(VENV)/requirements-no-torch.txt setuptools wheel ninja numpy
	$(PY) -m pip install $(TORCH_SPEC)
	MAX_JOBS=$(MAX_JOBS) $(PY) -m pip install --no-build-isolation -c $(VENV)/requirements-no-torch.txt mmcv
	$(PY) -c "import mmcv.ops" || { echo "mmcv was built without ops: remove it from pip's cache and re-run"; exit 1; }
	$(PY) -m pip install -r $(VENV)/requirements-no-torch.txt
	$(PY) -m pip install --no-deps --no-build-isolation -e .
	touch $@

test: setup
	$(PY) -m pytest tests

demo: setup
	$(PY) tools/demo.py --config $(DEMO_CONFIG) --data-root $(DEMO_DATA) \
		--work-dir $(DEMO_DIR)

clean-venv:
	rm -rf $(VENV)

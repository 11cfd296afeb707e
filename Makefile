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

.PHONY: setup demo test lint clean-venv web web-setup

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

# One pytest worker per core (pytest-xdist), each with one thread: two
# default-threaded workers on two cores run ~4x slower than one-thread ones.
# Whole files per worker, so a module's trained fixture is built once.
PYTEST_JOBS ?= $(MAX_JOBS)

test: setup
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -n $(PYTEST_JOBS) \
		--dist loadfile tests

demo: setup
	$(PY) tools/demo.py --config $(DEMO_CONFIG) --data-root $(DEMO_DATA) \
		--work-dir $(DEMO_DIR)

# The web page (demo/webui.py) on the `make demo` checkpoint, browsing its
# valid/ split: http://$(WEB_HOST):$(WEB_PORT)/ until Ctrl-C. Its Gradio stack
# (requirements/web.txt, with requirements.txt as constraints so nothing
# pinned moves) stays out of `make setup`; `make web-setup` installs it alone
# (CI does, for the browser test). Serve another checkpoint with e.g.
#   make web WEB_CONFIG=configs/... WEB_CKPT=work_dirs/.../iter_1500.pth
WEB_STAMP := $(VENV)/.web-done
WEB_CONFIG ?= $(DEMO_CONFIG)
WEB_CKPT ?= $(shell cat $(DEMO_DIR)/last_checkpoint 2>/dev/null)
WEB_ANN_FILE ?= $(wildcard $(DEMO_DATA)/valid.json)
WEB_HOST ?= 127.0.0.1
WEB_PORT ?= 7860

web: $(WEB_STAMP)
	@test -n "$(WEB_CKPT)" || { echo "error: no checkpoint in $(DEMO_DIR): run make demo first, or make web WEB_CKPT=..." >&2; exit 1; }
	$(PY) demo/webui.py $(WEB_CONFIG) $(WEB_CKPT) --host $(WEB_HOST) \
		--port $(WEB_PORT) --data-root $(DEMO_DATA) \
		$(if $(WEB_ANN_FILE),--ann-file $(WEB_ANN_FILE))

web-setup: $(WEB_STAMP)

$(WEB_STAMP): $(STAMP) requirements/web.txt
	$(PY) -m pip install -r requirements/web.txt -c requirements.txt
	$(PY) -m pip check
	touch $@

# Lint as mmdet does (settings in setup.cfg, tool versions in
# requirements/lint.txt), checking only: fix with `isort` and `yapf -i -r`.
# The tools get their own small venv, so lint needs none of the heavy set-up
# and leaves the project venv's yapf (used by mmengine) alone. All three run;
# any finding fails the target.
LINT_VENV ?= $(VENV)/lint
LINT_PY := $(LINT_VENV)/bin/python
LINT_STAMP := $(LINT_VENV)/.lint-done
LINT_PATHS ?= mmdigit tools tests configs demo

lint: $(LINT_STAMP)
	@status=0; \
	echo "flake8 $(LINT_PATHS)"; \
	$(LINT_PY) -m flake8 $(LINT_PATHS) || status=1; \
	echo "isort --check-only --diff $(LINT_PATHS)"; \
	$(LINT_PY) -m isort --check-only --diff $(LINT_PATHS) || status=1; \
	echo "yapf --diff --recursive $(LINT_PATHS)"; \
	$(LINT_PY) -m yapf --diff --recursive $(LINT_PATHS) || status=1; \
	exit $$status

$(LINT_STAMP): requirements/lint.txt
	test -x $(LINT_PY) || $(PYTHON) -m venv $(LINT_VENV)
	$(LINT_PY) -m pip install -r requirements/lint.txt
	touch $@

clean-venv:
	rm -rf $(VENV)

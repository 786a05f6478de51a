# Locality & Hub Planner: build, run and test.
#
#   make run                         serve the dashboard on the demo place (127.0.0.1:8050)
#   make run PLACE=path/to/place.toml HOST=0.0.0.0 PORT=8060
#   make test                        run every test (browser tests headless)
#   make test PYTEST_ARGS='-k hub -x'
#   make lint | make bench | make audit | make clean | make distclean
#   make serve                       production: gunicorn, 2 workers, 127.0.0.1 (docs/deploy.md)
#
# Only python3 is needed: the first run creates .venv and installs the project (editable, with
# the test extras) into it. It reinstalls whenever pyproject.toml is newer than .venv/.installed.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# A checkout keeps generated files and its places in data/ (the installed package uses the
# user's cache and data folders instead; see geo/settings.py).
export HUBPLAN_CACHE  ?= $(CURDIR)/data/cache
export HUBPLAN_PLACES ?= $(CURDIR)/data/places

PLACE       ?=
HOST        ?= 127.0.0.1
PORT        ?= 8050
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help setup run serve worker test lint bench audit clean distclean

help:
	@echo "make run     serve the dashboard (PLACE=..., HOST=$(HOST), PORT=$(PORT))"
	@echo "make test    run every test headless (PYTEST_ARGS=...)"
	@echo "make lint    ruff check, ruff format --check, mypy geo layers"
	@echo "make bench   run benchmarks/run_all.py"
	@echo "make worker Celery worker for long jobs (HUBPLAN_REDIS_URL=redis://...)"
	@echo "make serve   production server: gunicorn -c gunicorn.conf.py hubplan.wsgi:application"
	@echo "make audit   dependency vulnerability audit (pip-audit; needs PyPI's JSON API or OSV)"
	@echo "make clean   remove caches and test artefacts (distclean also removes $(VENV))"

$(PY):
	@$(PYTHON) -m venv $(VENV) || { \
	  echo "error: '$(PYTHON) -m venv $(VENV)' failed." >&2; \
	  echo "       On Debian/Ubuntu install the venv module: apt-get install python3-venv" >&2; \
	  rm -rf $(VENV); exit 1; }

# Order-only on $(PY): recreating the venv's files must not by itself force a reinstall,
# but a missing stamp (a new venv) does.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e '.[test]'
	@touch $@

setup: $(STAMP)

run: $(STAMP)
	$(PY) app.py $(if $(PLACE),--place '$(PLACE)') --host '$(HOST)' --port '$(PORT)'

serve: $(STAMP)
	$(if $(PLACE),HUBPLAN_PLACE='$(PLACE)') HUBPLAN_BIND='$(HOST):$(PORT)' \
	  $(PY) -m gunicorn -c gunicorn.conf.py hubplan.wsgi:application

# A Celery worker for the dashboard's long jobs (needs HUBPLAN_REDIS_URL; see docs/deploy.md).
worker: $(STAMP)
	$(if $(PLACE),HUBPLAN_PLACE='$(PLACE)') $(PY) -m celery -A hubplan.worker:celery_app worker --loglevel=info --concurrency=$${HUBPLAN_WORKER_CONCURRENCY:-2}

test: $(STAMP)
	$(PY) -m pytest -q --headless $(PYTEST_ARGS)

# ruff (lint + format check) on everything; mypy on the typed core (config in pyproject.toml).
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy geo layers

bench: $(STAMP)
	@if [ -f benchmarks/run_all.py ]; then \
	  $(PY) benchmarks/run_all.py; \
	else \
	  echo "no benchmarks/run_all.py: nothing to run"; \
	fi

# pip-audit asks PyPI's JSON API (or OSV with AUDIT_ARGS='-s osv') about every installed package.
# A package it could not look up is listed as skipped: read that list, "No known
# vulnerabilities found" alone does not mean everything was checked. tools/audit_latest.py then
# checks what PyPI's project JSON can tell (packages at their latest release) into docs/audit.md.
AUDIT_ARGS ?=
audit: $(STAMP)
	$(PY) -m pip install -q pip-audit
	-$(PY) -m pip_audit --skip-editable $(AUDIT_ARGS)
	$(PY) tools/audit_latest.py --out docs/audit.md

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache test-artefacts benchmarks/out
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)

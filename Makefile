# motcua — the two commands a new user needs: `make run` and `make test`.
# Both create .venv in the repository root if missing and install into it.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PORT   ?= 8000
HOST   ?= 127.0.0.1
SWEEP_EVERY ?= 30

.PHONY: help install run serve test lint format bench migrate seed clean

help:
	@echo "make run    – install, migrate, load demo data, serve on http://$(HOST):$(PORT)/"
	@echo "make test   – install and run the test suite"
	@echo "make lint   – ruff format --check and ruff check"
	@echo "make bench  – benchmarks, printed as JSON (bench_outage: action latency, Redis up vs down)"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "motcua needs Python >= 3.11; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py load_divisions
	$(PY) manage.py seed_demo
	$(PY) manage.py seed_dossiers

run: seed
	@echo
	@echo "motcua: http://$(HOST):$(PORT)/   (quản trị /admin/, API /api/docs/, tra cứu /track/, sức khỏe /healthz)"
	@echo "Các tài khoản mẫu ở trên; dừng bằng Ctrl+C."
	@echo
	@$(PY) manage.py serve --host $(HOST) --port $(PORT) --sweep-every $(SWEEP_EVERY)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	@$(PY) -m benchmarks

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis

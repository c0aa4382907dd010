# PeerLearn — the two commands: `make run` and `make test`.
SHELL := /bin/bash
HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
# The first Python >= 3.12 on PATH (pyenv resolves python3.13 from .python-version).
PYTHON ?= $(shell for p in python3.13 python3.12 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& echo $$p && break; done)

.PHONY: run test install lint format typecheck bench clean prod prod-down

$(VENV)/.installed: requirements.lock
	@test -n "$(PYTHON)" || { echo "PeerLearn needs Python 3.12 or newer on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	@touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed

run: export PORT := $(PORT)
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py import_problems
	$(PY) manage.py seed_forum --demo
	@echo ""
	@echo "  PeerLearn is starting at http://localhost:$(PORT)   (mail viewer: http://localhost:$(PORT)/dev/mail/)"
	@echo "  (http://127.0.0.1:$(PORT) works too, but passkeys need the localhost name)"
	@echo ""
	@trap 'kill 0' EXIT INT TERM; \
	$(PY) manage.py task_worker & \
	$(PY) manage.py periodic_jobs --run & \
	$(VENV)/bin/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --lifespan off & \
	wait

# The production topology on this machine (nginx, 2 web units, 2 workers, coturn, the periodic
# jobs) on the PostgreSQL and Redis of DATABASE_URL / REDIS_URL: see deploy/prod.py.
prod: install
	$(PY) deploy/prod.py up

prod-down:
	$(PY) deploy/prod.py down

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo --no-cache

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install
	$(VENV)/bin/mypy .

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache

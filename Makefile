# Parley.
#   make demo   set everything up and serve the bundled demo assistant on http://127.0.0.1:8000
#   make test   lint, type-check, check import contracts, run the whole test suite
#   make bench  run the benchmarks (JSON results under bench/results/)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-install only when pyproject.toml is newer than this stamp.
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo runs like a small production: DEBUG off, a random SECRET_KEY kept in var/secret_key.
# `make demo DEBUG=1` serves with Django's debug pages instead.
DEBUG ?= 0
DATA_DIR := $(or $(PARLEY_DATA_DIR),var)
SECRET_FILE := $(DATA_DIR)/secret_key
# pytest-xdist workers. Serial by default: on 2 cores the suite runs in ~15 s serially and ~20 s
# with `-n auto` (each worker sets up Django and its own test database). Use
# `make test PYTEST_WORKERS=auto` once the suite grows CPU-heavy.
PYTEST_WORKERS ?= 0
PYTEST_ARGS ?=
PG_URL ?= postgres://postgres@127.0.0.1:5432/parley
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install demo serve setup-demo test test-pg pytest lint format chromium bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,dev]"
	touch $(STAMP)

install: $(STAMP)

$(SECRET_FILE):
	mkdir -p $(DATA_DIR)
	umask 077 && $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > $@

# Everything the demo needs, then serve. Ctrl-C stops the web server and the worker together.
demo: setup-demo serve

setup-demo: install $(SECRET_FILE)
	export DEBUG=$(DEBUG) SECRET_KEY="$$(cat $(SECRET_FILE))"; \
	$(BIN)/python manage.py migrate --noinput; \
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0; \
	$(BIN)/python manage.py setup_demo; \
	$(BIN)/python manage.py train concertbot

serve: install $(SECRET_FILE)
	export DEBUG=$(DEBUG) SECRET_KEY="$$(cat $(SECRET_FILE))"; \
	exec $(BIN)/python scripts/run_demo.py --host $(HOST) --port $(PORT)

chromium:
	command -v chromium >/dev/null || ($(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The suite, no linting (used twice by CI: SQLite, then PostgreSQL + Redis).
pytest: install chromium
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test: lint pytest

# The suite again on PostgreSQL and Redis (CI runs it when both answer on localhost).
test-pg: install chromium
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) \
	  $(BIN)/pytest -q -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Import, then the REST webhook under load (and formbot's dialogue training), on SQLite, then
# on PostgreSQL when it answers, with the studio's volume (100,000 conversations, 1,000,000
# events); then the training engine.
bench: install
	mkdir -p bench/results
	DJANGO_SETTINGS_MODULE=project.settings.base DEBUG=1 $(BIN)/python -m bench.import_bench
	$(BIN)/python -m bench.webhook_bench --formbot
	if $(BIN)/python -c "import psycopg2; psycopg2.connect('$(PG_URL)'.rsplit('/', 1)[0] + '/postgres', connect_timeout=3).close()" 2>/dev/null; then \
	  DATABASE_URL=$(PG_URL) DJANGO_SETTINGS_MODULE=project.settings.base DEBUG=1 $(BIN)/python -m bench.import_bench; \
	  DATABASE_URL=$(PG_URL) $(BIN)/python -m bench.webhook_bench; \
	  DATABASE_URL=$(PG_URL) DJANGO_SETTINGS_MODULE=project.settings.base DEBUG=1 $(BIN)/python -m bench.studio_bench; \
	else echo "bench: PostgreSQL does not answer; import and webhook measured on SQLite only,"; \
	  echo "       the studio's volume on SQLite with 20,000 conversations"; \
	  DJANGO_SETTINGS_MODULE=project.settings.base DEBUG=1 $(BIN)/python -m bench.studio_bench --conversations 20000; fi
	DJANGO_SETTINGS_MODULE=project.settings.base DEBUG=1 $(BIN)/python -m bench.engine_bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache tests/screenshots *.egg-info

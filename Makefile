# The front door: `make run` and `make test` do all of their own set-up.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000

# The test suite runs on PostgreSQL and a real Redis (scripts/ensure_services.sh starts them).
TEST_DATABASE_URL ?= postgres://portal:portal@127.0.0.1:5432/portal
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1
# Two workers (pytest-xdist), each with its own test database and Redis database; a file's
# tests stay together on one worker.
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: install run test lint fmt bench worker beat services migrate demo clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	@mkdir -p var
	$(PY) manage.py migrate --noinput

demo: migrate
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(PY) manage.py seed_demo

run: demo
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(PY) manage.py runserver 127.0.0.1:$(PORT)

services:
	bash scripts/ensure_services.sh

test: install services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(PY) manage.py makemigrations --check --dry-run

fmt: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) bench/run.py $(BENCH_ARGS)

worker: install
	$(VENV)/bin/celery -A network_portal worker -l info --concurrency=2

beat: install
	$(VENV)/bin/celery -A network_portal beat -l info

clean:
	rm -rf var/db.sqlite3 var/staticfiles

# The two commands: `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000
STUDENTS ?= 100000
USERS ?= 1000000

.PHONY: install run test lint format bench bench-report bench-oneroster clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "rostersync needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install  ## the demo: embedded PostgreSQL, offline Clever, district DEMO synced, API on :8000
	$(BIN)/rostersync serve --demo --host $(HOST) --port $(PORT)

test: install  ## the whole suite, against an embedded PostgreSQL or TEST_DATABASE_URL
	$(BIN)/pytest

lint: install  ## ruff and mypy --strict
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench
	$(BIN)/mypy
	$(BIN)/mypy bench/sync.py bench/change_report.py bench/oneroster.py

format: install
	$(BIN)/ruff check --fix src tests migrations bench
	$(BIN)/ruff format src tests migrations bench

bench-report: install  ## stream a 1,000,000-row change report as CSV: time and memory
	$(BIN)/python bench/change_report.py --rows 1000000

bench: install  ## time a Clever sync of STUDENTS students against the offline Clever (see bench/README.md)
	$(BIN)/python bench/sync.py --students $(STUDENTS)

bench-oneroster: install  ## time a OneRoster CSV import of USERS users and its peak memory (see bench/README.md)
	$(BIN)/python bench/oneroster.py --users $(USERS)

clean:  ## remove the virtualenv and embedded databases
	rm -rf $(VENV) .data .mypy_cache .ruff_cache .pytest_cache

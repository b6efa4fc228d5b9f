# The two commands: `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000
STUDENTS ?= 100000

.PHONY: install run test lint format bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "rostersync needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install  ## migrate and serve on http://127.0.0.1:8000 (embedded PostgreSQL unless DATABASE_URL)
	$(BIN)/rostersync serve --host $(HOST) --port $(PORT)

test: install  ## the whole suite, against an embedded PostgreSQL or TEST_DATABASE_URL
	$(BIN)/pytest

lint: install  ## ruff and mypy --strict
	$(BIN)/ruff check src tests migrations
	$(BIN)/ruff format --check src tests migrations
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix src tests migrations
	$(BIN)/ruff format src tests migrations

clean:  ## remove the virtualenv and embedded databases
	rm -rf $(VENV) .data .mypy_cache .ruff_cache .pytest_cache

# Two commands do all the set-up on a fresh machine:  make demo  and  make test.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; \
	done)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_WORKERS ?= 2

.PHONY: setup demo test test-postgres lint e2e bench clean

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "需要 Python 3.11 或更高版本 (Python >= 3.11 is required)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(VENV)/.installed node_modules/.installed

demo: setup
	$(BIN)/tanfang migrate --noinput
	$(BIN)/tanfang collectstatic --noinput --verbosity 0
	$(BIN)/tanfang seed_demo
	$(BIN)/tanfang run_demo

test: setup
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not e2e and not slow"

# The same suite on PostgreSQL, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/tanfang
test-postgres: setup
	@test -n "$(DATABASE_URL)" || { echo "set DATABASE_URL=postgres://…"; exit 1; }
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not e2e and not slow"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=config.test_settings $(BIN)/tanfang makemigrations --check --dry-run

e2e: setup
	$(BIN)/pytest -m e2e e2e

clean:
	rm -rf $(VENV) node_modules var

# Vigie: `make demo` installs and starts the product; `make test` installs and runs every check.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test install install-test lint typecheck migrations-check schema-check \
        test-postgres test-sqlite clean

# Real footage for the simulated cameras: `make demo FOOTAGE=dir`; beside the project's
# own checkout, the shared clips are used when they are there, else a test pattern.
FOOTAGE ?= $(wildcard ../shared/data)

demo: install
	$(VENV)/bin/vigie demo $(if $(FOOTAGE),--footage $(FOOTAGE))

test: install-test lint typecheck migrations-check schema-check test-postgres test-sqlite

install: $(STAMP) node_modules/.installed
	@scripts/install-system.sh
	@if command -v msgfmt >/dev/null; then \
	  VIGIE_DATA_DIR=$${VIGIE_DATA_DIR:-var} $(PY) -m django compilemessages \
	    --settings=vigie.settings --ignore=.venv --ignore=node_modules -v 0; fi

install-test:
	@scripts/install-system.sh --test
	@$(MAKE) --no-print-directory install

$(STAMP): requirements.lock pyproject.toml
	@scripts/install-system.sh
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.lock
	$(VENV)/bin/pip install -q --no-deps -e .
	@touch $@

node_modules/.installed: package.json package-lock.json
	@scripts/install-system.sh
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck:
	VIGIE_DATA_DIR=$$(mktemp -d) $(VENV)/bin/mypy vigie

migrations-check:
	VIGIE_DATA_DIR=$$(mktemp -d) $(PY) -m django makemigrations --check --dry-run \
	  --settings=vigie.settings

schema-check:
	VIGIE_DATA_DIR=$$(mktemp -d) $(PY) -m django spectacular --settings=vigie.settings \
	  --validate --fail-on-warn --file /dev/null

test-postgres:
	url=$$(scripts/ensure-postgres.sh) && \
	VIGIE_DATA_DIR=$$(mktemp -d) VIGIE_DATABASE_URL=$$url $(VENV)/bin/pytest -q -p no:cacheprovider

# The embedded database: everything but the browser tests, which run once above.
test-sqlite:
	VIGIE_DATA_DIR=$$(mktemp -d) $(VENV)/bin/pytest -q -p no:cacheprovider -m "not browser"

clean:
	rm -rf $(VENV) node_modules var

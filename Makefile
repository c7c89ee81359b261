# huiyuan — `make run` serves the demo chain; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export PORT

.PHONY: run test install install-dev assets demo serve lint messages clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.lock
	$(BIN)/pip install --quiet -r requirements-dev.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed assets
install-dev: $(VENV)/.installed-dev assets
assets: node_modules/.installed

## Serve the demo chain at http://127.0.0.1:$(PORT) with worker and scheduler
## (DATABASE_URL honoured).
run: install
	$(BIN)/huiyuan migrate --no-input -v 0
	$(BIN)/huiyuan demo
	HUIYUAN_PAYMENTS_PROVIDERS=$${HUIYUAN_PAYMENTS_PROVIDERS-sandbox} $(BIN)/huiyuan serve --no-migrate --port $(PORT)

## Lint, type-check, layer rules, then pytest on SQLite, PostgreSQL and Chromium.
test: install-dev
	bash scripts/run-tests

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/mypy huiyuan
	$(BIN)/lint-imports

## Rebuild translation catalogues (needs GNU gettext) and compile them.
messages: install-dev
	cd huiyuan && ../$(BIN)/huiyuan makemessages -l zh_Hans -l en --no-obsolete
	$(BIN)/python scripts/compile_messages.py

bench: install-dev
	$(BIN)/python bench/member_lookup.py

clean:
	rm -rf $(VENV) node_modules var

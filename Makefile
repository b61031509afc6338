# Two commands on a fresh machine: `make run` and `make test`. Everything else is set up on the way.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
# Django 6.1 needs Python 3.12+. Prefer pyenv's 3.13 (this machine's python3 is 3.11), then any
# python3.13/3.12 on PATH, then python3 if it is new enough.
PYTHON ?= $(shell for p in $$HOME/.pyenv/versions/3.13*/bin/python3 $$HOME/.pyenv/versions/3.12*/bin/python3 python3.13 python3.12 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)
PG_URL ?= postgres://postgres@127.0.0.1:5432/smm
PYTEST_ARGS ?= -n 2

NODE_DEPS := node_modules/vnu-jar/build/dist/vnu.jar

.PHONY: browser-deps node-deps messages help run test lint typecheck migrations-check test-sqlite test-postgres system-deps demo prod-check bench clean

help:
	@echo "make run   - set up and serve the demo on http://127.0.0.1:8000 (SQLite)"
	@echo "make test  - set up and run every check and test (SQLite and PostgreSQL)"

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12+ is required (install python3.13 or pyenv 3.13)."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

# WeasyPrint needs Pango/HarfBuzz; the browser tests need Chromium. Installed with apt when we can.
system-deps:
	@bash scripts/system-deps.sh

browser-deps:
	@bash scripts/system-deps.sh --browser

# The Nu HTML Checker (tests/test_html_valid.py), pinned in package.json/package-lock.json.
# --ignore-scripts: its postinstall only looks for a Java, which system-deps.sh provides.
$(NODE_DEPS): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --silent
	@touch $@

node-deps: $(NODE_DEPS)

# The Welsh interface (docs/translation.md): gather every message into locale/cy's django.po (new
# ones empty, for translating), then compile the django.mo that is committed beside it. Needs
# GNU gettext (system-deps.sh --browser). tests/test_welsh.py fails on any message left empty.
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l cy --ignore=.venv --ignore=node_modules --ignore=static \
		--ignore=bench --ignore=tests --ignore=docs --ignore=staticfiles --ignore=tmp --ignore='*.egg-info'
	$(PY) scripts/po_fill.py todo --limit 0 >/dev/null
	cd locale && ../$(PY) ../manage.py compilemessages -l cy

demo: $(VENV)/.installed system-deps
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_demo

# The background worker (evaluator pack PDFs) runs beside the dev server and stops with it.
run: demo
	@echo ""
	@echo "  smm demo on http://127.0.0.1:8000 (background worker running beside it)"
	@echo "  logins (password: demo-password): facilitator, lead-merthyr, evaluator, admin"
	@echo ""
	@$(PY) manage.py db_worker --no-reload --interval 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy .

migrations-check: $(VENV)/.installed
	DJANGO_SETTINGS_MODULE=smm_site.settings.test $(PY) manage.py makemigrations --check --dry-run

test-sqlite: $(VENV)/.installed system-deps browser-deps node-deps
	@echo "=== pytest on SQLite ==="
	env -u DATABASE_URL $(VENV)/bin/pytest $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed system-deps browser-deps node-deps
	@echo "=== pytest on PostgreSQL ==="
	@url="$${DATABASE_URL:-$(PG_URL)}"; \
	if $(PY) scripts/db_reachable.py "$$url"; then \
		DATABASE_URL="$$url" $(VENV)/bin/pytest $(PYTEST_ARGS); \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL is not reachable at $$url and CI=true: failing rather than skipping."; exit 1; \
	else \
		echo "PostgreSQL is not reachable at $$url: skipping the PostgreSQL run (set DATABASE_URL)."; \
	fi

test: lint typecheck migrations-check test-sqlite test-postgres prod-check

prod-check: $(VENV)/.installed
	@bash scripts/prod-check.sh

# Two gunicorn instances on one PostgreSQL database, one session across both (also run by prod-check).
.PHONY: two-hosts
two-hosts: $(VENV)/.installed
	@bash scripts/two-hosts.sh

bench: $(VENV)/.installed system-deps
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) staticfiles tmp

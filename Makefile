# mederp — the two commands: `make demo` and `make test`. `make bench` runs the benchmarks.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MEDERP := $(BIN)/mederp
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/mederp
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test lint typecheck checks pytest-sqlite pytest-postgres translations messages \
        browser-deps bench serve clean

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

translations: $(STAMP)
	@$(MEDERP) compile_translations

# The demo relaxes sign-in security so that every demo login works at once: no second factor
# is required and device-bound roles need no approved device (documented in
# docs/user/accounts-mfa-signatures.md). `make demo DEMO_SECURITY=strict` runs the production
# policy: MFA for everyone, Administrator and Quality Manager on approved devices only.
DEMO_SECURITY ?= relaxed
ifeq ($(DEMO_SECURITY),strict)
DEMO_ENV :=
else
DEMO_ENV := MEDERP_MFA_EXEMPT_ROLES='*' MEDERP_DEVICE_BINDING=off
endif

demo: $(STAMP) translations
	$(MEDERP) migrate --noinput
	$(MEDERP) load_demo
	$(MEDERP) collectstatic --noinput --verbosity 0
	$(MEDERP) tls_cert
	@$(DEMO_ENV) $(MEDERP) demo_banner
	$(DEMO_ENV) MEDERP_RUN_JOBS=1 MEDERP_COMPANY_NAME="$${MEDERP_COMPANY_NAME:-Huaxin Medical Devices 华信医疗器械}" exec $(BIN)/gunicorn -c python:mederp.config.gunicorn mederp.config.wsgi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

checks: $(STAMP) translations
	DJANGO_SETTINGS_MODULE=mederp.config.settings.test $(MEDERP) check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=mederp.config.settings.test $(MEDERP) makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=mederp.config.settings.test $(MEDERP) spectacular --validate --fail-on-warn --file /dev/null

# Browser tests need Debian's chromium; install it when we can (root + apt), else they skip.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing chromium and CJK fonts for the browser tests (apt-get)..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "NOTE: chromium not installed and cannot be installed here: browser tests will be skipped."; fi; \
	fi

pytest-sqlite: $(STAMP) translations browser-deps
	$(BIN)/pytest -q -p no:cacheprovider

pytest-postgres: $(STAMP) translations
	@if $(BIN)/python -m mederp.testing.pg_available "$(PG_TEST_URL)"; then \
	  MEDERP_DATABASE_URL="$(PG_TEST_URL)" $(BIN)/pytest -q -p no:cacheprovider -m "not browser"; \
	elif [ -n "$$MEDERP_TEST_POSTGRES" ] || [ "$$CI" = true ]; then \
	  echo "PostgreSQL is required (CI) but does not answer at $(PG_TEST_URL)"; exit 1; \
	else echo "NOTE: no PostgreSQL at $(PG_TEST_URL): PostgreSQL tests skipped."; fi

test: lint typecheck checks pytest-sqlite pytest-postgres

bench: $(STAMP)
	@for b in bench/*.py; do DJANGO_SETTINGS_MODULE=mederp.config.settings.test $(BIN)/python $$b || exit 1; done

messages: $(STAMP)
	cd src/mederp && ../../$(MEDERP) makemessages -l zh_Hans --no-obsolete --ignore 'testing/*'

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache

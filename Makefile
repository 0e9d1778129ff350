# CityReport: `make run` serves the demo city, `make test` runs the whole suite.
# Both are idempotent and work from a fresh clone: they install what is missing and start what is stopped.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_VERSION ?= 15
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint services system-packages test-packages venv db demo worker web bench clean translations

run: services system-packages venv db
	@$(BIN)/cityreport demo --if-empty
	@$(BIN)/cityreport indicators build --missing
	@echo
	@echo "CityReport is at http://$(HOST):$(PORT)/  (health: http://$(HOST):$(PORT)/healthz)"
	@$(BIN)/cityreport demo --logins
	@echo "Ctrl-C stops the web server and the worker."
	@trap 'kill 0' INT TERM; \
	  $(BIN)/gunicorn --workers 2 --threads 4 --bind $(HOST):$(PORT) --access-logfile - 'cityreport:create_app()' & \
	  $(BIN)/python -m worker & \
	  wait

test: services system-packages test-packages venv
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check .

# PostgreSQL and Redis are expected locally; start them if they have stopped.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || $(SUDO) pg_ctlcluster --skip-systemctl-redirect $(PG_VERSION) main start
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || \
	  $(SUDO) redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	  pg_isready -h 127.0.0.1 -p 5432 >/dev/null || { echo "PostgreSQL did not start"; exit 1; }
	@for i in $$(seq 1 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.5; done; \
	  redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || { echo "Redis did not start"; exit 1; }

# Debian packages the app needs at run time (scripts/runtime-packages.txt, which the Dockerfile installs too),
# and PostGIS, pg_trgm and unaccent for the local database server (the container setup runs its own database image).
system-packages:
	@scripts/apt-ensure postgresql-$(PG_VERSION)-postgis-3:/usr/share/postgresql/$(PG_VERSION)/extension/postgis.control \
	  postgresql-$(PG_VERSION):/usr/share/postgresql/$(PG_VERSION)/extension/pg_trgm.control \
	  postgresql-$(PG_VERSION):/usr/share/postgresql/$(PG_VERSION)/extension/unaccent.control \
	  $$(grep -v -e '^#' -e '^$$' scripts/runtime-packages.txt)

# Debian packages only the tests need: headless Chromium for the browser tests, and Ceph's S3 gateway on a
# one-OSD cluster in memory for the photo storage tests (tests/rgw.py).
test-packages:
	@scripts/apt-ensure chromium:/usr/bin/chromium poppler-utils:/usr/bin/pdftotext \
	  radosgw:/usr/bin/radosgw ceph-mon:/usr/bin/ceph-mon ceph-osd:/usr/bin/ceph-osd

venv: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

db: services system-packages venv
	@$(BIN)/cityreport init

demo: db
	$(BIN)/cityreport demo
	$(BIN)/cityreport indicators build --missing

web: db
	$(BIN)/gunicorn --workers 2 --threads 4 --bind $(HOST):$(PORT) 'cityreport:create_app()'

worker: db
	$(BIN)/python -m worker

bench: services system-packages venv
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Extract every message, merge it into the ro and en catalogues, and compile the .mo files (committed).
translations: venv
	$(BIN)/python -m cityreport.i18n_tools

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
